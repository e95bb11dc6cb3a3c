//! Waiting on channels: `WaitCtx` (one per blocked operation or `select!`),
//! `Sudog` (one per channel a blocked goroutine waits on, named after Go's
//! `sudog`) and the FIFO `WaitQueue` each channel keeps for its blocked
//! senders and receivers.
//!
//! # Where they live
//! A blocked goroutine's stack stays where it is while it waits, so its
//! `WaitCtx` and sudogs live in the blocked function's own frame (a send or
//! receive, or a `select!` and its cases), and the queues hold pointers to
//! them: blocking allocates nothing. Only an operation with a deadline puts
//! its `WaitCtx` in an `Arc`, shared with the timer that may fire after the
//! operation returned.
//!
//! # The claim protocol (cf. Go's `selectDone`)
//! A goroutine blocked in a `select!` waits on several channels at once, so
//! several wakers may race for it. `WaitCtx::state` decides:
//! `WAITING` → `CLAIMED` by exactly one waker's CAS (or → `TIMED_OUT` by
//! its timer); the winner moves the value through the sudog's slot, takes a
//! handle to the goroutine, and publishes the outcome with a release store;
//! it wakes the goroutine through its handle, after unlocking the channel.
//! The goroutine waits until the state is final (neither `WAITING` nor
//! `CLAIMED`) before it reads the slot, so it never sees a half-moved value.
//! A waker whose CAS fails drops that sudog from the queue: its owner won
//! elsewhere (or timed out) and removes its remaining sudogs itself.
//!
//! # Lifetime invariant (what makes the pointers sound)
//! A sudog pointer is in a queue only while its owner is inside the
//! blocking call, and the owner leaves that call only after (1) its outcome
//! is final and (2) it has removed, under each channel's lock, every sudog
//! of its that is still queued. A waker reads a sudog only under the
//! channel lock, while the pointer is (or was just popped from) the queue,
//! and stops touching the sudog and its context once it has published:
//! `WaitCtx::publish` takes a raw pointer and its release store is the last
//! access, since the owner may free both the moment that store is visible.

use crate::runtime::park::{park, WaitReason, Waiter};
use std::cell::UnsafeCell;
use std::collections::VecDeque;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering::*};

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
    /// A plain send or receive without a deadline: one sudog in one queue
    /// and no timer, so only that channel's lock holder ever claims it and
    /// the claim needs no CAS.
    exclusive: bool,
    /// Whom to wake. Taken (moved out) only by whoever won `state` — a
    /// claiming waker or the timer — so exactly once, by one thread.
    waiter: UnsafeCell<Option<Waiter>>,
}

// SAFETY: `waiter` is touched only by the single winner of the `state` CAS
// (see the field docs) and by the owner when it drops the context, after
// every waker is done with it (the lifetime invariant).
unsafe impl Sync for WaitCtx {}

impl WaitCtx {
    /// A context for the calling goroutine (or thread); `exclusive` when
    /// it will have one sudog and no timer (see the field).
    pub(crate) fn for_current(exclusive: bool) -> WaitCtx {
        WaitCtx {
            state: AtomicUsize::new(WAITING),
            exclusive,
            waiter: UnsafeCell::new(Some(Waiter::current())),
        }
    }

    /// The winner of `state` takes the waiter.
    ///
    /// # Safety
    /// The caller has just won the `state` CAS.
    unsafe fn take_waiter(&self) -> Waiter {
        // SAFETY: only the CAS winner reaches here, once (caller contract).
        unsafe { (*self.waiter.get()).take() }.expect("the waiter is taken once")
    }

    /// A waker's first step: win the right to complete this operation.
    fn try_claim(&self) -> bool {
        if self.exclusive {
            // Nobody else can race: see the field. (We hold the lock of the
            // only queue the sudog was in, and it was still there.)
            debug_assert_eq!(self.state.load(Relaxed), WAITING);
            self.state.store(CLAIMED, Relaxed);
            return true;
        }
        self.state
            .compare_exchange(WAITING, CLAIMED, Acquire, Relaxed)
            .is_ok()
    }

    /// A waker's last step, after moving the value (under the channel
    /// lock): publish the outcome and return whom to wake.
    ///
    /// The owner may return, and free the context (its stack frame, or its
    /// `Arc`), as soon as the store is visible. So this takes a raw pointer
    /// rather than `&self` — a reference argument would be asserted live
    /// for the whole call (rust-lang/rust#55005) — and the store is its
    /// last access to the context.
    ///
    /// # Safety
    /// `ctx` is alive and its state is CLAIMED by the caller (the lifetime
    /// invariant in the module docs); the caller does not touch the context
    /// (nor its sudogs) afterwards.
    unsafe fn publish(ctx: NonNull<WaitCtx>, case: usize, closed: bool) -> Waiter {
        let ctx = ctx.as_ptr();
        debug_assert_eq!(
            // SAFETY: alive until our store below (caller contract).
            unsafe { &(*ctx).state }.load(Relaxed),
            CLAIMED,
            "publish without a claim"
        );
        // SAFETY: a CLAIMED state means our caller won the CAS; the context
        // is alive until the store below.
        let waiter = unsafe { (*ctx).take_waiter() };
        // SAFETY: as above. The store is the last use of `ctx`.
        unsafe { &(*ctx).state }.store(FIRED + 2 * case + closed as usize, Release);
        waiter
    }

    /// The timer's step: give up waiting, unless a waker got there first.
    pub(crate) fn time_out(&self) {
        if self
            .state
            .compare_exchange(WAITING, TIMED_OUT, AcqRel, Relaxed)
            .is_ok()
        {
            // SAFETY: we just won the CAS.
            unsafe { self.take_waiter() }.wake();
        }
    }

    /// The owner: park (for `reason`) until the outcome is final.
    #[track_caller]
    pub(crate) fn wait(&self, reason: WaitReason) -> Outcome {
        loop {
            match self.state.load(Acquire) {
                WAITING | CLAIMED => park(reason),
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

    fn is_waiting(&self) -> bool {
        self.state.load(Relaxed) == WAITING
    }
}

/// One goroutine waiting on one channel, for case `case` of its operation.
/// It lives in the blocked function's frame; see the lifetime invariant.
pub(crate) struct Sudog<T> {
    ctx: NonNull<WaitCtx>,
    case: usize,
    /// A `select!` send arm without a binding (see `SendCase::must_send`).
    pub(crate) must_send: bool,
    /// A send's value (taken by the receiver), or a receive's destination
    /// (filled by the sender).
    slot: UnsafeCell<Option<T>>,
}

impl<T> Sudog<T> {
    /// A sudog for case `case` of the operation `ctx`; `ctx` must outlive
    /// the sudog's time in any queue (it lives in the same frame, or in an
    /// `Arc` the owner holds).
    pub(crate) fn new(ctx: &WaitCtx, case: usize, value: Option<T>, must_send: bool) -> Sudog<T> {
        Sudog {
            ctx: NonNull::from(ctx),
            case,
            must_send,
            slot: UnsafeCell::new(value),
        }
    }

    fn ctx(&self) -> &WaitCtx {
        // SAFETY: the context outlives the sudog's time in a queue (new's
        // contract), and we are only called on queued sudogs or by the owner.
        unsafe { self.ctx.as_ref() }
    }

    /// The owner, once its outcome is final and this sudog is out of every
    /// queue: take the slot's value (an unsent value, or a received one).
    pub(crate) fn take(&mut self) -> Option<T> {
        self.slot.get_mut().take()
    }
}

/// A channel's FIFO of blocked senders or receivers (cf. Go's `waitq`).
pub(crate) struct WaitQueue<T> {
    q: VecDeque<NonNull<Sudog<T>>>,
}

impl<T> WaitQueue<T> {
    pub(crate) fn new() -> Self {
        WaitQueue { q: VecDeque::new() }
    }

    /// Queue `s`.
    ///
    /// # Safety
    /// `s` must stay where it is, alive, until it is claimed or removed
    /// (the lifetime invariant in the module docs), and the caller holds
    /// the channel lock.
    pub(crate) unsafe fn push(&mut self, s: &Sudog<T>) {
        self.q.push_back(NonNull::from(s));
    }

    /// Remove `s` if it is still queued (its owner is done waiting).
    pub(crate) fn remove(&mut self, s: &Sudog<T>) {
        let s = NonNull::from(s);
        if let Some(i) = self.q.iter().position(|&x| x == s) {
            self.q.remove(i);
        }
    }

    /// Claim the first waiter whose operation can still be claimed, give
    /// its slot to `exchange` (which takes or fills it), publish, and
    /// return whom to wake. Waiters already won elsewhere are dropped on
    /// the way (cf. dequeue).
    fn claim_first(&mut self, exchange: impl FnOnce(&mut Option<T>)) -> Option<Waiter> {
        while let Some(p) = self.q.pop_front() {
            // SAFETY: a queued pointer is alive (lifetime invariant), and we
            // hold the channel lock, under which alone its slot is touched.
            let s = unsafe { p.as_ref() };
            if s.ctx().try_claim() {
                // SAFETY: as above; claiming made us the slot's only user.
                exchange(unsafe { &mut *s.slot.get() });
                // SAFETY: we claimed the context, and neither it nor `s` is
                // touched after this (its owner may free both at once).
                return Some(unsafe { WaitCtx::publish(s.ctx, s.case, false) });
            }
        }
        None
    }

    /// Hand `v` to the first claimable receiver; `Err(v)` if there is none.
    pub(crate) fn give(&mut self, v: T) -> Result<Waiter, T> {
        let mut v = Some(v);
        match self.claim_first(|slot| *slot = v.take()) {
            Some(w) => Ok(w),
            None => Err(v.take().expect("not handed over")),
        }
    }

    /// Take the value of the first claimable sender.
    pub(crate) fn take(&mut self) -> Option<(T, Waiter)> {
        let mut v = None;
        let w = self.claim_first(|slot| v = slot.take())?;
        Some((v.expect("a blocked sender holds its value"), w))
    }

    /// `close`: release every waiter with "closed" (a sender keeps its
    /// value in its slot). With `orphaned`, sudogs that must send are only
    /// dropped from the queue: they can never fire (see `SendCase`).
    pub(crate) fn close_all(&mut self, orphaned: bool, wakes: &mut Vec<Waiter>) {
        for p in self.q.drain(..) {
            // SAFETY: a queued pointer is alive, and we hold the lock.
            let s = unsafe { p.as_ref() };
            if !(orphaned && s.must_send) && s.ctx().try_claim() {
                // SAFETY: we claimed the context, and neither it nor `s` is
                // touched after this (its owner may free both at once).
                wakes.push(unsafe { WaitCtx::publish(s.ctx, s.case, true) });
            }
        }
    }

    /// Whether some waiter could still be claimed (for invariant checks).
    pub(crate) fn has_live(&self) -> bool {
        // SAFETY: queued pointers are alive; we hold the lock.
        self.q
            .iter()
            .any(|p| unsafe { p.as_ref() }.ctx().is_waiting())
    }
}
