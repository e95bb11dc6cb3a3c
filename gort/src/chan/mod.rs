//! Channels: Go's `chan T`, split into typed ends — [`Sender`] (`chan<- T`)
//! and [`Receiver`] (`<-chan T`) — made by [`chan`](crate::chan()).
//!
//! Files: `hchan.rs` the channel and its locked protocol; `zero.rs` and
//! `array.rs` the unbuffered and buffered flavors; `waitq.rs` how blocked
//! goroutines wait; `select.rs` the `select!` algorithm; `error.rs` the
//! errors, each of which hands back an unsent value.
//!
//! # A timer channel is ready at its time
//! Timers deliver from the scheduler (runtime/timer.rs), so a timer whose
//! time has come may not have sent yet: Go 1.23 runs such a timer when its
//! channel is received from. Here a timer's channel carries its due time
//! (`Chan::timer_due`, set by time.rs), and a receive or `select!` that
//! finds one past due first yields — the scheduler runs due timers before
//! anything else — and then looks. So `select!` between a ready channel and
//! `after(ZERO)` picks either, as Go's does, and a loop polling a timer with
//! `try_recv` sees it at its time, not when the runtime next runs timers.
//!
//! A blocked goroutine parks and its thread runs others; on a plain OS
//! thread the same calls block the thread, so channels also connect
//! goroutines to the rest of a program. A sender that finds a receiver
//! waiting hands the value over directly and makes the receiver runnable in
//! its own P's `runnext`, so a producer/consumer pair ping-pongs on one P.

mod array;
mod error;
mod hchan;
mod select;
mod waitq;
mod zero;

pub use error::{
    RecvCtxError, RecvError, RecvTimeoutError, SendCtxError, SendError, SendTimeoutError,
    TryRecvError, TrySendError,
};
#[doc(hidden)]
pub use select::{select, select_forever, CaseRef, RecvCase, SendCase};

use crate::runtime::park::{WaitReason, Waiter};
use crate::runtime::timer;
use hchan::{Chan, Locked, OrphanHook};
use std::fmt;
use std::sync::atomic::Ordering::*;
use std::sync::Arc;
use std::time::{Duration, Instant};
use waitq::{Outcome, Sudog, WaitCtx};

/// Make a channel with room for `cap` values; `cap == 0` is unbuffered (a
/// send waits for a receiver), as Go's `make(chan T, cap)`.
///
/// ```
/// gort::run(|| {
///     let (tx, rx) = gort::chan::<i32>(0);
///     gort::go!(move || {
///         for i in 0..3 {
///             tx.send(i).unwrap();
///         }
///     }); // tx dropped here: the channel closes
///     let got: Vec<i32> = rx.iter().collect();
///     assert_eq!(got, [0, 1, 2]);
/// });
/// ```
///
/// # When a channel closes
/// A channel closes when [`Sender::close`] is called, when its **last
/// `Sender` is dropped** (Go has no such rule; it is how a Rust channel
/// says "no more values"), and when its last `Receiver` is dropped (so a
/// send fails at once instead of blocking forever). So a channel whose
/// sender is discarded at birth is already closed — a receive returns
/// `Err` at once, where Go's would block:
///
/// ```
/// let (_, rx) = gort::chan::<i32>(0); // `_` drops the only Sender now
/// assert!(rx.is_closed());
/// assert!(rx.recv().is_err());
/// let (tx, _rx) = gort::chan::<i32>(0); // `_rx` keeps the Receiver alive
/// assert!(!tx.is_closed());
/// ```
///
/// A closed channel is always ready: in [`select!`](crate::select) its
/// receive arm fires every time, with `Err(RecvError)`. In a loop, switch
/// such an arm off by making its operand `None` (Go's nil channel):
///
/// ```
/// gort::run(|| {
///     let (tx, rx) = gort::chan::<u32>(1);
///     gort::go!(move || tx.send(7).unwrap()); // then tx drops: closed
///     let mut rx = Some(rx);
///     let mut got = Vec::new();
///     loop {
///         gort::select! {
///             v = <-rx.as_ref() => match v {
///                 Ok(v) => got.push(v),
///                 Err(_) => rx = None, // closed: this arm never fires again
///             },
///             <-gort::time::after(std::time::Duration::from_millis(20)) => break,
///         }
///     }
///     assert_eq!(got, [7]);
/// });
/// ```
pub fn chan<T: Send>(cap: usize) -> (Sender<T>, Receiver<T>) {
    let chan = Arc::new(Chan::new(cap));
    (Sender { chan: chan.clone() }, Receiver { chan })
}

/// A channel that dropping its senders does not close (a phantom sender is
/// counted): what a timer sends on, so that after it fired its channel stays
/// open, as Go 1.23's timer channels do, instead of being forever ready.
pub(crate) fn chan_kept_open<T: Send>(cap: usize) -> (Sender<T>, Receiver<T>) {
    let (tx, rx) = chan(cap);
    tx.chan.senders.fetch_add(1, Relaxed);
    (tx, rx)
}

/// The sending end of a channel (Go's `chan<- T`). Cloning adds a sender;
/// the channel closes when `close` is called or the last sender is dropped.
pub struct Sender<T> {
    pub(crate) chan: Arc<Chan<T>>,
}

/// The receiving end of a channel (Go's `<-chan T`). Cloning adds a
/// receiver (each value goes to one of them). Once every `Sender` is gone
/// (or one called `close`) and the buffer is drained, `recv` returns `Err`
/// at once and a `select!` receive arm is always ready — see
/// [`chan`](crate::chan()) for switching such an arm off. Receivers cannot
/// close a channel; when the last one is dropped the channel closes, so senders
/// get their values back instead of blocking forever, and the values still
/// buffered are dropped at once (Go's garbage collector would reclaim them;
/// here their destructors run in that `drop`, after the channel is
/// unlocked).
pub struct Receiver<T> {
    pub(crate) chan: Arc<Chan<T>>,
}

impl<T: Send> Sender<T> {
    /// Not callable: a `Sender` is Go's send-only `chan<- T`. This method
    /// exists so that `tx.recv()` fails to compile with a message that
    /// explains the channel's two ends.
    #[doc(hidden)]
    pub fn recv(&self) -> Result<T, RecvError>
    where
        Self: RecvFromReceiver,
    {
        unreachable!("no Sender implements RecvFromReceiver")
    }

    /// Not callable; see [`Sender::recv`].
    #[doc(hidden)]
    pub fn try_recv(&self) -> Result<T, TryRecvError>
    where
        Self: RecvFromReceiver,
    {
        unreachable!("no Sender implements RecvFromReceiver")
    }

    /// Send `v`, waiting for room (or, unbuffered, for a receiver).
    /// `Err` returns the value if the channel is closed.
    #[track_caller]
    #[inline(never)]
    pub fn send(&self, v: T) -> Result<(), SendError<T>> {
        self.send_until(v, None)
            .map_err(|e| SendError(e.into_inner()))
    }

    /// Send `v` only if that can be done without waiting.
    ///
    /// A preemption checkpoint, like every channel operation: a goroutine
    /// spinning on `try_send` lets the others on its P run once its time
    /// slice is used up. So, as across a blocking `send`, do not hold a
    /// `std::sync::MutexGuard` or a thread-local borrow across it.
    #[inline(never)]
    pub fn try_send(&self, v: T) -> Result<(), TrySendError<T>> {
        crate::checkpoint();
        let mut st = self.chan.lock();
        let wake = st.try_send(v)?;
        drop(st);
        wake_all(wake);
        Ok(())
    }

    /// Send `v`, waiting at most `d`.
    #[track_caller]
    #[inline(never)]
    pub fn send_timeout(&self, v: T, d: Duration) -> Result<(), SendTimeoutError<T>> {
        self.send_until(v, Some(crate::time::deadline_after(d)))
    }

    /// Send `v`, waiting until `deadline` at the latest (crossbeam-channel's
    /// `send_deadline`).
    #[track_caller]
    #[inline(never)]
    pub fn send_deadline(&self, v: T, deadline: Instant) -> Result<(), SendTimeoutError<T>> {
        self.send_until(v, Some(deadline))
    }

    /// Send `v`, unless `ctx` is cancelled first — Go's
    /// `select { case ch <- v: case <-ctx.Done(): }`, and like it, when both
    /// are ready either may win. The value comes back in the error.
    #[track_caller]
    #[inline(never)]
    pub fn send_ctx(&self, v: T, ctx: &crate::context::Context) -> Result<(), SendCtxError<T>> {
        let mut send = SendCase::new(Some(self), v);
        let mut done = RecvCase::new(Some(ctx.done()));
        let chosen = select(&mut [send.erase(), done.erase()], false);
        if chosen == Some(0) {
            return send
                .into_result()
                .map_err(|SendError(v)| SendCtxError::Closed(v));
        }
        let err = ctx
            .err()
            .expect("a context's done channel closes once it is cancelled");
        Err(SendCtxError::Done(send.into_unsent(), err))
    }

    #[track_caller]
    fn send_until(&self, v: T, deadline: Option<Instant>) -> Result<(), SendTimeoutError<T>> {
        crate::checkpoint();
        let mut st = self.chan.lock();
        let v = match st.try_send(v) {
            Ok(wake) => {
                drop(st);
                wake_all(wake);
                return Ok(());
            }
            Err(TrySendError::Closed(v)) => return Err(SendTimeoutError::Closed(v)),
            Err(TrySendError::Full(v)) => v,
        };
        let (outcome, unsent) = block(&self.chan, st, Some(v), deadline);
        match outcome {
            Outcome::Fired { closed: false, .. } => Ok(()),
            Outcome::Fired { closed: true, .. } => {
                Err(SendTimeoutError::Closed(unsent.expect("value")))
            }
            Outcome::TimedOut => Err(SendTimeoutError::Timeout(unsent.expect("value"))),
        }
    }

    /// Close the channel: receivers drain what is buffered, then get
    /// `Err(RecvError)`; senders get their values back. Returns true if this
    /// call closed it (Go panics on a second close; gort returns false).
    #[inline(never)]
    pub fn close(&self) -> bool {
        close(&self.chan, false)
    }
}

impl<T: Send> Receiver<T> {
    /// Receive a value, waiting for one. `Err` once the channel is closed
    /// and drained.
    #[track_caller]
    #[inline(never)]
    pub fn recv(&self) -> Result<T, RecvError> {
        self.recv_until(None).map_err(|_| RecvError)
    }

    /// Receive a value only if one is ready.
    ///
    /// A preemption checkpoint, like every channel operation: a goroutine
    /// spinning on `try_recv` (or `try_iter`) lets the others on its P run
    /// once its time slice is used up. So, as across a blocking `recv`, do
    /// not hold a `std::sync::MutexGuard` or a thread-local borrow across it.
    #[inline(never)]
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        crate::checkpoint();
        let_due_timer_deliver(&self.chan);
        self.try_recv_no_checkpoint()
    }

    /// `try_recv` without its preemption checkpoint, for runtime code that
    /// holds a lock of its own (time.rs): a goroutine preempted there would
    /// keep the lock while it waits for a P, and a goroutine that then
    /// wants the lock would block its thread — on one P, for ever.
    pub(crate) fn try_recv_no_checkpoint(&self) -> Result<T, TryRecvError> {
        let mut st = self.chan.lock();
        let (v, wake) = st.try_recv()?;
        drop(st);
        wake_all(wake);
        Ok(v)
    }

    /// Receive a value, waiting at most `d`.
    #[track_caller]
    #[inline(never)]
    pub fn recv_timeout(&self, d: Duration) -> Result<T, RecvTimeoutError> {
        self.recv_until(Some(crate::time::deadline_after(d)))
    }

    /// Receive a value, waiting until `deadline` at the latest
    /// (crossbeam-channel's `recv_deadline`).
    #[track_caller]
    #[inline(never)]
    pub fn recv_deadline(&self, deadline: Instant) -> Result<T, RecvTimeoutError> {
        self.recv_until(Some(deadline))
    }

    /// Receive a value, unless `ctx` is cancelled first — Go's
    /// `select { case v := <-ch: case <-ctx.Done(): }`, and like it, when
    /// both are ready either may win.
    #[track_caller]
    #[inline(never)]
    pub fn recv_ctx(&self, ctx: &crate::context::Context) -> Result<T, RecvCtxError> {
        let mut recv = RecvCase::new(Some(self));
        let mut done = RecvCase::new(Some(ctx.done()));
        let chosen = select(&mut [recv.erase(), done.erase()], false);
        if chosen == Some(0) {
            return recv.into_result().map_err(|RecvError| RecvCtxError::Closed);
        }
        let err = ctx
            .err()
            .expect("a context's done channel closes once it is cancelled");
        Err(RecvCtxError::Done(err))
    }

    #[track_caller]
    fn recv_until(&self, deadline: Option<Instant>) -> Result<T, RecvTimeoutError> {
        crate::checkpoint();
        let_due_timer_deliver(&self.chan);
        let mut st = self.chan.lock();
        match st.try_recv() {
            Ok((v, wake)) => {
                drop(st);
                wake_all(wake);
                return Ok(v);
            }
            Err(TryRecvError::Closed) => return Err(RecvTimeoutError::Closed),
            Err(TryRecvError::Empty) => {}
        }
        match block(&self.chan, st, None, deadline) {
            (Outcome::Fired { closed: false, .. }, got) => {
                Ok(got.expect("a sender filled the slot"))
            }
            (Outcome::Fired { closed: true, .. }, _) => Err(RecvTimeoutError::Closed),
            (Outcome::TimedOut, _) => Err(RecvTimeoutError::Timeout),
        }
    }

    /// An iterator that receives until the channel is closed and drained
    /// (Go's `for v := range ch`).
    pub fn iter(&self) -> Iter<'_, T> {
        Iter { rx: self }
    }

    /// An iterator over the values ready now, without waiting.
    pub fn try_iter(&self) -> impl Iterator<Item = T> + '_ {
        std::iter::from_fn(move || self.try_recv().ok())
    }

    /// Not callable: as in Go, only the sending side closes a channel. This
    /// method exists so that `rx.close()` fails to compile with a message
    /// saying so, instead of suggesting `clone`.
    #[doc(hidden)]
    pub fn close(&self) -> bool
    where
        Self: CloseFromSender,
    {
        unreachable!("no Receiver implements CloseFromSender")
    }

    /// Not callable: a `Receiver` is Go's receive-only `<-chan T`. This
    /// method exists so that `rx.send(v)` fails to compile with a message
    /// that explains the channel's two ends.
    #[doc(hidden)]
    pub fn send(&self, _v: T) -> Result<(), SendError<T>>
    where
        Self: SendFromSender,
    {
        unreachable!("no Receiver implements SendFromSender")
    }

    /// Not callable; see [`Receiver::send`].
    #[doc(hidden)]
    pub fn try_send(&self, _v: T) -> Result<(), TrySendError<T>>
    where
        Self: SendFromSender,
    {
        unreachable!("no Receiver implements SendFromSender")
    }
}

/// What either end can ask about its channel.
macro_rules! state_queries {
    ($end:ident) => {
        impl<T: Send> $end<T> {
            /// Values buffered now.
            #[inline(never)]
            pub fn len(&self) -> usize {
                self.chan.lock().len()
            }

            /// Whether nothing is buffered now.
            pub fn is_empty(&self) -> bool {
                self.len() == 0
            }

            /// The buffer's capacity (0: unbuffered).
            pub fn cap(&self) -> usize {
                self.chan.cap()
            }

            /// Whether the buffer is full now. An unbuffered channel is always
            /// full: a send must wait for a receiver (as in crossbeam-channel).
            pub fn is_full(&self) -> bool {
                self.len() == self.cap()
            }

            /// Whether `self` and `other` are ends of the same channel.
            pub fn same_channel(&self, other: &Self) -> bool {
                Arc::ptr_eq(&self.chan, &other.chan)
            }

            /// Whether the channel is closed (values may still be buffered).
            #[inline(never)]
            pub fn is_closed(&self) -> bool {
                self.chan.lock().is_closed()
            }
        }
    };
}

state_queries!(Sender);
state_queries!(Receiver);

/// Block on the locked channel `st` as a sender (`value` is `Some`) or a
/// receiver, until the operation completes or `deadline` passes. Returns
/// the outcome and the sudog's slot: an unsent value, or a received one.
///
/// The sudog lives in this frame (waitq.rs explains why that is sound);
/// with a deadline its context goes in an `Arc` shared with the timer,
/// which may fire after we have returned.
#[track_caller]
fn block<T>(
    chan: &Chan<T>,
    mut st: Locked<'_, T>,
    value: Option<T>,
    deadline: Option<Instant>,
) -> (Outcome, Option<T>) {
    let sending = value.is_some();
    let shared = deadline.map(|_| Arc::new(WaitCtx::for_current(false)));
    let local;
    let ctx: &WaitCtx = match &shared {
        Some(c) => c,
        None => {
            local = WaitCtx::for_current(true);
            &local
        }
    };
    let mut sudog = Sudog::new(ctx, 0, value, false);
    // SAFETY: `sudog` stays in this frame, unmoved, until a waker claims it
    // (and pops it) or we remove it below after timing out.
    unsafe {
        if sending {
            st.enqueue_send(&sudog);
        } else {
            st.enqueue_recv(&sudog);
        }
    }
    drop(st);
    let timer = shared
        .clone()
        .zip(deadline)
        .map(|(c, at)| timer::add(at, move || c.time_out()));
    let outcome = ctx.wait(if sending {
        WaitReason::ChanSend
    } else {
        WaitReason::ChanReceive
    });
    if let Some(t) = timer {
        timer::cancel(t);
    }
    if outcome == Outcome::TimedOut {
        let mut st = chan.lock();
        if sending {
            st.sendq.remove(&sudog);
        } else {
            st.recvq.remove(&sudog);
        }
    }
    (outcome, sudog.take())
}

/// Wake everyone in `wakes` (with no channel lock held).
fn wake_all(wakes: impl IntoIterator<Item = Waiter>) {
    for w in wakes {
        w.wake();
    }
}

#[inline(never)]
fn close<T>(chan: &Chan<T>, orphaned: bool) -> bool {
    let mut st = chan.lock();
    let Some(wakes) = st.close(orphaned) else {
        return false;
    };
    drop(st);
    wake_all(wakes);
    true
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.chan.senders.fetch_add(1, Relaxed);
        Sender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        self.chan.receivers.fetch_add(1, Relaxed);
        Receiver {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if self.chan.senders.fetch_sub(1, AcqRel) == 1 {
            close(&self.chan, false);
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        if self.chan.receivers.fetch_sub(1, AcqRel) == 1 {
            orphan(&self.chan);
        }
    }
}

/// The last receiver is gone: close the channel (unless its senders did)
/// and drop every buffered value, since nobody can receive it any more.
/// The values are dropped after the lock is released and the blocked
/// senders are woken: a destructor may use this channel, or panic — then
/// the panic leaves this `drop`, but every other value is dropped still
/// (a `VecDeque` finishes dropping its elements while unwinding).
#[inline(never)]
fn orphan<T>(chan: &Chan<T>) {
    let mut st = chan.lock();
    let wakes = st.close(true).unwrap_or_default();
    let unreceivable = st.take_unreceivable();
    let hook = st.on_orphan.take();
    drop(st);
    wake_all(wakes);
    if let Some(hook) = hook {
        hook();
    }
    drop(unreceivable);
}

/// Run `hook` when the last receiver of `rx`'s channel is dropped (see
/// `State::on_orphan`). A channel has at most one, set once when it is made.
pub(crate) fn on_orphan<T>(rx: &Receiver<T>, hook: OrphanHook) {
    let earlier = rx.chan.lock().on_orphan.replace(hook);
    debug_assert!(earlier.is_none(), "a channel's orphan hook is set once");
}

/// Record when the timer delivering on `tx`'s channel is due (`None`: no
/// timer armed). See "A timer channel is ready at its time".
pub(crate) fn set_timer_due<T>(tx: &Sender<T>, due: Option<Instant>) {
    let at = due.map_or(timer::NEVER, |t| crate::runtime::rt().timers.nanos(t));
    tx.chan.timer_due.store(at, Relaxed);
}

/// Whether a timer due at `due` should have delivered by now.
fn timer_past_due(due: u64) -> bool {
    due != timer::NEVER && due <= crate::runtime::rt().timers.now()
}

/// Before looking at a timer's channel: if its timer is past due, let the
/// scheduler run it (it runs due timers first thing).
fn let_due_timer_deliver<T>(chan: &Chan<T>) {
    yield_while(|| timer_past_due(chan.timer_due.load(Relaxed)));
}

/// Yield while `past_due` says a timer has not delivered yet — usually
/// once; longer if another M took the timer and its thread is not running
/// (on a loaded machine) — but for `DUE_TIMER_WAIT` at most: then look
/// anyway, as before. The clock is read only once a timer is past due.
fn yield_while(past_due: impl Fn() -> bool) {
    if !past_due() {
        return;
    }
    let start = Instant::now();
    loop {
        crate::yield_now();
        if !past_due() || start.elapsed() >= DUE_TIMER_WAIT {
            return;
        }
    }
}

/// How long a receive waits for a past-due timer to deliver (a time slice).
const DUE_TIMER_WAIT: Duration = Duration::from_millis(10);

/// For a timer that only delivers on `tx`'s channel: a probe saying whether
/// anyone is blocked receiving from it (`runtime/timer.rs`). It holds the
/// channel weakly.
pub(crate) fn receivers_blocked<T: Send + 'static>(tx: &Sender<T>) -> timer::Probe {
    let chan = Arc::downgrade(&tx.chan);
    Arc::new(move || chan.upgrade().is_some_and(|c| c.lock().recvq.has_live()))
}

/// Receives until the channel is closed and drained; see [`Receiver::iter`].
pub struct Iter<'a, T> {
    rx: &'a Receiver<T>,
}

impl<T: Send> Iterator for Iter<'_, T> {
    type Item = T;
    #[track_caller]
    fn next(&mut self) -> Option<T> {
        self.rx.recv().ok()
    }
}

/// Receives until the channel is closed and drained, owning the receiver.
pub struct IntoIter<T> {
    rx: Receiver<T>,
}

impl<T: Send> Iterator for IntoIter<T> {
    type Item = T;
    #[track_caller]
    fn next(&mut self) -> Option<T> {
        self.rx.recv().ok()
    }
}

impl<T: Send> IntoIterator for Receiver<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;
    fn into_iter(self) -> IntoIter<T> {
        IntoIter { rx: self }
    }
}

impl<'a, T: Send> IntoIterator for &'a Receiver<T> {
    type Item = T;
    type IntoIter = Iter<'a, T>;
    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("cap", &self.chan.cap())
            .finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("cap", &self.chan.cap())
            .finish_non_exhaustive()
    }
}

/// Implemented by nothing: see [`Receiver::close`].
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "a `Receiver` cannot close its channel",
    label = "only the sending side may close a channel",
    note = "as in Go (`close` on a receive-only channel is an error), close it with `Sender::close`, or drop every `Sender`"
)]
pub trait CloseFromSender {}

/// Implemented by nothing: see [`Receiver::send`].
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "a `Receiver` cannot send",
    label = "this is the receiving end of the channel (Go's `<-chan T`)",
    note = "send on the channel's `Sender` (`tx.send(v)`), the other half of what `gort::chan` returned; clone the `Sender` to send from several goroutines"
)]
pub trait SendFromSender {}

/// Implemented by nothing: see [`Sender::recv`].
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "a `Sender` cannot receive",
    label = "this is the sending end of the channel (Go's `chan<- T`)",
    note = "receive on the channel's `Receiver` (`rx.recv()`), the other half of what `gort::chan` returned; clone the `Receiver` to receive in several goroutines"
)]
pub trait RecvFromReceiver {}

/// What a receive arm of `select!` accepts: a `Receiver<T>`, a reference to
/// one, or an `Option` of either (`None` is Go's nil channel).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a channel you can receive from",
    label = "a receive arm `<-rx` needs a `gort::Receiver<T>`",
    note = "a receive arm takes a `Receiver<T>`, a `&Receiver<T>`, or an `Option` of one (`None` never fires); to send, write `tx <- value`"
)]
pub trait RecvOperand<T> {
    /// The receiver, or `None` for a nil channel.
    fn receiver(&self) -> Option<&Receiver<T>>;
}

/// What a send arm of `select!` accepts: a `Sender<T>`, a reference to one,
/// or an `Option` of either (`None` is Go's nil channel).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a channel you can send on",
    label = "a send arm `tx <- value` needs a `gort::Sender<T>`",
    note = "a send arm takes a `Sender<T>`, a `&Sender<T>`, or an `Option` of one (`None` never fires); to receive, write `<-rx`"
)]
pub trait SendOperand<T> {
    /// The sender, or `None` for a nil channel.
    fn sender(&self) -> Option<&Sender<T>>;
}

impl<T> RecvOperand<T> for Receiver<T> {
    fn receiver(&self) -> Option<&Receiver<T>> {
        Some(self)
    }
}
impl<T, O: RecvOperand<T> + ?Sized> RecvOperand<T> for &O {
    fn receiver(&self) -> Option<&Receiver<T>> {
        (**self).receiver()
    }
}
impl<T, O: RecvOperand<T>> RecvOperand<T> for Option<O> {
    fn receiver(&self) -> Option<&Receiver<T>> {
        self.as_ref().and_then(|o| o.receiver())
    }
}
impl<T> SendOperand<T> for Sender<T> {
    fn sender(&self) -> Option<&Sender<T>> {
        Some(self)
    }
}
impl<T, O: SendOperand<T> + ?Sized> SendOperand<T> for &O {
    fn sender(&self) -> Option<&Sender<T>> {
        (**self).sender()
    }
}
impl<T, O: SendOperand<T>> SendOperand<T> for Option<O> {
    fn sender(&self) -> Option<&Sender<T>> {
        self.as_ref().and_then(|o| o.sender())
    }
}

/// `select!` expansion helper: the receiver behind a receive operand.
#[doc(hidden)]
pub fn recv_operand<T, O: RecvOperand<T> + ?Sized>(o: &O) -> Option<&Receiver<T>> {
    o.receiver()
}

/// `select!` expansion helper: the sender behind a send operand.
#[doc(hidden)]
pub fn send_operand<T, O: SendOperand<T> + ?Sized>(o: &O) -> Option<&Sender<T>> {
    o.sender()
}
