//! Starting goroutines: `go!`'s target, `spawn` with its `JoinHandle`, and
//! `run`, which bridges an OS thread into the runtime.

use crate::runtime::park::{park, WaitReason, Waiter};
use parking_lot::Mutex;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::Arc;

/// Start `f` in a new goroutine; a panic in it ends the process with status
/// 2 after printing `panic in goroutine N: …` (what `go!` expands to).
#[track_caller]
pub(crate) fn go<F: FnOnce() + Send + 'static>(f: F) {
    crate::runtime::new_goroutine(move || {
        if catch_unwind(AssertUnwindSafe(f)).is_err() {
            crate::panic::goroutine_panicked();
        }
    });
}

/// Drop a reference to shared state that may own user values (an
/// `after_func` function, a context's values) from a timer callback.
///
/// Callbacks run in scheduler context, where a park — in a user `Drop` that
/// locks a gort `Mutex` or sends on a channel — would block the M and stall
/// its P (on one P, for ever). So if this is the last reference and the
/// caller is not a goroutine, the value is dropped in a new goroutine.
pub(crate) fn release<T: Send + Sync + 'static>(shared: Arc<T>) {
    if crate::runtime::goroutine_id() != 0 {
        return drop(shared);
    }
    if let Some(last) = Arc::into_inner(shared) {
        go(move || drop(last));
    }
}

/// Start `f` in a new goroutine and return a handle to its result.
///
/// Like `go!`, but the goroutine's return value — or its panic — is kept for
/// [`JoinHandle::join`] instead of ending the process. Dropping the handle
/// detaches the goroutine; its result is then dropped on it, and a panic
/// in that drop ends the process as a `go!` goroutine's panic does.
///
/// ```
/// let h = gort::spawn(|| 6 * 7);
/// assert_eq!(h.join().unwrap(), 42);
/// ```
#[track_caller]
pub fn spawn<T, F>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let slot = Arc::new(ResultSlot::new());
    let theirs = Arc::clone(&slot);
    crate::runtime::new_goroutine(move || theirs.fill(catch_unwind(AssertUnwindSafe(f))));
    JoinHandle { slot }
}

/// Run `f` as a goroutine and block until it returns, starting the runtime
/// if needed. From a plain thread this blocks the thread; from a goroutine it
/// parks only the goroutine. A panic in `f` is resumed in the caller.
///
/// Many threads may call `run` at once (the test harness does); they share
/// one runtime.
///
/// ```
/// let n = gort::run(|| {
///     let h = gort::spawn(|| 20);
///     h.join().unwrap() + 22
/// });
/// assert_eq!(n, 42);
/// ```
#[track_caller]
pub fn run<T, F>(f: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    match spawn(f).join() {
        Ok(v) => v,
        Err(panic) => resume_unwind(panic),
    }
}

/// Owned permission to wait for a goroutine started by [`spawn`] and take
/// its result.
pub struct JoinHandle<T> {
    slot: Arc<ResultSlot<T>>,
}

impl<T> JoinHandle<T> {
    /// Wait for the goroutine to finish: `Ok` with its return value, or
    /// `Err` with its panic payload. Parks a calling goroutine; blocks a
    /// calling thread.
    #[track_caller]
    pub fn join(self) -> std::thread::Result<T> {
        self.slot.wait()
    }

    /// Whether the goroutine has finished (its result is ready).
    pub fn is_finished(&self) -> bool {
        self.slot.is_filled()
    }
}

/// Where a goroutine leaves its result (or panic) for the one handle that
/// joins it: a result slot and a waiter slot under one lock.
pub(crate) struct ResultSlot<T> {
    state: Mutex<JoinState<T>>,
}

struct JoinState<T> {
    result: Option<std::thread::Result<T>>,
    waiter: Option<Waiter>,
}

impl<T> ResultSlot<T> {
    pub(crate) fn new() -> Self {
        ResultSlot {
            state: Mutex::new(JoinState {
                result: None,
                waiter: None,
            }),
        }
    }

    /// Store the goroutine's result and wake the joiner, if one waits.
    #[inline(never)]
    pub(crate) fn fill(&self, result: std::thread::Result<T>) {
        let waiter = {
            let mut state = self.state.lock();
            state.result = Some(result);
            state.waiter.take()
        };
        if let Some(w) = waiter {
            w.wake();
        }
    }

    /// Park until the result is there, and take it.
    #[track_caller]
    #[inline(never)]
    pub(crate) fn wait(&self) -> std::thread::Result<T> {
        loop {
            {
                let mut state = self.state.lock();
                if let Some(result) = state.result.take() {
                    return result;
                }
                state.waiter = Some(Waiter::current());
            }
            park(WaitReason::Join);
        }
    }

    #[inline(never)]
    pub(crate) fn is_filled(&self) -> bool {
        self.state.lock().result.is_some()
    }

    /// The result, if it is there and nobody took it.
    #[inline(never)]
    pub(crate) fn take(&self) -> Option<std::thread::Result<T>> {
        self.state.lock().result.take()
    }
}

// The shared state is a result slot and a waiter slot, each replaced whole
// under the lock, so a panic cannot leave it half-written.
impl<T> std::panic::UnwindSafe for JoinHandle<T> {}
impl<T> std::panic::RefUnwindSafe for JoinHandle<T> {}

impl<T> std::fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinHandle")
            .field("finished", &self.is_finished())
            .finish()
    }
}

/// What `#[gort::main]` expands to: run the body as goroutine 1; a panic in
/// it ends the process with status 2, as in Go.
#[track_caller]
pub(crate) fn main<T, F>(f: F) -> T
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let body = move || {
        crate::panic::main_started();
        f()
    };
    match spawn(body).join() {
        Ok(v) => v,
        Err(_) => crate::panic::exit_after_panic(),
    }
}

/// A value that reports, when dropped, which goroutine dropped it (0: none),
/// for tests of `release`'s callers.
#[cfg(all(test, not(loom)))]
pub(crate) fn drop_probe() -> (impl Send + Sync + 'static, std::sync::mpsc::Receiver<u64>) {
    struct Probe(parking_lot::Mutex<std::sync::mpsc::Sender<u64>>);
    impl Drop for Probe {
        fn drop(&mut self) {
            let _ = self.0.lock().send(crate::runtime::goroutine_id());
        }
    }
    let (tx, rx) = std::sync::mpsc::channel();
    (Probe(parking_lot::Mutex::new(tx)), rx)
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_last_reference_released_off_a_goroutine_is_dropped_on_one() {
        let (probe, dropped) = drop_probe();
        release(Arc::new(probe));
        let by = dropped.recv_timeout(Duration::from_secs(10)).unwrap();
        assert_ne!(by, 0, "dropped outside any goroutine");
    }

    #[test]
    fn a_reference_that_is_not_the_last_is_only_released() {
        let (probe, dropped) = drop_probe();
        let shared = Arc::new(probe);
        release(Arc::clone(&shared));
        assert!(dropped.recv_timeout(Duration::from_millis(50)).is_err());
        drop(shared);
        assert_eq!(dropped.recv().unwrap(), 0, "dropped here, by the owner");
    }
}
