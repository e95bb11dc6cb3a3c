//! `WaitGroup`: wait for a collection of goroutines to finish (Go's
//! `sync.WaitGroup`).
//!
//! # Invariants
//! * `count` is the number of outstanding `add`s not yet `done`; it never
//!   goes below zero (that is a panic, as in Go).
//! * A waiter is pushed onto `waiters` only under the lock, after seeing
//!   `count > 0` under that lock; the `done` that brings `count` to zero
//!   takes the same lock before draining `waiters`. So a waiter either sees
//!   zero, or is in the list when the last `done` drains it: no lost wake-up.
//! * A waiter is in the list at most once per `wait`: it queues one ticket
//!   and waits on it, so a spurious return from `park` (a stale token) does
//!   not queue it again.

use super::sema::{ticket, Parked};
use crate::runtime::park::WaitReason;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicI64, Ordering::*};
use std::sync::Arc;

/// Waits for a collection of goroutines to finish.
///
/// `add(n)` before starting work, `done()` when each piece finishes,
/// `wait()` to block until all are done. Clones share one counter, so a
/// clone can be moved into each goroutine.
///
/// ```
/// use gort::sync::WaitGroup;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
///
/// gort::run(|| {
///     let wg = WaitGroup::new();
///     let hits = Arc::new(AtomicUsize::new(0));
///     for _ in 0..10 {
///         wg.add(1);
///         let (wg, hits) = (wg.clone(), hits.clone());
///         gort::go!(move || {
///             hits.fetch_add(1, Ordering::Relaxed);
///             wg.done();
///         });
///     }
///     wg.wait();
///     assert_eq!(hits.load(Ordering::Relaxed), 10);
/// });
/// ```
#[derive(Clone, Default)]
pub struct WaitGroup {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    count: AtomicI64,
    waiters: Mutex<Vec<Parked>>,
}

impl WaitGroup {
    /// A WaitGroup with a count of zero.
    pub fn new() -> WaitGroup {
        WaitGroup::default()
    }

    /// Add `n` to the count of pieces of work to wait for.
    ///
    /// As in Go, calls that raise the count from zero should happen before
    /// `wait` (typically before starting the goroutine they count).
    pub fn add(&self, n: usize) {
        let n = i64::try_from(n).expect("sync: WaitGroup counter overflow");
        self.adjust(n);
    }

    /// Mark one piece of work as finished.
    ///
    /// # Panics
    /// If the count would go below zero: `sync: negative WaitGroup counter`,
    /// Go's message for the same bug.
    pub fn done(&self) {
        self.adjust(-1);
    }

    #[inline(never)] // takes a thread-blocking lock: see asyncpreempt.rs
    fn adjust(&self, delta: i64) {
        let now = self.inner.count.fetch_add(delta, AcqRel) + delta;
        if now < 0 {
            self.inner.count.fetch_sub(delta, AcqRel);
            panic!("sync: negative WaitGroup counter");
        }
        if now == 0 {
            let waiters = std::mem::take(&mut *self.inner.waiters.lock());
            for w in waiters {
                w.wake(1);
            }
        }
    }

    /// Block until the count is zero. Parks a calling goroutine; blocks a
    /// calling thread.
    #[track_caller]
    #[inline(never)] // takes a thread-blocking lock: see asyncpreempt.rs
    pub fn wait(&self) {
        let ticket = {
            let mut waiters = self.inner.waiters.lock();
            if self.inner.count.load(Acquire) == 0 {
                return;
            }
            let (parked, ticket) = ticket();
            waiters.push(parked);
            ticket
        };
        ticket.wait(WaitReason::WaitGroupWait);
    }

    /// How many callers are queued in `wait` (for tests).
    #[cfg(all(test, not(loom)))]
    #[inline(never)] // takes a thread-blocking lock: see asyncpreempt.rs
    fn queued_waiters(&self) -> usize {
        self.inner.waiters.lock().len()
    }

    /// Run `f` in a new goroutine counted by this WaitGroup: `add(1)`, then
    /// `done()` when `f` returns (Go 1.25's `WaitGroup.Go`).
    #[track_caller]
    pub fn go<F: FnOnce() + Send + 'static>(&self, f: F) {
        self.add(1);
        let wg = self.clone();
        crate::spawn::go(move || {
            f();
            wg.done();
        });
    }

    /// The current count (for diagnostics; it may change at any moment).
    pub fn count(&self) -> usize {
        self.inner.count.load(Acquire).max(0) as usize
    }
}

// A panic cannot leave a WaitGroup half-updated: `done` below zero undoes
// its decrement before panicking, and the waiter list is only pushed to and
// drained whole.
impl std::panic::UnwindSafe for WaitGroup {}
impl std::panic::RefUnwindSafe for WaitGroup {}

impl std::fmt::Debug for WaitGroup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WaitGroup")
            .field("count", &self.count())
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::WaitGroup;
    use crate::runtime::park::Waiter;
    use std::sync::{Arc, Mutex};

    /// A goroutine in `wait` that is woken spuriously (stale tokens, as
    /// unrelated wakers leave) stays queued once: it used to push itself
    /// again after every spurious return from `park`.
    #[test]
    fn spurious_wakes_do_not_queue_a_waiter_twice() {
        const SPURIOUS: usize = 10;
        crate::run(|| {
            let wg = WaitGroup::new();
            wg.add(1);
            let handles = Arc::new(Mutex::new(Vec::new()));
            let waiter = {
                let (wg, handles) = (wg.clone(), handles.clone());
                crate::spawn(move || {
                    handles
                        .lock()
                        .unwrap()
                        .extend((0..SPURIOUS).map(|_| Waiter::current()));
                    wg.wait();
                })
            };
            let wait_until_queued = || {
                while wg.queued_waiters() == 0 {
                    crate::yield_now();
                }
            };
            wait_until_queued();
            let spurious: Vec<Waiter> = std::mem::take(&mut *handles.lock().unwrap());
            assert_eq!(spurious.len(), SPURIOUS);
            for w in spurious {
                w.wake();
                // Let the woken goroutine run, find nothing, and park again.
                for _ in 0..10 {
                    crate::yield_now();
                }
            }
            wait_until_queued();
            assert_eq!(wg.queued_waiters(), 1, "one wait, one queued waiter");
            wg.done();
            waiter.join().unwrap();
            assert_eq!(wg.queued_waiters(), 0);
        });
    }
}
