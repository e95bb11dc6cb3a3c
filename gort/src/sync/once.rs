//! `Once`: run a function exactly once, however many goroutines ask (Go's
//! `sync.Once`, sync/once.go).
//!
//! # State
//! `state` is `INCOMPLETE`, `RUNNING` or `COMPLETE`. The caller whose CAS
//! moves it `INCOMPLETE → RUNNING` runs the function; everyone else either
//! sees `COMPLETE` and returns, or parks in `waiters`.
//!
//! # Invariants
//! * A waiter is pushed only under the `waiters` lock, after seeing
//!   `RUNNING` under that lock. The runner changes `state` first, then takes
//!   the same lock and drains the list. So a waiter either sees the new
//!   state, or is in the list when it is drained: no lost wake-up.
//! * `COMPLETE` is final. `RUNNING → INCOMPLETE` happens only when the
//!   function panicked; the woken waiters then race to run it again.
//!
//! # Memory ordering
//! The runner's `COMPLETE` store is `Release`; every load that can observe
//! it is `Acquire`, so all the function's effects happen-before any return
//! from `call_once`.
//!
//! # Why a panic leaves the Once incomplete
//! Go marks a `Once` done even if `f` panics (`defer o.done.Store(1)`), so
//! later callers skip an initialisation that never finished. std's `Once`
//! instead poisons itself and every later `call_once` panics. gort does what
//! `std::sync::OnceLock::get_or_init` does: the panic propagates to the
//! caller that ran `f`, the `Once` stays incomplete, and the next caller (or
//! a goroutine already waiting) runs `f` again. Go's choice lets code go on
//! with state `f` never set up, which in Rust would typically mean an
//! uninitialised resource; poisoning is a concept gort does not have
//! anywhere (see `Mutex`). Retrying is the one choice that never exposes a
//! half-done initialisation and never turns one panic into many.

use super::sema::{ticket, Parked};
use crate::runtime::park::WaitReason;
use std::fmt;
use std::sync::atomic::{AtomicU8, Ordering::*};

const INCOMPLETE: u8 = 0;
const RUNNING: u8 = 1;
const COMPLETE: u8 = 2;

/// Runs a function exactly once (Go's `sync.Once`).
///
/// Concurrent callers of [`call_once`](Once::call_once) park (goroutines) or
/// block (threads) until the first caller's function has returned, and then
/// see everything it did.
///
/// If the function panics, the `Once` is **not** marked complete: the panic
/// propagates to the caller that ran it, and the next caller — possibly one
/// that was already waiting — runs its own function. This is
/// `OnceLock::get_or_init`'s behaviour, not Go's (Go marks the `Once` done
/// anyway) nor `std::sync::Once`'s (which poisons); see the module source
/// for why.
///
/// Calling `call_once` on the same `Once` from inside its own function
/// deadlocks, as in Go.
///
/// # Example
/// ```
/// use gort::sync::{Once, WaitGroup};
/// use std::sync::atomic::{AtomicUsize, Ordering};
///
/// static INIT: Once = Once::new();
/// static RUNS: AtomicUsize = AtomicUsize::new(0);
///
/// gort::run(|| {
///     let wg = WaitGroup::new();
///     for _ in 0..10 {
///         wg.go(|| INIT.call_once(|| {
///             RUNS.fetch_add(1, Ordering::Relaxed);
///         }));
///     }
///     wg.wait();
///     assert!(INIT.is_completed());
///     assert_eq!(RUNS.load(Ordering::Relaxed), 1);
/// });
/// ```
pub struct Once {
    /// `INCOMPLETE | RUNNING | COMPLETE`; see the module docs.
    state: AtomicU8,
    /// Callers waiting for the runner. Pushed by waiters, drained by the
    /// runner, both under this lock.
    waiters: parking_lot::Mutex<Vec<Parked>>,
}

impl Once {
    /// A `Once` that has not run. A `const fn`, so a `Once` can be a
    /// `static`.
    pub const fn new() -> Once {
        Once {
            state: AtomicU8::new(INCOMPLETE),
            waiters: parking_lot::Mutex::new(Vec::new()),
        }
    }

    /// Run `f` if no call has completed yet; otherwise do nothing. Returns
    /// once some call's `f` has completed (parking the caller meanwhile), so
    /// its effects are visible.
    ///
    /// # Panics
    /// If `f` panics, the panic propagates and the `Once` stays incomplete
    /// (see the type's docs).
    #[track_caller]
    pub fn call_once<F: FnOnce()>(&self, f: F) {
        if self.state.load(Acquire) == COMPLETE {
            return;
        }
        let mut f = Some(f);
        self.call_once_slow(&mut || (f.take().expect("called once"))());
    }

    /// Whether some call's function has completed (Go's `o.done`).
    pub fn is_completed(&self) -> bool {
        self.state.load(Acquire) == COMPLETE
    }

    #[cold]
    #[track_caller]
    #[inline(never)] // takes a thread-blocking lock: see asyncpreempt.rs
    fn call_once_slow(&self, f: &mut dyn FnMut()) {
        loop {
            match self
                .state
                .compare_exchange(INCOMPLETE, RUNNING, Acquire, Acquire)
            {
                Ok(_) => {
                    // If `f` panics, this resets the state and wakes the
                    // waiters so one of them can try.
                    let reset = Finish {
                        once: self,
                        to: INCOMPLETE,
                    };
                    f();
                    std::mem::forget(reset);
                    drop(Finish {
                        once: self,
                        to: COMPLETE,
                    });
                    return;
                }
                Err(COMPLETE) => return,
                Err(_running) => {
                    let ticket = {
                        let mut waiters = self.waiters.lock();
                        if self.state.load(Acquire) != RUNNING {
                            continue;
                        }
                        let (parked, ticket) = ticket();
                        waiters.push(parked);
                        ticket
                    };
                    ticket.wait(WaitReason::OnceDo);
                }
            }
        }
    }
}

/// Sets the final state of a run and wakes every waiter, when dropped.
struct Finish<'a> {
    once: &'a Once,
    to: u8,
}

impl Drop for Finish<'_> {
    fn drop(&mut self) {
        self.once.state.store(self.to, Release);
        let waiters = std::mem::take(&mut *self.once.waiters.lock());
        for w in waiters {
            w.wake(1);
        }
    }
}

impl Default for Once {
    fn default() -> Once {
        Once::new()
    }
}

impl fmt::Debug for Once {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Once")
            .field("completed", &self.is_completed())
            .finish_non_exhaustive()
    }
}

// A panic in `f` leaves the Once incomplete and consistent (see above).
impl std::panic::UnwindSafe for Once {}
impl std::panic::RefUnwindSafe for Once {}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::panic::catch_unwind;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;

    #[test]
    fn runs_once_on_threads_and_retries_after_panic() {
        let once = Once::new();
        let r = catch_unwind(|| once.call_once(|| panic!("boom")));
        assert!(r.is_err());
        assert!(!once.is_completed());
        let mut ran = 0;
        once.call_once(|| ran += 1);
        once.call_once(|| ran += 1);
        assert_eq!(ran, 1);
        assert!(once.is_completed());
        assert_eq!(format!("{once:?}"), "Once { completed: true, .. }");
    }

    #[test]
    fn waiting_threads_see_the_effect() {
        let once = Arc::new(Once::new());
        let value = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (once, value) = (once.clone(), value.clone());
                std::thread::spawn(move || {
                    once.call_once(|| {
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        value.fetch_add(42, Relaxed);
                    });
                    assert_eq!(value.load(Relaxed), 42);
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
    }
}
