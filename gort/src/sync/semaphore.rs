//! `Semaphore`: a weighted semaphore (golang.org/x/sync/semaphore), for
//! bounding how much of something runs at once — connections, memory,
//! goroutines doing I/O.
//!
//! # Protocol
//! `avail` permits and a FIFO of waiters, each with the weight it wants and
//! a ticket (sema.rs), all under one small lock. `acquire` takes permits at
//! once if nobody is queued and enough are free; otherwise it queues and
//! parks. `release` returns permits and then, in queue order, grants each
//! waiter at the head whose weight fits — taking its permits *for* it before
//! waking it, so a woken waiter owns its permits and never re-checks.
//! First come, first served, as x/sync: a large request at the head holds
//! back smaller ones behind it, so it cannot starve.
//!
//! No lost wake-up: a waiter queues under the lock, and every grant happens
//! under the same lock; the ticket keeps a grant that arrives before the
//! waiter parks.
//!
//! `acquire_ctx` waits on a one-slot channel instead of a ticket, in a
//! `select!` with the context's done channel. If the context wins, it
//! takes the lock and either finds its entry still queued (removes it, and
//! if it was at the head lets the next waiters in) or finds it granted in
//! the meantime (gives the permits back) — x/sync's `Acquire` exactly.

use super::sema::{ticket, Parked};
use crate::chan::{chan, Sender};
use crate::context::{self, Context};
use crate::runtime::park::WaitReason;
use std::collections::VecDeque;
use std::fmt;

/// A ticket signal: the permits were granted.
const GRANTED: u8 = 1;

/// A weighted semaphore (golang.org/x/sync/semaphore's `Weighted`):
/// `acquire(n)` parks the calling goroutine until `n` permits are free;
/// waiters are served first come, first served. Works from plain threads
/// too (they block).
///
/// ```
/// use gort::sync::{Semaphore, WaitGroup};
/// use std::sync::Arc;
///
/// gort::run(|| {
///     let sem = Arc::new(Semaphore::new(2)); // at most 2 at a time
///     let wg = WaitGroup::new();
///     for _ in 0..10 {
///         let (sem, wg) = (sem.clone(), wg.clone());
///         wg.add(1);
///         gort::go!(move || {
///             sem.acquire(1);
///             // ... the bounded work ...
///             sem.release(1);
///             wg.done();
///         });
///     }
///     wg.wait();
/// });
/// ```
pub struct Semaphore {
    size: usize,
    state: parking_lot::Mutex<State>,
}

struct State {
    avail: usize,
    waiters: VecDeque<Waiter>,
    next_id: u64,
}

/// A queued request: its weight, and how to tell it the permits are its.
struct Waiter {
    n: usize,
    id: u64,
    wake: Wake,
}

enum Wake {
    Ticket(Parked),
    Chan(Sender<()>),
}

impl Semaphore {
    /// A semaphore with `permits` permits, all free.
    pub fn new(permits: usize) -> Semaphore {
        Semaphore {
            size: permits,
            state: parking_lot::Mutex::new(State {
                avail: permits,
                waiters: VecDeque::new(),
                next_id: 0,
            }),
        }
    }

    /// Take `n` permits, parking until they are free and every earlier
    /// waiter has been served (even for `n == 0`, as x/sync).
    ///
    /// # Panics
    /// If `n` is more than the semaphore's size: such a request could never
    /// be granted (x/sync blocks it until its context ends; with no context
    /// that is forever, so gort reports the bug instead).
    #[track_caller]
    #[inline(never)] // takes a thread-blocking lock: see asyncpreempt.rs
    pub fn acquire(&self, n: usize) {
        assert!(
            n <= self.size,
            "Semaphore::acquire({n}) on a semaphore of {} permits can never succeed",
            self.size
        );
        let ticket = {
            let mut st = self.state.lock();
            if st.waiters.is_empty() && st.avail >= n {
                st.avail -= n;
                return;
            }
            let (parked, ticket) = ticket();
            st.push(n, Wake::Ticket(parked));
            ticket
        };
        ticket.wait(WaitReason::SemaphoreAcquire);
    }

    /// Take `n` permits, parking until they are free and every earlier
    /// waiter has been served, or until `ctx` is cancelled — x/sync's
    /// `Acquire(ctx, n)`. On `Err` no permit is held.
    ///
    /// # Panics
    /// As [`acquire`](Semaphore::acquire), if `n` is more than the size.
    #[track_caller]
    #[inline(never)] // takes a thread-blocking lock: see asyncpreempt.rs
    pub fn acquire_ctx(&self, ctx: &Context, n: usize) -> Result<(), context::Error> {
        assert!(
            n <= self.size,
            "Semaphore::acquire_ctx({n}) on a semaphore of {} permits can never succeed",
            self.size
        );
        // As x/sync: a context already done fails, even with permits free.
        if let Some(err) = ctx.err() {
            return Err(err);
        }
        let (ready, id) = {
            let mut st = self.state.lock();
            if st.waiters.is_empty() && st.avail >= n {
                st.avail -= n;
                return Ok(());
            }
            let (tx, rx) = chan(1);
            (rx, st.push(n, Wake::Chan(tx)))
        };
        crate::select! {
            <-&ready => {
                // Granted; but if the context is done too, x/sync gives
                // the permits back and reports the context's error.
                return match ctx.err() {
                    None => Ok(()),
                    Some(err) => {
                        self.release(n);
                        Err(err)
                    }
                };
            }
            <-ctx.done() => {}
        }
        let granted = {
            let mut st = self.state.lock();
            match st.waiters.iter().position(|w| w.id == id) {
                Some(at) => {
                    st.waiters.remove(at);
                    // Leaving the head may let the next ones in.
                    if at == 0 {
                        st.grant()
                    } else {
                        Vec::new()
                    }
                }
                None => {
                    // Granted meanwhile: give the permits back.
                    st.avail += n;
                    st.grant()
                }
            }
        };
        wake_all(granted);
        Err(ctx.err().expect("done means cancelled"))
    }

    /// Take `n` permits if they are free now and nobody is waiting; true if
    /// taken.
    #[inline(never)] // takes a thread-blocking lock: see asyncpreempt.rs
    pub fn try_acquire(&self, n: usize) -> bool {
        let mut st = self.state.lock();
        if st.waiters.is_empty() && st.avail >= n {
            st.avail -= n;
            true
        } else {
            false
        }
    }

    /// Return `n` permits, waking the waiters they (with those already
    /// free) now satisfy, in queue order.
    ///
    /// # Panics
    /// If this would make more permits free than the semaphore has (more
    /// released than acquired), as x/sync does.
    #[inline(never)] // takes a thread-blocking lock: see asyncpreempt.rs
    pub fn release(&self, n: usize) {
        let granted = {
            let mut st = self.state.lock();
            assert!(
                n <= self.size - st.avail,
                "Semaphore::release({n}): released more than held ({} of {} permits are held)",
                self.size - st.avail,
                self.size
            );
            st.avail += n;
            st.grant()
        };
        wake_all(granted);
    }

    /// How many permits the semaphore has in all.
    pub fn size(&self) -> usize {
        self.size
    }

    /// How many permits are free now (a snapshot).
    #[inline(never)] // takes a thread-blocking lock: see asyncpreempt.rs
    pub fn available(&self) -> usize {
        self.state.lock().avail
    }
}

impl State {
    /// Queue a request; returns its id.
    fn push(&mut self, n: usize, wake: Wake) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.waiters.push_back(Waiter { n, id, wake });
        id
    }

    /// Hand permits to the waiters at the head that now fit, in order;
    /// returns them, to be woken once the lock is released.
    fn grant(&mut self) -> Vec<Wake> {
        let mut granted = Vec::new();
        while let Some(w) = self.waiters.front() {
            if w.n > self.avail {
                break;
            }
            self.avail -= w.n;
            granted.push(self.waiters.pop_front().expect("front exists").wake);
        }
        granted
    }
}

/// Tell each granted waiter that its permits are taken for it.
fn wake_all(granted: Vec<Wake>) {
    for wake in granted {
        match wake {
            Wake::Ticket(parked) => parked.wake(GRANTED),
            // Room for one: cannot block. A waiter that gave up meanwhile
            // has dropped its receiver; it gives the permits back itself.
            Wake::Chan(tx) => drop(tx.try_send(())),
        }
    }
}

impl fmt::Debug for Semaphore {
    /// Reads under the lock, formats after it (the `Formatter` may write
    /// to a gort file or socket, whose calls are checkpoints).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (available, waiters) = {
            let st = self.state.lock();
            (st.avail, st.waiters.len())
        };
        f.debug_struct("Semaphore")
            .field("size", &self.size)
            .field("available", &available)
            .field("waiters", &waiters)
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    //! The protocol on plain threads; tests/sync.rs covers goroutines.
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn permits_are_counted_and_try_acquire_never_waits() {
        let sem = Semaphore::new(3);
        assert!(sem.try_acquire(2));
        assert!(!sem.try_acquire(2));
        assert!(sem.try_acquire(1));
        assert_eq!(sem.available(), 0);
        sem.release(3);
        assert_eq!(sem.available(), 3);
        sem.acquire(0);
    }

    #[test]
    #[should_panic(expected = "released more than held")]
    fn releasing_more_than_held_panics() {
        let sem = Semaphore::new(2);
        sem.acquire(1);
        sem.release(2);
    }

    #[test]
    #[should_panic(expected = "can never succeed")]
    fn asking_for_more_than_the_size_panics() {
        Semaphore::new(2).acquire(3);
    }

    #[test]
    fn a_large_waiter_at_the_head_is_not_overtaken() {
        let sem = Arc::new(Semaphore::new(2));
        sem.acquire(2);
        let big = {
            let sem = sem.clone();
            std::thread::spawn(move || sem.acquire(2))
        };
        while sem.state.lock().waiters.is_empty() {
            std::thread::yield_now();
        }
        assert!(!sem.try_acquire(1), "a small request jumped the queue");
        sem.release(1);
        assert!(!sem.try_acquire(1), "a small request jumped the queue");
        sem.release(1);
        big.join().unwrap();
        assert_eq!(sem.available(), 0);
    }

    #[test]
    fn never_more_holders_than_permits() {
        let sem = Arc::new(Semaphore::new(3));
        let (inside, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let hs: Vec<_> = (0..8)
            .map(|_| {
                let (sem, inside, most) = (sem.clone(), inside.clone(), most.clone());
                std::thread::spawn(move || {
                    for _ in 0..200 {
                        sem.acquire(1);
                        let now = inside.fetch_add(1, SeqCst) + 1;
                        most.fetch_max(now, SeqCst);
                        std::thread::sleep(Duration::from_micros(10));
                        inside.fetch_sub(1, SeqCst);
                        sem.release(1);
                    }
                })
            })
            .collect();
        hs.into_iter().for_each(|h| h.join().unwrap());
        assert!(
            most.load(SeqCst) <= 3,
            "{} holders at once",
            most.load(SeqCst)
        );
        assert_eq!(sem.available(), 3);
    }
}
