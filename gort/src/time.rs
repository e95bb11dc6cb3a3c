//! Time, Go-style: [`sleep`] parks the goroutine, and timers deliver on
//! channels, so `select!` waits on them like on any other.
//!
//! Timer channels follow Go 1.23: [`after`]'s channel delivers one value and
//! never closes (a closed channel would be ready forever); a stopped or
//! reset [`Timer`] or [`Ticker`] delivers nothing stale and its channel
//! stays open. Both are `select!` operands by reference (`<-&ticker`), so
//! the goroutine that selects on one can also stop or reset it.
//!
//! One visible difference: a timer channel has a one-value buffer, so its
//! `len()` is 1 while a fired value waits and its `cap()` is 1, where Go
//! 1.23 reports 0 for both (its timer channels behave as unbuffered). Code
//! that polled `len(t.C)` — a pre-1.23 idiom — should use `try_recv`.
//!
//! The value delivered is the time the timer was due, as in Go (which sends
//! the current time less how late it runs): ticks read exactly a period
//! apart, whenever the runtime got round to sending them.
//!
//! # How a timer stays exact
//! A `Timer` or `Ticker` keeps a sequence number under a small lock. Arming
//! registers a runtime timer tagged with the current number; `stop` and
//! `reset` bump it, cancel the runtime timer and drain the one-slot channel,
//! all under the lock. A firing callback delivers only if its tag is still
//! current, under the same lock — so nothing it sends can outlive a `stop`
//! or `reset`, even when it fires at the same moment. The channels are kept
//! open by a phantom sender (`chan_kept_open`); each is freed when both ends
//! are gone. A timer that nobody can receive from — every receiver of an
//! [`after`] or [`tick`] channel or of a [`Timer::new`] dropped — is
//! cancelled by its channel's orphan hook at once, as Go 1.23 collects one:
//! abandoned timeouts keep no callback or channel alive (a cancelled heap
//! entry waits to be swept, timer.rs) and do not hold off the deadlock
//! report.

use crate::chan::{
    chan_kept_open, on_orphan, receivers_blocked, set_timer_due, Receiver, RecvOperand, Sender,
    TrySendError,
};
use crate::runtime::park::{park, WaitReason, Waiter};
use crate::runtime::timer::{self, TimerId};
use std::fmt;
use std::sync::Arc;

pub use std::time::{Duration, Instant};

/// The longest wait a deadline is computed for: about 100 years, far
/// beyond any process's life, and within what `Instant` can represent.
/// Go accepts any duration (`time.Sleep(math.MaxInt64)`); so does gort, by
/// treating longer ones as this.
const FOREVER: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// `d` from now, for any `d` (see `FOREVER`).
pub(crate) fn deadline_after(d: Duration) -> Instant {
    Instant::now() + d.min(FOREVER)
}

/// Pause the calling goroutine for at least `d` (Go's `time.Sleep`); its
/// thread runs other goroutines meanwhile. On a plain thread, sleeps it.
#[track_caller]
pub fn sleep(d: Duration) {
    if crate::runtime::goroutine_id() == 0 {
        return std::thread::sleep(d);
    }
    let deadline = deadline_after(d);
    let me = Waiter::current();
    // Not cancelled: we return only once the deadline has passed, when the
    // timer has fired or is about to — and a late wake-up only leaves a
    // token that makes some later park return early and re-check (every
    // park loops). That saves a timer-lock round trip per sleep.
    timer::add(deadline, move || me.wake());
    while Instant::now() < deadline {
        park(WaitReason::Sleep);
    }
}

/// A channel that receives the time once, `d` from now (Go's `time.After`).
/// Use it for timeouts in `select!`: `<-gort::time::after(d) => …`. The
/// channel delivers one value and stays open (never ready again), as Go's.
///
/// Dropping the receiver (and any clones) cancels the timer at once,
/// freeing its callback and channel — as Go 1.23 collects an unreferenced
/// timer — so an `after` made on every pass of a loop keeps nothing alive
/// once that pass is over, however long its `d` (its cancelled heap entry
/// is swept later, in bulk).
pub fn after(d: Duration) -> Receiver<Instant> {
    let (tx, rx) = chan_kept_open(1);
    let blocked = receivers_blocked(&tx);
    let deadline = deadline_after(d);
    set_timer_due(&tx, Some(deadline));
    let deliver = move || {
        let _ = tx.try_send(deadline);
        set_timer_due(&tx, None);
    };
    let id = timer::add_for_channel(deadline, deliver, blocked);
    on_orphan(
        &rx,
        Box::new(move || {
            timer::cancel(id);
        }),
    );
    rx
}

/// A channel that receives the time every `d` until the receiver is
/// dropped (Go's `time.Tick`). A slow receiver misses ticks rather than
/// queueing them, as in Go.
///
/// A zero `d` gives a channel that is never ready, as Go's `Tick` returns
/// a nil channel for a non-positive interval (where [`Ticker::new`]
/// panics).
pub fn tick(d: Duration) -> Receiver<Instant> {
    if d.is_zero() {
        return chan_kept_open(0).1;
    }
    // With no Ticker to stop it, it runs until nobody can receive: then the
    // channel's orphan hook cancels the pending tick (start_ticking).
    start_ticking(d).1
}

/// Run `f` in its own goroutine once `d` has passed (Go's
/// `time.AfterFunc`). The returned [`Timer`] can stop it (`stop` returns
/// true if that prevented `f` from running) or reset it; dropping the
/// timer does not stop it. Its channel never delivers. As `f` runs at most
/// once, a `reset` after it ran re-arms a timer that does nothing.
pub fn after_func(d: Duration, f: impl FnOnce() + Send + 'static) -> Timer {
    Timer::start(d, Some(Box::new(f)))
}

/// A single event: delivers the time on its channel once `d` has passed
/// (Go's `time.Timer`), unless stopped first. Dropping a `Timer` does not
/// stop it: a clone of its receiver still gets the value, and
/// [`after_func`]'s function still runs. Only once no receiver of a
/// [`Timer::new`] is left — when nobody could see it fire — is it cancelled
/// and freed at once (as Go 1.23 collects an unreferenced timer).
///
/// ```
/// use gort::time::{Duration, Timer};
///
/// gort::run(|| {
///     let t = Timer::new(Duration::from_secs(3600));
///     assert!(t.stop(), "stopped before it fired");
///     assert!(t.reset(Duration::from_millis(1)) == false);
///     gort::select! { v = <-&t => assert!(v.is_ok()) }
/// });
/// ```
pub struct Timer {
    shared: Arc<TimerShared>,
    rx: Receiver<Instant>,
}

struct TimerShared {
    state: parking_lot::Mutex<TimerState>,
    tx: Sender<Instant>,
}

struct TimerState {
    /// Tags the one armed runtime timer that may deliver.
    seq: u64,
    /// The armed runtime timer, until it delivers.
    pending: Option<TimerId>,
    /// `after_func`'s function, until it runs.
    func: Option<Box<dyn FnOnce() + Send>>,
    /// An `after_func` timer: it never sends, even re-armed after `func`
    /// ran (then it fires and does nothing).
    is_func: bool,
}

impl Timer {
    /// A timer that delivers the time on its channel once `d` has passed.
    pub fn new(d: Duration) -> Timer {
        let timer = Timer::start(d, None);
        // Weak: the armed callback holds the state strongly, and the state
        // holds the channel; the hook lives in the channel.
        let shared = Arc::downgrade(&timer.shared);
        on_orphan(
            &timer.rx,
            Box::new(move || {
                if let Some(shared) = shared.upgrade() {
                    stop_unreceivable(&shared);
                }
            }),
        );
        timer
    }

    #[inline(never)] // takes a thread-blocking lock: see asyncpreempt.rs
    fn start(d: Duration, func: Option<Box<dyn FnOnce() + Send>>) -> Timer {
        let (tx, rx) = chan_kept_open(1);
        let shared = Arc::new(TimerShared {
            state: parking_lot::Mutex::new(TimerState {
                seq: 0,
                pending: None,
                is_func: func.is_some(),
                func,
            }),
            tx,
        });
        arm_timer(&shared, &mut shared.state.lock(), d);
        Timer { shared, rx }
    }

    /// The timer's channel (Go's `t.C`).
    pub fn receiver(&self) -> &Receiver<Instant> {
        &self.rx
    }

    /// Stop the timer. True if this stopped it: it had not fired, or it had
    /// fired but its value was not received yet (the value is discarded, as
    /// in Go 1.23). After `stop` returns, nothing arrives on the channel.
    #[inline(never)] // takes a thread-blocking lock: see asyncpreempt.rs
    pub fn stop(&self) -> bool {
        let mut st = self.shared.state.lock();
        self.disarm(&mut st)
    }

    /// Stop the timer and arm it again for `d` from now; returns what
    /// [`stop`](Timer::stop) would have. Nothing sent for the old deadline
    /// is received after `reset` returns.
    #[inline(never)] // takes a thread-blocking lock: see asyncpreempt.rs
    pub fn reset(&self, d: Duration) -> bool {
        let mut st = self.shared.state.lock();
        let was_active = self.disarm(&mut st);
        arm_timer(&self.shared, &mut st, d);
        was_active
    }

    fn disarm(&self, st: &mut TimerState) -> bool {
        st.seq += 1;
        set_timer_due(&self.shared.tx, None);
        let pending = st.pending.take();
        if let Some(id) = pending {
            timer::cancel(id);
        }
        // No checkpoint under `state`'s lock (see try_recv_no_checkpoint).
        let undelivered = self.rx.try_recv_no_checkpoint().is_ok();
        pending.is_some() || undelivered
    }
}

/// Nobody can receive from the timer's channel any more: cancel the runtime
/// timer, freeing it and (through its callback) the timer's state.
fn stop_unreceivable(shared: &TimerShared) {
    let mut st = shared.state.lock();
    st.seq += 1;
    if let Some(id) = st.pending.take() {
        timer::cancel(id);
    }
}

/// Register the runtime timer. Its callback holds the shared state, so a
/// dropped `Timer` still fires (a clone of its receiver, or `after_func`'s
/// function, may be waiting); cancelling the runtime timer drops it. A
/// callback that finds the timer stopped meanwhile may hold the last
/// reference to a function that never ran: it is released off the scheduler.
fn arm_timer(shared: &Arc<TimerShared>, st: &mut TimerState, d: Duration) {
    let deadline = deadline_after(d);
    let blocked = (!st.is_func).then(|| receivers_blocked(&shared.tx));
    if !st.is_func {
        set_timer_due(&shared.tx, Some(deadline));
    }
    let (seq, shared) = (st.seq, Arc::clone(shared));
    let fire = move || timer_fired(shared, seq, deadline);
    st.pending = Some(match blocked {
        Some(blocked) => timer::add_for_channel(deadline, fire, blocked),
        None => timer::add(deadline, fire), // after_func: its function may wake anyone
    });
}

/// The runtime timer's callback (scheduler context).
fn timer_fired(shared: Arc<TimerShared>, seq: u64, deadline: Instant) {
    fire_timer(&shared, seq, deadline);
    // Only an `after_func` function that never ran is the user's to drop;
    // otherwise the state holds nothing of theirs, and goes here.
    let holds_func = shared.state.lock().func.is_some();
    if holds_func {
        crate::spawn::release(shared);
    }
}

/// Deliver `deadline` — the time the timer was due, as Go sends (not the
/// later moment its callback ran) — or start `after_func`'s function.
fn fire_timer(shared: &TimerShared, seq: u64, deadline: Instant) {
    let func = {
        let mut st = shared.state.lock();
        if st.seq != seq {
            return; // stopped or reset meanwhile
        }
        st.pending = None;
        if !st.is_func {
            let _ = shared.tx.try_send(deadline);
            set_timer_due(&shared.tx, None);
            return;
        }
        match st.func.take() {
            Some(f) => f,
            None => return, // it ran already (a reset re-armed it)
        }
    };
    crate::spawn::go(func);
}

/// Delivers the time every period on its channel until stopped or dropped
/// (Go's `time.Ticker`). Dropping it stops it even while a clone of its
/// receiver lives (in Go 1.23 the channel would keep the ticker alive);
/// keep the `Ticker` as long as you want ticks. Receive with [`Ticker::recv`], or use it as a
/// `select!` operand by reference: `<-&ticker => …`. A slow receiver misses
/// ticks rather than queueing them.
pub struct Ticker {
    shared: Arc<TickerShared>,
    rx: Receiver<Instant>,
}

struct TickerShared {
    state: parking_lot::Mutex<TickerState>,
    tx: Sender<Instant>,
}

struct TickerState {
    seq: u64,
    pending: Option<TimerId>,
    period: Duration,
}

impl Ticker {
    /// A ticker with period `d`.
    ///
    /// # Panics
    /// If `d` is zero (Go: "non-positive interval for NewTicker").
    pub fn new(d: Duration) -> Ticker {
        let (shared, rx) = start_ticking(d);
        Ticker { shared, rx }
    }

    /// Wait for the next tick. After [`stop`](Ticker::stop) it waits
    /// forever, as a receive from a stopped Go ticker does.
    #[track_caller]
    pub fn recv(&self) -> Instant {
        match self.rx.recv() {
            Ok(t) => t,
            Err(_) => unreachable!("a ticker's channel stays open while the ticker lives"),
        }
    }

    /// The ticker's channel (Go's `ticker.C`).
    pub fn receiver(&self) -> &Receiver<Instant> {
        &self.rx
    }

    /// Stop ticking: no tick arrives after this returns (one that was
    /// waiting unreceived is discarded). The channel stays open.
    #[inline(never)] // takes a thread-blocking lock: see asyncpreempt.rs
    pub fn stop(&self) {
        let mut st = self.shared.state.lock();
        self.disarm(&mut st);
    }

    /// Stop, then tick every `d` from now on.
    ///
    /// # Panics
    /// If `d` is zero.
    #[inline(never)] // takes a thread-blocking lock: see asyncpreempt.rs
    pub fn reset(&self, d: Duration) {
        assert!(!d.is_zero(), "non-positive interval for Ticker::reset");
        let mut st = self.shared.state.lock();
        self.disarm(&mut st);
        st.period = d;
        arm_tick(&self.shared, &mut st, deadline_after(d));
    }

    fn disarm(&self, st: &mut TickerState) {
        st.seq += 1;
        set_timer_due(&self.shared.tx, None);
        if let Some(id) = st.pending.take() {
            timer::cancel(id);
        }
        // No checkpoint under `state`'s lock (see try_recv_no_checkpoint).
        let _ = self.rx.try_recv_no_checkpoint();
    }
}

/// A ticker's shared state and channel, ticking every `d` from now.
#[inline(never)] // takes a thread-blocking lock: see asyncpreempt.rs
fn start_ticking(d: Duration) -> (Arc<TickerShared>, Receiver<Instant>) {
    assert!(!d.is_zero(), "non-positive interval for a ticker");
    let (tx, rx) = chan_kept_open(1);
    let shared = Arc::new(TickerShared {
        state: parking_lot::Mutex::new(TickerState {
            seq: 0,
            pending: None,
            period: d,
        }),
        tx,
    });
    arm_tick(&shared, &mut shared.state.lock(), deadline_after(d));
    // When the last receiver goes, cancel the pending tick at once (as Go
    // 1.23 collects an unreferenced ticker). Weak: the armed tick holds the
    // state strongly, and the state holds the channel.
    let weak = Arc::downgrade(&shared);
    on_orphan(
        &rx,
        Box::new(move || {
            if let Some(shared) = weak.upgrade() {
                let mut st = shared.state.lock();
                st.seq += 1;
                if let Some(id) = st.pending.take() {
                    timer::cancel(id);
                }
            }
        }),
    );
    (shared, rx)
}

/// Register the next tick; the callback holds the shared state until it
/// runs or is cancelled (by `stop`, `reset`, the Ticker's drop or the
/// channel's orphan hook).
fn arm_tick(shared: &Arc<TickerShared>, st: &mut TickerState, when: Instant) {
    let blocked = receivers_blocked(&shared.tx);
    set_timer_due(&shared.tx, Some(when));
    let (seq, shared) = (st.seq, Arc::clone(shared));
    let fire = move || fire_tick(&shared, seq, when);
    st.pending = Some(timer::add_for_channel(when, fire, blocked));
}

fn fire_tick(shared: &Arc<TickerShared>, seq: u64, when: Instant) {
    let mut st = shared.state.lock();
    if st.seq != seq {
        return; // stopped or reset meanwhile
    }
    // The tick's due time, as Go sends: ticks read exactly a period apart.
    if let Err(TrySendError::Closed(_)) = shared.tx.try_send(when) {
        st.pending = None;
        return; // nobody can receive any more (a dropped `tick` receiver)
    }
    let mut next = when + st.period;
    let now = Instant::now();
    while next <= now {
        next += st.period; // fell behind: skip the missed ticks
    }
    arm_tick(shared, &mut st, next);
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop();
    }
}

impl RecvOperand<Instant> for Ticker {
    fn receiver(&self) -> Option<&Receiver<Instant>> {
        Some(&self.rx)
    }
}

impl RecvOperand<Instant> for Timer {
    fn receiver(&self) -> Option<&Receiver<Instant>> {
        Some(&self.rx)
    }
}

// The Debug impls read under the lock and format after it: the caller's
// `Formatter` may write to a gort file or socket, whose calls are
// checkpoints — no goroutine may be stopped holding a timer's lock.
impl fmt::Debug for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let active = self.shared.state.lock().pending.is_some();
        f.debug_struct("Timer")
            .field("active", &active)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Ticker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (period, active) = {
            let st = self.shared.state.lock();
            (st.period, st.pending.is_some())
        };
        f.debug_struct("Ticker")
            .field("period", &period)
            .field("active", &active)
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// Stopped while its callback was already taken off the heap: the
    /// callback, in scheduler context, holds the last reference to a
    /// function that never ran.
    #[test]
    fn a_function_released_by_a_stopped_timer_is_dropped_on_a_goroutine() {
        let (probe, dropped) = crate::spawn::drop_probe();
        let t = after_func(Duration::from_secs(3600), move || drop(probe));
        let (shared, seq) = (Arc::clone(&t.shared), t.shared.state.lock().seq);
        assert!(t.stop());
        drop(t);
        timer_fired(shared, seq, Instant::now());
        let by = dropped.recv_timeout(Duration::from_secs(10)).unwrap();
        assert_ne!(by, 0, "the function was dropped in scheduler context");
    }
}
