//! `select!`'s runtime half (cf. Go's runtime/select.go `selectgo`).
//!
//! The macro turns each arm into a typed case (`RecvCase` / `SendCase`)
//! and calls [`select`] with them erased to `CaseRef`s. The algorithm:
//! 1. **Lock order**: sort the cases' channels by address and lock each
//!    distinct channel once, in that order. Two selects over the same
//!    channels therefore never wait for each other's locks in a cycle.
//! 2. **Poll order**: visit the cases in a uniformly random order; the first
//!    that can complete now does, and wins. So no ready case can starve.
//! 3. Nothing ready: with a `default`, unlock and take it. Otherwise enqueue
//!    a sudog for every case, all sharing one `WaitCtx`, unlock, and park.
//! 4. The first waker to claim the context wins (waitq.rs); the woken
//!    goroutine re-locks (in lock order) the channels of the losing cases,
//!    removes their sudogs, and collects the winner's result (the winner's
//!    sudog was already taken off its queue by the waker).
//!
//! Nil cases (an operand of `None`, Go's nil channel) take no part. A
//! select with no live case and no default blocks forever, as in Go.

use super::hchan::{Chan, State};
use super::waitq::{Outcome, Sudog, WaitCtx};
use super::wake_all;
use super::{Receiver, RecvError, SendError, Sender, TryRecvError, TrySendError};
use crate::runtime::park::{park, WaitReason, Waiter};

/// One case of a select, type-erased. Methods marked "locked" run with the
/// case's channel locked by `select`.
trait Case {
    /// The channel, or `None` for a nil case.
    fn chan(&self) -> Option<&dyn ChanLock>;
    /// Locked: complete now if possible.
    fn poll(&mut self) -> Polled;
    /// Locked: wait on the channel as case `index` of `ctx`. The case must
    /// not move, and `ctx` must stay alive, until `dequeue` or `complete`
    /// (`select` borrows both for its whole run).
    fn enqueue(&mut self, ctx: &WaitCtx, index: usize);
    /// Locked: stop waiting (another case won).
    fn dequeue(&mut self);
    /// This case won while waiting: collect its result.
    fn complete(&mut self, closed: bool);
}

/// What polling a case found.
enum Polled {
    /// The case cannot complete now.
    NotReady,
    /// The case completed, and this blocked goroutine (if any) must be
    /// woken once the channels are unlocked.
    Done(Option<Waiter>),
}

/// A channel's lock, whatever its element type.
trait ChanLock {
    fn lock(&self);
    /// # Safety: the caller holds the lock.
    unsafe fn unlock(&self);
    /// When the timer delivering on this channel is due (mod.rs).
    fn timer_due(&self) -> u64;
}

impl<T> ChanLock for Chan<T> {
    fn lock(&self) {
        self.raw_lock();
    }
    fn timer_due(&self) -> u64 {
        self.timer_due.load(std::sync::atomic::Ordering::Relaxed)
    }
    unsafe fn unlock(&self) {
        // SAFETY: forwarded from our caller.
        unsafe { self.raw_unlock() }
    }
}

/// The address that orders a case's channel in the lock order.
fn addr(c: &dyn ChanLock) -> usize {
    c as *const dyn ChanLock as *const () as usize
}

/// The state of a live case's channel, which `select` has locked.
#[allow(clippy::mut_from_ref)]
fn locked<T>(chan: Option<&Chan<T>>) -> &mut State<T> {
    let chan = chan.expect("select only polls, enqueues and dequeues live cases");
    // SAFETY: select calls a case's locked methods only while it holds that
    // case's channel lock, and one at a time, so this is the only reference.
    unsafe { chan.raw_state() }
}

/// A case, erased for [`select`]. Made by `RecvCase::erase` / `SendCase::erase`.
pub struct CaseRef<'a>(&'a mut dyn Case);

/// A receive arm of `select!`.
pub struct RecvCase<'a, T> {
    chan: Option<&'a Chan<T>>,
    result: Option<Result<T, RecvError>>,
    sudog: Option<Sudog<T>>,
}

/// A send arm of `select!`.
pub struct SendCase<'a, T> {
    chan: Option<&'a Chan<T>>,
    /// See `must_send`.
    must_send: bool,
    value: Option<T>,
    result: Option<Result<(), SendError<T>>>,
    sudog: Option<Sudog<T>>,
}

impl<'a, T: Send> RecvCase<'a, T> {
    /// A receive from `rx`; `None` is a nil channel.
    pub fn new(rx: Option<&'a Receiver<T>>) -> Self {
        RecvCase {
            chan: rx.map(|r| &*r.chan),
            result: None,
            sudog: None,
        }
    }
    /// This case, for `select`.
    pub fn erase(&mut self) -> CaseRef<'_> {
        CaseRef(self)
    }
    /// The received value, or `Err` if the channel was closed and drained.
    pub fn into_result(self) -> Result<T, RecvError> {
        self.result
            .expect("select reported this case, so it completed")
    }
}

impl<'a, T: Send> SendCase<'a, T> {
    /// A send of `value` on `tx` whose result the arm binds; `None` is a
    /// nil channel.
    pub fn new(tx: Option<&'a Sender<T>>, value: T) -> Self {
        SendCase {
            chan: tx.map(|t| &*t.chan),
            must_send: false,
            value: Some(value),
            result: None,
            sudog: None,
        }
    }

    /// A send arm without a binding (`tx <- v => …`): as in Go it panics if
    /// the channel was closed with `close`, and if instead every receiver
    /// is gone it never fires — Go would block on a send nobody receives —
    /// so a `select!` over "send or done" picks `done`.
    pub fn must_send(tx: Option<&'a Sender<T>>, value: T) -> Self {
        SendCase {
            must_send: true,
            ..SendCase::new(tx, value)
        }
    }
    /// This case, for `select`.
    pub fn erase(&mut self) -> CaseRef<'_> {
        CaseRef(self)
    }
    /// `Ok` if the value was sent; `Err` with it if the channel was closed.
    pub fn into_result(self) -> Result<(), SendError<T>> {
        self.result
            .expect("select reported this case, so it completed")
    }
    /// The value, when another case was chosen and this one never sent.
    pub(crate) fn into_unsent(self) -> T {
        self.value
            .expect("a case that was not chosen still holds its value")
    }
    /// For a send arm without a binding: as in Go, sending on a closed
    /// channel panics.
    pub fn into_sent(self) {
        if self.into_result().is_err() {
            panic!("send on closed channel");
        }
    }
}

impl<T: Send> Case for RecvCase<'_, T> {
    fn chan(&self) -> Option<&dyn ChanLock> {
        self.chan.map(|c| c as &dyn ChanLock)
    }
    fn poll(&mut self) -> Polled {
        let st = locked(self.chan);
        match st.try_recv() {
            Ok((v, wake)) => {
                self.result = Some(Ok(v));
                Polled::Done(wake)
            }
            Err(TryRecvError::Closed) => {
                self.result = Some(Err(RecvError));
                Polled::Done(None)
            }
            Err(TryRecvError::Empty) => Polled::NotReady,
        }
    }
    fn enqueue(&mut self, ctx: &WaitCtx, index: usize) {
        let st = locked(self.chan);
        let s = self.sudog.insert(Sudog::new(ctx, index, None, false));
        // SAFETY: the sudog lives in this case, which select keeps borrowed
        // (so unmoved) until it dequeues or completes it.
        unsafe { st.enqueue_recv(s) };
    }
    fn dequeue(&mut self) {
        let st = locked(self.chan);
        if let Some(s) = &self.sudog {
            st.recvq.remove(s);
        }
    }
    fn complete(&mut self, closed: bool) {
        let mut s = self.sudog.take().expect("a waiting case has a sudog");
        self.result = Some(if closed {
            Err(RecvError)
        } else {
            Ok(s.take().expect("a sender filled the slot"))
        });
    }
}

impl<T: Send> Case for SendCase<'_, T> {
    fn chan(&self) -> Option<&dyn ChanLock> {
        self.chan.map(|c| c as &dyn ChanLock)
    }
    fn poll(&mut self) -> Polled {
        let st = locked(self.chan);
        let v = self.value.take().expect("an unsent case holds its value");
        match st.try_send(v) {
            Ok(wake) => {
                self.result = Some(Ok(()));
                Polled::Done(wake)
            }
            Err(TrySendError::Closed(v)) if !(self.must_send && st.is_orphaned()) => {
                self.result = Some(Err(SendError(v)));
                Polled::Done(None)
            }
            Err(TrySendError::Closed(v) | TrySendError::Full(v)) => {
                self.value = Some(v);
                Polled::NotReady
            }
        }
    }
    fn enqueue(&mut self, ctx: &WaitCtx, index: usize) {
        let st = locked(self.chan);
        if st.is_closed() {
            return; // orphaned and must send: this case can never fire
        }
        let v = self.value.take().expect("an unsent case holds its value");
        let s = self
            .sudog
            .insert(Sudog::new(ctx, index, Some(v), self.must_send));
        // SAFETY: the sudog lives in this case, which select keeps borrowed
        // (so unmoved) until it dequeues or completes it.
        unsafe { st.enqueue_send(s) };
    }
    fn dequeue(&mut self) {
        let st = locked(self.chan);
        // Remove the sudog from the queue where it is, before moving it.
        if let Some(s) = &self.sudog {
            st.sendq.remove(s);
        }
        if let Some(mut s) = self.sudog.take() {
            // Another case won: this value was never sent; keep it (it is
            // dropped with the case).
            self.value = s.take();
        }
    }
    fn complete(&mut self, closed: bool) {
        let mut s = self.sudog.take().expect("a waiting case has a sudog");
        self.result = Some(if closed {
            Err(SendError(s.take().expect("close leaves the value")))
        } else {
            Ok(())
        });
    }
}

/// A live case: its index in `cases` and its channel's address.
type Entry = (usize, usize);

/// Selects with up to this many arms keep their orders on the stack.
const INLINE_CASES: usize = 8;

/// Run a select over `cases`: `Some(i)` when case `i` completed, `None`
/// when there is a default and nothing was ready.
#[track_caller]
#[inline(never)]
pub fn select(cases: &mut [CaseRef<'_>], has_default: bool) -> Option<usize> {
    crate::checkpoint();
    // The poll order and the lock order, side by side in one buffer.
    let mut inline = [(0, 0); 2 * INLINE_CASES];
    let mut heap;
    let buf: &mut [Entry] = if cases.len() <= INLINE_CASES {
        &mut inline[..2 * cases.len()]
    } else {
        heap = vec![(0, 0); 2 * cases.len()];
        &mut heap
    };
    let (polls, locks) = buf.split_at_mut(cases.len());
    let live = poll_order(cases, polls);
    let (polls, locks) = (&polls[..live], &mut locks[..live]);
    lock_order(polls, locks);
    let locks = &*locks;
    if locks.is_empty() && !has_default {
        select_forever();
    }
    let_due_timers_deliver(cases, locks);
    lock_all(cases, locks, None);
    for &(i, _) in polls {
        if let Polled::Done(wake) = cases[i].0.poll() {
            // As everywhere, wake only after unlocking (cf. Go's recv/send
            // calling unlockf before goready): readying may start an M.
            unlock_all(cases, locks, None);
            wake_all(wake);
            return Some(i);
        }
    }
    if has_default {
        unlock_all(cases, locks, None);
        return None;
    }
    let ctx = WaitCtx::for_current(false);
    for &(i, _) in locks {
        cases[i].0.enqueue(&ctx, i);
    }
    unlock_all(cases, locks, None);
    let Outcome::Fired { case, closed } = ctx.wait(WaitReason::Select) else {
        unreachable!("a select has no deadline of its own");
    };
    // Remove the losing cases' sudogs. The winner's was already popped by
    // its waker, so only channels that hold a losing case need locking.
    lock_all(cases, locks, Some(case));
    for &(i, _) in locks.iter().filter(|&&(i, _)| i != case) {
        cases[i].0.dequeue();
    }
    unlock_all(cases, locks, Some(case));
    cases[case].0.complete(closed);
    Some(case)
}

/// `select! {}`: block forever.
#[track_caller]
#[inline(never)]
pub fn select_forever() -> ! {
    loop {
        park(WaitReason::SelectNoCases);
    }
}

/// If a case's channel belongs to a timer that is past due, yield first so
/// the scheduler runs it: the case is then ready, as in Go (mod.rs, "A
/// timer channel is ready at its time").
fn let_due_timers_deliver(cases: &[CaseRef<'_>], locks: &[Entry]) {
    let past_due = |&&(i, _): &&Entry| {
        let chan = cases[i].0.chan();
        chan.is_some_and(|c| super::timer_past_due(c.timer_due()))
    };
    super::yield_while(|| locks.iter().any(|e| past_due(&e)));
}

/// Write the live cases into `order` in a uniformly random order
/// (Fisher–Yates; cf. Go's pollorder); returns how many there are.
fn poll_order(cases: &[CaseRef<'_>], order: &mut [Entry]) -> usize {
    let mut n = 0;
    for (i, case) in cases.iter().enumerate() {
        if let Some(chan) = case.0.chan() {
            order[n] = (i, addr(chan));
            n += 1;
        }
    }
    for i in (1..n).rev() {
        let j = (crate::runtime::fastrand() % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    n
}

/// The poll order stably sorted by channel address (cf. lockorder): locks
/// are taken in address order, and cases on the same channel keep their
/// random relative order, so they also queue (and win) in random order.
fn lock_order(polls: &[Entry], order: &mut [Entry]) {
    order.copy_from_slice(polls);
    order.sort_by_key(|&(_, addr)| addr);
}

/// Lock each distinct channel of `order` once, in order, leaving out case
/// `skip` (its channel is locked only if another case uses it too).
fn lock_all(cases: &[CaseRef<'_>], order: &[Entry], skip: Option<usize>) {
    let mut last = None;
    for &(i, addr) in order.iter().filter(|&&(i, _)| Some(i) != skip) {
        if last != Some(addr) {
            live_chan(&cases[i]).lock();
            last = Some(addr);
        }
    }
}

/// Undo `lock_all` with the same `order` and `skip`, in reverse order.
fn unlock_all(cases: &[CaseRef<'_>], order: &[Entry], skip: Option<usize>) {
    let mut last = None;
    for &(i, addr) in order.iter().rev().filter(|&&(i, _)| Some(i) != skip) {
        if last != Some(addr) {
            // SAFETY: lock_all locked each distinct channel exactly once.
            unsafe { live_chan(&cases[i]).unlock() };
            last = Some(addr);
        }
    }
}

/// The channel of a case in the poll or lock order (so not a nil case).
fn live_chan<'c>(case: &'c CaseRef<'_>) -> &'c dyn ChanLock {
    case.0.chan().expect("the orders hold live cases only")
}
