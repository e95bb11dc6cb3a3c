//! `ErrGroup`: golang.org/x/sync/errgroup — run fallible goroutines, wait
//! for all of them, get the first error.
//!
//! Built on the package's own pieces: a [`WaitGroup`] counts the running
//! goroutines, a [`Semaphore`] enforces the optional limit, and the first
//! error (or panic) is kept under a small lock. Everything a goroutine did
//! happens-before `wait` returns (the WaitGroup orders it).

use super::{Semaphore, WaitGroup};
use std::any::Any;
use std::fmt;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::Arc;

/// A group of goroutines working on parts of one task (Go's
/// `errgroup.Group`): [`go`](ErrGroup::go) starts one, [`wait`](ErrGroup::wait)
/// waits for all and returns the first error any of them returned.
///
/// Differences from Go: a panic in a group's goroutine does not end the
/// process; `wait` re-raises it in the caller, as a scoped thread's join
/// does. (x/sync propagated panics to `Wait` for a while and reverted it:
/// a delayed panic is harder to find. gort prints the panic's message and
/// backtrace when it happens, so it is not hidden meanwhile.) The first
/// error is moved out by the first `wait` that sees it, where Go returns it
/// again from every later `Wait`: later waits return `Ok(())`, and errors
/// after it are dropped, as Go ignores every error after the first. Clones
/// share the group.
///
/// ```
/// use gort::sync::ErrGroup;
///
/// gort::run(|| {
///     let g = ErrGroup::new();
///     for i in 0..5 {
///         g.go(move || if i == 3 { Err(format!("part {i} failed")) } else { Ok(()) });
///     }
///     assert_eq!(g.wait(), Err("part 3 failed".to_string()));
/// });
/// ```
pub struct ErrGroup<E> {
    shared: Arc<Shared<E>>,
}

struct Shared<E> {
    wg: WaitGroup,
    first: parking_lot::Mutex<Outcome<E>>,
    limit: parking_lot::Mutex<Option<Arc<Semaphore>>>,
    on_error: Option<Box<dyn Fn() + Send + Sync>>,
}

/// The first failure, if any: an error, or a panic (which wins over later
/// errors and is re-raised by `wait`).
enum Outcome<E> {
    Fine,
    Failed(E),
    Panicked(Box<dyn Any + Send>),
    Reported,
}

impl<E: Send + 'static> ErrGroup<E> {
    /// An empty group with no limit.
    pub fn new() -> ErrGroup<E> {
        Self::build(None)
    }

    /// A group and a child context of `parent` that is cancelled the first
    /// time one of the group's goroutines fails (returns an error or
    /// panics), or else when `wait` returns (Go's `errgroup.WithContext`).
    /// Hand the context to the goroutines so the others can stop early.
    pub fn with_context(
        parent: &crate::context::Context,
    ) -> (ErrGroup<E>, crate::context::Context) {
        let (ctx, cancel) = crate::context::with_cancel(parent);
        (Self::build(Some(Box::new(move || cancel.cancel()))), ctx)
    }

    fn build(on_error: Option<Box<dyn Fn() + Send + Sync>>) -> ErrGroup<E> {
        ErrGroup {
            shared: Arc::new(Shared {
                wg: WaitGroup::new(),
                first: parking_lot::Mutex::new(Outcome::Fine),
                limit: parking_lot::Mutex::new(None),
                on_error,
            }),
        }
    }

    /// Let at most `n` of the group's goroutines run at once: `go` then
    /// parks its caller until one finishes (Go's `SetLimit`).
    ///
    /// # Panics
    /// If `n` is 0 (Go's `SetLimit(0)` would make every `go` wait for
    /// ever), or if goroutines started under an earlier limit are running
    /// (as Go; goroutines started with no limit set are not counted, in Go
    /// either). Unlike Go there is no negative "no limit": a limit, once
    /// set, stays.
    // Never inlined (nor `go`, `try_go`, `wait`): they take thread-blocking
    // locks, which must not land inside a user's `#[gort::preemptible]`
    // function, where a signal could stop the goroutine holding one.
    #[inline(never)]
    pub fn set_limit(&self, n: usize) {
        assert!(
            n > 0,
            "ErrGroup::set_limit(0): no goroutine could ever start"
        );
        let mut limit = self.shared.limit.lock();
        if let Some(sem) = limit.as_ref() {
            assert!(
                sem.available() == sem.size(),
                "ErrGroup::set_limit while goroutines of the group are running"
            );
        }
        *limit = Some(Arc::new(Semaphore::new(n)));
    }

    /// Run `f` in a new goroutine of the group. With a limit set, parks
    /// the caller until the group has room.
    #[track_caller]
    #[inline(never)]
    pub fn go(&self, f: impl FnOnce() -> Result<(), E> + Send + 'static) {
        let sem = self.shared.limit.lock().clone();
        if let Some(sem) = &sem {
            sem.acquire(1);
        }
        self.start(f, sem);
    }

    /// Like [`go`](ErrGroup::go), but only if the limit leaves room now;
    /// true if started (Go's `TryGo`).
    #[track_caller]
    #[inline(never)]
    pub fn try_go(&self, f: impl FnOnce() -> Result<(), E> + Send + 'static) -> bool {
        let sem = self.shared.limit.lock().clone();
        if let Some(sem) = &sem {
            if !sem.try_acquire(1) {
                return false;
            }
        }
        self.start(f, sem);
        true
    }

    #[track_caller]
    fn start(
        &self,
        f: impl FnOnce() -> Result<(), E> + Send + 'static,
        sem: Option<Arc<Semaphore>>,
    ) {
        self.shared.wg.add(1);
        let shared = Arc::clone(&self.shared);
        crate::runtime::new_goroutine(move || {
            let failure = match catch_unwind(AssertUnwindSafe(f)) {
                Ok(Ok(())) => None,
                Ok(Err(e)) => Some(Outcome::Failed(e)),
                Err(panic) => Some(Outcome::Panicked(panic)),
            };
            if let Some(failure) = failure {
                shared.record(failure);
            }
            if let Some(sem) = sem {
                sem.release(1);
            }
            shared.wg.done();
        });
    }

    /// Wait for every goroutine started so far; return the first error one
    /// of them returned, or re-raise the first panic.
    #[track_caller]
    #[inline(never)]
    pub fn wait(&self) -> Result<(), E> {
        self.shared.wg.wait();
        if let Some(on_error) = &self.shared.on_error {
            on_error();
        }
        let mut first = self.shared.first.lock();
        match std::mem::replace(&mut *first, Outcome::Reported) {
            Outcome::Failed(e) => Err(e),
            Outcome::Panicked(p) => {
                drop(first);
                resume_unwind(p)
            }
            Outcome::Fine | Outcome::Reported => Ok(()),
        }
    }
}

impl<E> Shared<E> {
    /// Keep `failure` if it is the first (a panic also replaces a kept or
    /// reported error: it must not be lost); call `on_error` for the first.
    ///
    /// Whatever is replaced or not kept (the user's `E`) is dropped after
    /// the lock is released: its destructor may park or be preempted, and
    /// a goroutine stopped holding this thread-blocking lock would block
    /// the next one that wants it — on one P, for ever.
    fn record(&self, failure: Outcome<E>) {
        let (first_failure, _dropped_unlocked) = {
            let mut first = self.first.lock();
            match (&*first, &failure) {
                (Outcome::Fine, _) => (true, std::mem::replace(&mut *first, failure)),
                (Outcome::Failed(_) | Outcome::Reported, Outcome::Panicked(_)) => {
                    (false, std::mem::replace(&mut *first, failure))
                }
                _ => (false, failure),
            }
        };
        if first_failure {
            if let Some(on_error) = &self.on_error {
                on_error();
            }
        }
    }
}

impl<E: Send + 'static> Default for ErrGroup<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> Clone for ErrGroup<E> {
    fn clone(&self) -> Self {
        ErrGroup {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<E> fmt::Debug for ErrGroup<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ErrGroup").finish_non_exhaustive()
    }
}
