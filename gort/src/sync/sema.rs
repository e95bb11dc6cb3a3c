//! Tickets: the one-shot wake-up every blocking type in `gort::sync` parks
//! on (Go keeps its equivalent, the semaphore that Mutex, RWMutex and
//! WaitGroup sleep on, in runtime/sema.go).
//!
//! A waiter takes a ticket, puts the [`Parked`] half where a waker will
//! find it (a queue under the owning type's lock), releases that lock and
//! [`Ticket::wait`]s. The waker signals a non-zero reason with a release
//! store and wakes the waiter; the waiter's acquire load of the signal word
//! tells a real wake-up from a stale park token left by an unrelated, earlier
//! wake, and makes everything the waker did before signalling visible to it.
//! Works for goroutines (parks the goroutine) and plain threads (parks the
//! thread) alike.

use crate::runtime::park::{park, WaitReason, Waiter};
use std::sync::atomic::{AtomicU8, Ordering::*};
use std::sync::Arc;

/// The queue's half of a ticket: who to wake, and where to say why.
pub(super) struct Parked {
    waiter: Waiter,
    signal: Arc<AtomicU8>,
}

/// The waiter's half of a ticket.
pub(super) struct Ticket {
    signal: Arc<AtomicU8>,
}

/// A fresh ticket for the calling goroutine (or thread). Put the [`Parked`]
/// half where a waker will find it, then [`Ticket::wait`].
pub(super) fn ticket() -> (Parked, Ticket) {
    let signal = Arc::new(AtomicU8::new(0));
    let parked = Parked {
        waiter: Waiter::current(),
        signal: Arc::clone(&signal),
    };
    (parked, Ticket { signal })
}

impl Parked {
    /// Signal the waiter with `why` (non-zero) and wake it. Everything the
    /// caller did before happens-before the waiter's return from `wait`.
    pub(super) fn wake(self, why: u8) {
        debug_assert_ne!(why, 0, "a ticket signal must be non-zero");
        self.signal.store(why, Release);
        self.waiter.wake();
    }
}

impl Ticket {
    /// Park until [`Parked::wake`] is called; return its `why`.
    ///
    /// `park` may return because of a token left by an unrelated, earlier
    /// wake-up of this goroutine; the signal word tells the real one apart.
    #[track_caller]
    pub(super) fn wait(&self, reason: WaitReason) -> u8 {
        loop {
            let why = self.signal.load(Acquire);
            if why != 0 {
                return why;
            }
            park(reason);
        }
    }
}
