//! G: a goroutine — its id, its code (a coroutine, created lazily) and the
//! token protocol that parks and readies it.
//!
//! # Lazy stacks
//! A new G holds only its boxed function. It gets a stack from its P's cache
//! when it first runs, and gives it back when it returns, so a million queued
//! goroutines that have not started cost no stack memory at all.
//!
//! # Park/unpark protocol (cf. gopark/goready)
//! `park_state` is one of three values:
//! * `RUNNING`  — running, runnable, or about to park.
//! * `NOTIFIED` — as RUNNING, but an `unpark` arrived: the next `park` returns
//!   at once (the token is consumed).
//! * `PARKED`   — off its M, waiting; the `unpark` that moves it back to
//!   RUNNING owns the duty to make it runnable.
//!
//! Transitions: `park` (on the G) CASes NOTIFIED→RUNNING and returns, or
//! suspends with `Switch::Park`; the scheduler then, off the G's stack, CASes
//! RUNNING→PARKED, or on failure (an `unpark` came in between: NOTIFIED) sets
//! RUNNING and resumes the G. `unpark` CASes RUNNING→NOTIFIED, or
//! PARKED→RUNNING and readies the G. Exactly one of a racing park and unpark
//! wins each CAS, so a wake-up is never lost and a G is never queued twice.
//! Like `std::thread::park`, a token may make a later `park` return early, so
//! every blocking primitive re-checks its condition in a loop.

use super::coro::{Coro, GYielder};
use super::gfn::GFn;
use crate::loom_shim::AtomicU8;
use std::cell::UnsafeCell;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};

const RUNNING: u8 = 0;
const NOTIFIED: u8 = 1;
const PARKED: u8 = 2;

/// The code of a G, owned by the M that runs it.
pub(crate) enum Body {
    /// Not started: the function, no stack yet.
    New(GFn),
    /// Started: the coroutine, holding the G's stack.
    Started(Coro),
    /// Finished (or being finished).
    Done,
}

/// A goroutine. Shared as `Arc<G>` by run queues, wakers and its M.
pub(crate) struct G {
    pub(crate) id: u64,
    park_state: AtomicU8,
    /// The yielder the G suspends through: set when the coroutine starts,
    /// read only by code running on the G.
    yielder: std::sync::atomic::AtomicPtr<GYielder>,
    /// Touched only by the M that currently runs the G (see the Sync impl).
    body: UnsafeCell<Body>,
    /// Goroutine-local storage (`crate::sync::local`): touched only by code
    /// running on this G; emptied on the G's own stack before it exits.
    locals: UnsafeCell<Option<Box<dyn std::any::Any + Send>>>,
    /// Whether `locals` is currently lent out (see `borrow_locals`).
    locals_borrowed: std::sync::atomic::AtomicBool,
}

/// Marks a G's local storage as lent out until dropped.
pub(crate) struct LocalsBorrow<'a>(&'a std::sync::atomic::AtomicBool);

impl Drop for LocalsBorrow<'_> {
    fn drop(&mut self) {
        self.0.store(false, Relaxed);
    }
}

// SAFETY: `body` is accessed only by the M that runs the G, and a G runs on
// at most one M at a time: it reaches an M only by being popped from exactly
// one run queue (the park protocol above guarantees it is queued at most
// once), with acquire/release ordering on the queue. All other fields are
// atomics. The boxed function is `Send`; the coroutine is `Send` (coro.rs).
unsafe impl Sync for G {}
// SAFETY: as above; all contents are Send.
unsafe impl Send for G {}

impl G {
    /// A G that will run `f`.
    pub(crate) fn new<F: FnOnce() + Send + 'static>(id: u64, f: F) -> G {
        let mut func = GFn::empty();
        func.set(f);
        G {
            id,
            park_state: AtomicU8::new(RUNNING),
            yielder: std::sync::atomic::AtomicPtr::new(std::ptr::null_mut()),
            body: UnsafeCell::new(Body::New(func)),
            locals: UnsafeCell::new(None),
            locals_borrowed: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Reuse a finished G (one nobody else references, from a free list)
    /// for a new goroutine (cf. gfget).
    pub(crate) fn reuse<F: FnOnce() + Send + 'static>(&mut self, id: u64, f: F) {
        debug_assert!(matches!(self.body.get_mut(), Body::Done));
        self.id = id;
        self.park_state.store(RUNNING, Relaxed);
        self.yielder.store(std::ptr::null_mut(), Relaxed);
        let mut func = GFn::empty();
        func.set(f);
        *self.body.get_mut() = Body::New(func);
    }

    /// On the G: its goroutine-local storage slot.
    ///
    /// # Safety
    /// Only code running on this G may call this, and not while another
    /// reference returned by it is alive.
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn locals(&self) -> &mut Option<Box<dyn std::any::Any + Send>> {
        // SAFETY: exclusivity is the caller's contract.
        unsafe { &mut *self.locals.get() }
    }

    /// On the G: lend out `locals`, refusing a second, nested loan.
    pub(crate) fn borrow_locals(&self) -> LocalsBorrow<'_> {
        assert!(
            !self.locals_borrowed.swap(true, Relaxed),
            "goroutine-local storage used re-entrantly (from inside its own `with`)"
        );
        LocalsBorrow(&self.locals_borrowed)
    }

    /// On the G: run the goroutine's function, then drop its goroutine-local
    /// values while still on its stack (their destructors may block).
    pub(crate) fn run(&self, mut f: GFn) {
        f.call();
        // Destructors may create new locals; repeat until none are left, so
        // a recycled G starts with empty storage.
        loop {
            let locals = {
                let _borrow = self.borrow_locals();
                // SAFETY: we run on this G and the borrow guard makes this the
                // only reference to the slot.
                unsafe { self.locals() }.take()
            };
            match locals {
                Some(l) => drop(l), // outside the borrow: it may use locals
                None => break,
            }
        }
    }

    /// On the G, when its coroutine starts.
    pub(crate) fn set_yielder(&self, y: &GYielder) {
        self.yielder
            .store(y as *const GYielder as *mut GYielder, Relaxed);
    }

    /// On the G: hand the thread back to the scheduler.
    pub(crate) fn suspend(&self, why: super::coro::Switch) {
        let y = self.yielder.load(Relaxed);
        // SAFETY: only code running on this G calls suspend, after its
        // coroutine started and stored the yielder, which lives on the G's
        // own stack for as long as the coroutine runs.
        unsafe { &*y }.suspend(why);
    }

    /// The G's code.
    ///
    /// # Safety
    /// Only the M running this G may call this, and not while another
    /// reference returned by it is alive.
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn body(&self) -> &mut Body {
        // SAFETY: exclusivity is the caller's contract.
        unsafe { &mut *self.body.get() }
    }

    /// On the G: consume a pending token. True if there was one.
    pub(crate) fn take_token(&self) -> bool {
        // Look before the CAS: usually there is no token, and a failed CAS
        // costs as much as a successful one.
        self.park_state.load(Relaxed) == NOTIFIED
            && self
                .park_state
                .compare_exchange(NOTIFIED, RUNNING, Acquire, Relaxed)
                .is_ok()
    }

    /// In the scheduler, after the G suspended with `Switch::Park`: commit
    /// the park. False if a token arrived meanwhile (the G must run again).
    pub(crate) fn commit_park(&self) -> bool {
        match self
            .park_state
            .compare_exchange(RUNNING, PARKED, AcqRel, Acquire)
        {
            Ok(_) => true,
            Err(_) => {
                self.park_state.store(RUNNING, Release);
                false
            }
        }
    }

    /// From anywhere: wake the G. Returns true if the caller must now make
    /// it runnable (it was parked); false if it will see the token itself.
    #[must_use]
    pub(crate) fn unpark(&self) -> bool {
        let mut s = self.park_state.load(Acquire);
        loop {
            let (from, to) = match s {
                RUNNING => (RUNNING, NOTIFIED),
                PARKED => (PARKED, RUNNING),
                _ => return false, // NOTIFIED: a token is already pending
            };
            match self.park_state.compare_exchange(from, to, AcqRel, Acquire) {
                Ok(_) => return from == PARKED,
                Err(actual) => s = actual,
            }
        }
    }
}

impl Drop for G {
    fn drop(&mut self) {
        // A G dropped while parked forever (nobody can wake it) is leaked, as
        // Go leaks a goroutine blocked forever: unwinding its stack here, on
        // whatever thread dropped the last reference, could run its
        // destructors while that thread holds locks.
        let body = std::mem::replace(self.body.get_mut(), Body::Done);
        if matches!(body, Body::Started(..)) {
            std::mem::forget(body);
        }
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::G;
    use loom::sync::Arc;

    /// What happened to a parking G, as seen by the G and its M.
    #[derive(Debug, PartialEq)]
    enum Parker {
        TookToken,
        RanAgain,
        Parked,
    }

    /// A G parks while a waker unparks it: the G continues exactly once —
    /// by a token, by being run again by its M, or by the waker readying it.
    #[test]
    fn park_and_unpark_never_lose_or_double_a_wakeup() {
        loom::model(|| {
            let g = Arc::new(G::new(1, || ()));
            let waker = {
                let g = g.clone();
                loom::thread::spawn(move || g.unpark())
            };
            let parker = if g.take_token() {
                Parker::TookToken
            } else if g.commit_park() {
                Parker::Parked
            } else {
                Parker::RanAgain
            };
            let readied = waker.join().unwrap();
            match parker {
                Parker::Parked => assert!(readied, "lost wake-up: parked and never readied"),
                _ => assert!(!readied, "double wake-up: {parker:?} and readied"),
            }
        });
    }
}
