//! The buffered flavor (`chan(n)`, n > 0): a FIFO ring of at most `cap`
//! values. Senders block only when it is full, receivers only when it is
//! empty.
//!
//! Invariant: `0 <= len <= cap`. Blocked senders exist only while the ring
//! is full, so a receiver that finds one takes the head of the ring and
//! moves the sender's value to its tail, keeping FIFO order.

use std::collections::VecDeque;

/// The buffer of a buffered channel.
pub(crate) struct Ring<T> {
    buf: VecDeque<T>,
    cap: usize,
}

impl<T> Ring<T> {
    pub(crate) fn new(cap: usize) -> Self {
        // Do not reserve huge capacities up front; the ring grows to `cap`.
        Ring {
            buf: VecDeque::with_capacity(cap.min(1024)),
            cap,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.buf.len()
    }

    pub(crate) fn is_full(&self) -> bool {
        self.buf.len() == self.cap
    }

    pub(crate) fn push(&mut self, v: T) -> Result<(), T> {
        if self.is_full() {
            return Err(v);
        }
        self.buf.push_back(v);
        Ok(())
    }

    pub(crate) fn pop(&mut self) -> Option<T> {
        self.buf.pop_front()
    }

    /// Take every buffered value out (the last receiver left).
    pub(crate) fn take_all(&mut self) -> VecDeque<T> {
        std::mem::take(&mut self.buf)
    }

    /// A receiver meeting a blocked sender (so the ring is full): take the
    /// oldest value, and the sender's value joins the tail.
    pub(crate) fn exchange(&mut self, from_sender: T) -> T {
        debug_assert!(self.is_full(), "senders block only on a full ring");
        let oldest = self.buf.pop_front().expect("a full ring is not empty");
        self.buf.push_back(from_sender);
        oldest
    }
}
