//! `Cond`: a condition variable for gort's [`Mutex`] (Go's `sync.Cond`,
//! sync/cond.go, and the runtime's `notifyList`).
//!
//! # Protocol
//! `wait(guard)`:
//! 1. Take a ticket and push it on `waiters` — *while still holding the
//!    mutex* (cf. `runtime_notifyListAdd` before `c.L.Unlock()`).
//! 2. Unlock the mutex (drop the guard).
//! 3. Park on the ticket until a notify signals it.
//! 4. Lock the mutex again and return the new guard.
//!
//! `notify_one` pops the oldest waiter and signals it; `notify_all` drains
//! the list and signals them all. Both take only the `waiters` lock.
//!
//! # No lost notification
//! A waiter is in `waiters` before it releases the mutex. A notifier that
//! changed the shared state under the mutex did so either before the waiter
//! locked it (then the waiter saw the change and did not wait), or after the
//! waiter's unlock, hence after its push: the notify finds it. Between the
//! unlock and the park, a signal is kept in the ticket, so it is not lost
//! either. A waiter returns only after being notified (the ticket tells a
//! notify from a stray wake-up): there are no spurious wake-ups — but by the
//! time it holds the mutex again another goroutine may have changed the
//! state, so re-check the condition in a loop (or use
//! [`wait_while`](Cond::wait_while)).
//!
//! # Memory ordering
//! The `waiters` lock orders pushes against pops; the ticket's
//! `Release`/`Acquire` signal orders the notifier's earlier writes before
//! the waiter's return (and re-locking the mutex orders everything written
//! under it).

use super::mutex::MutexGuard;
use super::sema::{ticket, Parked};
use crate::runtime::park::WaitReason;
use std::collections::VecDeque;
use std::fmt;

/// A condition variable: goroutines wait on it for a condition over data
/// protected by a gort [`Mutex`](super::Mutex), and are woken when another
/// goroutine signals a change (Go's `sync.Cond`; `notify_one` is `Signal`,
/// `notify_all` is `Broadcast`).
///
/// Waiting parks a goroutine and blocks a plain thread. Waiters are woken in
/// FIFO order. A `Cond` is not tied to one mutex, but all waiters of a
/// given condition should use the mutex that protects it. Notifying does not
/// require holding the mutex.
///
/// # Example
/// ```
/// use gort::sync::{Cond, Mutex};
/// use std::sync::Arc;
///
/// gort::run(|| {
///     let pair = Arc::new((Mutex::new(false), Cond::new()));
///     let theirs = pair.clone();
///     gort::go!(move || {
///         let (ready, cond) = &*theirs;
///         *ready.lock() = true;
///         cond.notify_one();
///     });
///     let (ready, cond) = &*pair;
///     let mut guard = ready.lock();
///     while !*guard {
///         guard = cond.wait(guard);
///     }
/// });
/// ```
pub struct Cond {
    /// Waiters in arrival order. Pushed by `wait` (under the user's mutex),
    /// popped by `notify_one` / drained by `notify_all`, all under this lock.
    waiters: parking_lot::Mutex<VecDeque<Parked>>,
}

impl Cond {
    /// A condition variable with no waiters. A `const fn`, so a `Cond` can
    /// be a `static`.
    pub const fn new() -> Cond {
        Cond {
            waiters: parking_lot::Mutex::new(VecDeque::new()),
        }
    }

    /// Atomically unlock the mutex `guard` holds and wait for a
    /// notification, then lock the mutex again and return its guard (Go's
    /// `Wait`).
    ///
    /// Returns only after a [`notify_one`](Cond::notify_one) or
    /// [`notify_all`](Cond::notify_all) that came after this call released
    /// the mutex. Even so, the condition may no longer hold once the mutex
    /// is re-acquired, so call it in a loop.
    #[track_caller]
    #[inline(never)] // takes a thread-blocking lock: see asyncpreempt.rs
    pub fn wait<'a, T: ?Sized>(&self, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        let mutex = guard.mutex;
        let (parked, ticket) = ticket();
        self.waiters.lock().push_back(parked);
        drop(guard);
        ticket.wait(WaitReason::CondWait);
        mutex.lock()
    }

    /// Wait while `condition` holds: `while condition(&mut data) { wait }`.
    /// Returns the guard with the condition false.
    #[track_caller]
    pub fn wait_while<'a, T: ?Sized>(
        &self,
        mut guard: MutexGuard<'a, T>,
        mut condition: impl FnMut(&mut T) -> bool,
    ) -> MutexGuard<'a, T> {
        while condition(&mut *guard) {
            guard = self.wait(guard);
        }
        guard
    }

    /// Wake the longest-waiting waiter, if any (Go's `Signal`).
    #[inline(never)] // takes a thread-blocking lock: see asyncpreempt.rs
    pub fn notify_one(&self) {
        let head = self.waiters.lock().pop_front();
        if let Some(head) = head {
            head.wake(1);
        }
    }

    /// Wake every waiter (Go's `Broadcast`).
    #[inline(never)] // takes a thread-blocking lock: see asyncpreempt.rs
    pub fn notify_all(&self) {
        let all = std::mem::take(&mut *self.waiters.lock());
        for w in all {
            w.wake(1);
        }
    }
}

impl Default for Cond {
    fn default() -> Cond {
        Cond::new()
    }
}

impl fmt::Debug for Cond {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cond").finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::sync::Mutex;
    use std::sync::Arc;
    use std::thread;

    #[test]
    fn ping_pong_on_threads() {
        // Two threads take strict turns; a lost notification hangs.
        let state = Arc::new((Mutex::new(0u32), Cond::new()));
        let other = {
            let state = state.clone();
            thread::spawn(move || {
                let (turn, cond) = &*state;
                for i in 0..2_000 {
                    let mut g = cond.wait_while(turn.lock(), |t| *t % 2 == 0);
                    assert_eq!(*g, 2 * i + 1);
                    *g += 1;
                    cond.notify_one();
                }
            })
        };
        let (turn, cond) = &*state;
        for i in 0..2_000 {
            let mut g = cond.wait_while(turn.lock(), |t| *t % 2 == 1);
            assert_eq!(*g, 2 * i);
            *g += 1;
            cond.notify_one();
        }
        other.join().unwrap();
        assert_eq!(*turn.lock(), 4_000);
    }

    #[test]
    fn notify_without_waiters_is_a_no_op() {
        let c = Cond::default();
        c.notify_one();
        c.notify_all();
        assert_eq!(format!("{c:?}"), "Cond { .. }");
    }
}
