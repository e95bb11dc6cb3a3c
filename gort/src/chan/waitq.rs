//! Waiting on channels: `WaitCtx` (one per blocked operation or `select!`),
//! `Sudog` (one per channel a blocked goroutine waits on, named after Go's
//! `sudog`) and the FIFO `WaitQueue` of sudogs each channel keeps for its
//! blocked senders and receivers.
//!
//! # The claim protocol (cf. Go's `selectDone`)
//! A goroutine blocked in a `select!` waits on several channels at once, so
//! several wakers may race for it. `WaitCtx::state` decides:
//! `WAITING` → `CLAIMED` by exactly one waker's CAS (or → `TIMED_OUT` by
//! its timer); the winner moves the value through the sudog's slot,
//! publishes the outcome with a release store (`publish`) and, once it has
//! released the channel lock, wakes the goroutine. The goroutine waits until the state is final (neither
//! `WAITING` nor `CLAIMED`) before it reads the slot, so it never sees a
//! half-moved value. A waker whose CAS fails drops that sudog: its owner
//! already won elsewhere (or timed out) and will remove the rest.
//!
//! # Who touches a sudog's slot
//! Its owner, while enqueueing it (under the channel lock) and after the
//! outcome is final; the one waker that claimed the context, under the
//! channel lock, before publishing. Never two at once.

use crate::runtime::park::{park, Waiter};
use std::cell::UnsafeCell;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering::*};
use std::sync::Arc;

const WAITING: usize = 0;
const CLAIMED: usize = 1;
const TIMED_OUT: usize = 2;
/// Final states from here on: `FIRED + 2 * case + closed`.
const FIRED: usize = 4;

/// How a blocked operation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Case `case` completed; `closed` if it was completed by `close`.
    Fired { case: usize, closed: bool },
    /// Its deadline passed first.
    TimedOut,
}

/// The shared state of one blocked operation.
pub(crate) struct WaitCtx {
    state: AtomicUsize,
    waiter: Waiter,
}

impl WaitCtx {
    /// A context for the calling goroutine (or thread).
    pub(crate) fn for_current() -> WaitCtx {
        WaitCtx {
            state: AtomicUsize::new(WAITING),
            waiter: Waiter::current(),
        }
    }

    /// A waker's first step: win the right to complete this operation.
    pub(crate) fn try_claim(&self) -> bool {
        self.state
            .compare_exchange(WAITING, CLAIMED, Acquire, Relaxed)
            .is_ok()
    }

    /// A waker's second step, after moving the value (still under the
    /// channel lock): publish the outcome. Then, after unlocking, `wake`.
    pub(crate) fn publish(&self, case: usize, closed: bool) {
        debug_assert_eq!(self.state.load(Relaxed), CLAIMED, "publish without a claim");
        self.state
            .store(FIRED + 2 * case + closed as usize, Release);
    }

    /// Wake the owner (after `publish`, outside the channel lock).
    pub(crate) fn wake(&self) {
        self.waiter.wake();
    }

    /// The timer's step: give up waiting, unless a waker got there first.
    pub(crate) fn time_out(&self) {
        if self
            .state
            .compare_exchange(WAITING, TIMED_OUT, AcqRel, Relaxed)
            .is_ok()
        {
            self.waiter.wake();
        }
    }

    /// The owner: park until the outcome is final.
    pub(crate) fn wait(&self) -> Outcome {
        loop {
            match self.state.load(Acquire) {
                WAITING | CLAIMED => park(),
                TIMED_OUT => return Outcome::TimedOut,
                s => {
                    let n = s - FIRED;
                    return Outcome::Fired {
                        case: n / 2,
                        closed: n % 2 == 1,
                    };
                }
            }
        }
    }
}

/// Where a sudog's `WaitCtx` lives: inside it, for a plain send or
/// receive (one allocation per blocked operation), or shared by all the
/// sudogs of one `select!`.
enum CtxSlot {
    Own(WaitCtx),
    Shared(Arc<WaitCtx>),
}

/// One goroutine waiting on one channel, for case `case` of its operation.
pub(crate) struct Sudog<T> {
    ctx: CtxSlot,
    pub(crate) case: usize,
    /// A `select!` send arm without a binding (see `SendCase::must_send`).
    pub(crate) must_send: bool,
    /// A send's value (taken by the receiver), or a receive's destination
    /// (filled by the sender). See the module docs for who may touch it.
    slot: UnsafeCell<Option<T>>,
}

// SAFETY: the slot is touched by one thread at a time, handed over through
// the channel lock and the WaitCtx state's release/acquire (module docs);
// values of T move between threads, hence T: Send.
unsafe impl<T: Send> Sync for Sudog<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Send for Sudog<T> {}

impl<T> Sudog<T> {
    /// A sudog for case `case` of a select sharing `ctx`.
    pub(crate) fn shared(
        ctx: &Arc<WaitCtx>,
        case: usize,
        value: Option<T>,
        must_send: bool,
    ) -> Arc<Sudog<T>> {
        let ctx = CtxSlot::Shared(ctx.clone());
        Arc::new(Sudog {
            ctx,
            case,
            must_send,
            slot: UnsafeCell::new(value),
        })
    }

    /// A sudog for a plain send (`value`) or receive (`None`) by the caller.
    pub(crate) fn single(value: Option<T>) -> Arc<Sudog<T>> {
        let ctx = CtxSlot::Own(WaitCtx::for_current());
        Arc::new(Sudog {
            ctx,
            case: 0,
            must_send: false,
            slot: UnsafeCell::new(value),
        })
    }

    /// The operation this sudog is part of.
    pub(crate) fn ctx(&self) -> &WaitCtx {
        match &self.ctx {
            CtxSlot::Own(c) => c,
            CtxSlot::Shared(c) => c,
        }
    }

    /// Take the slot's value.
    ///
    /// # Safety
    /// The caller is the waker that claimed `ctx` (holding the channel
    /// lock), or the owner after `ctx.wait()` returned.
    pub(crate) unsafe fn take(&self) -> Option<T> {
        // SAFETY: exclusive access per the caller's contract.
        unsafe { (*self.slot.get()).take() }
    }

    /// Put a value in the slot.
    ///
    /// # Safety
    /// As for `take`.
    pub(crate) unsafe fn put(&self, v: T) {
        // SAFETY: exclusive access per the caller's contract.
        unsafe { *self.slot.get() = Some(v) };
    }
}

/// A channel's FIFO of blocked senders or receivers (cf. Go's `waitq`).
pub(crate) struct WaitQueue<T> {
    q: VecDeque<Arc<Sudog<T>>>,
}

impl<T> WaitQueue<T> {
    pub(crate) fn new() -> Self {
        WaitQueue { q: VecDeque::new() }
    }

    pub(crate) fn push(&mut self, s: Arc<Sudog<T>>) {
        self.q.push_back(s);
    }

    /// The first waiter that can still be claimed, claimed; waiters that
    /// were already won elsewhere are dropped on the way (cf. dequeue).
    pub(crate) fn claim_first(&mut self) -> Option<Arc<Sudog<T>>> {
        while let Some(s) = self.q.pop_front() {
            if s.ctx().try_claim() {
                return Some(s);
            }
        }
        None
    }

    /// Whether some waiter could still be claimed (for invariant checks).
    pub(crate) fn has_live(&self) -> bool {
        self.q
            .iter()
            .any(|s| s.ctx().state.load(Relaxed) == WAITING)
    }

    /// Remove `s` if it is still queued (its owner is done waiting).
    pub(crate) fn remove(&mut self, s: &Arc<Sudog<T>>) {
        if let Some(i) = self.q.iter().position(|x| Arc::ptr_eq(x, s)) {
            self.q.remove(i);
        }
    }

    /// Every waiter, for `close`.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = Arc<Sudog<T>>> + '_ {
        self.q.drain(..)
    }
}
