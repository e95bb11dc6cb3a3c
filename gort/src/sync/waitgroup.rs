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

use crate::runtime::park::{park, Waiter};
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
    waiters: Mutex<Vec<Waiter>>,
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

    fn adjust(&self, delta: i64) {
        let now = self.inner.count.fetch_add(delta, AcqRel) + delta;
        if now < 0 {
            self.inner.count.fetch_sub(delta, AcqRel);
            panic!("sync: negative WaitGroup counter");
        }
        if now == 0 {
            let waiters = std::mem::take(&mut *self.inner.waiters.lock());
            for w in waiters {
                w.wake();
            }
        }
    }

    /// Block until the count is zero. Parks a calling goroutine; blocks a
    /// calling thread.
    pub fn wait(&self) {
        loop {
            {
                let mut waiters = self.inner.waiters.lock();
                if self.inner.count.load(Acquire) == 0 {
                    return;
                }
                waiters.push(Waiter::current());
            }
            park();
        }
    }

    /// Run `f` in a new goroutine counted by this WaitGroup: `add(1)`, then
    /// `done()` when `f` returns (Go 1.25's `WaitGroup.Go`).
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
