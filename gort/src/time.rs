//! Time, Go-style: [`sleep`] parks the goroutine, [`after`] and [`tick`]
//! are channels (so `select!` can wait on them like on any other), and a
//! [`Ticker`] stops when dropped.

use crate::chan::{chan, Receiver, RecvOperand, Sender, TrySendError};
use crate::runtime::park::{park, Waiter};
use crate::runtime::timer;
use std::sync::atomic::{AtomicBool, Ordering::*};
use std::sync::Arc;

pub use std::time::{Duration, Instant};

/// Pause the calling goroutine for at least `d` (Go's `time.Sleep`); its
/// thread runs other goroutines meanwhile. On a plain thread, sleeps it.
pub fn sleep(d: Duration) {
    if crate::runtime::goroutine_id() == 0 {
        return std::thread::sleep(d);
    }
    let deadline = Instant::now() + d;
    let me = Waiter::current();
    let id = timer::add(deadline, move || me.wake());
    while Instant::now() < deadline {
        park();
    }
    timer::cancel(id);
}

/// A channel that receives the time once, `d` from now (Go's `time.After`).
/// Use it for timeouts in `select!`: `<-gort::time::after(d) => …`.
pub fn after(d: Duration) -> Receiver<Instant> {
    let (tx, rx) = chan(1);
    timer::add(Instant::now() + d, move || {
        let _ = tx.try_send(Instant::now());
    });
    rx
}

/// A channel that receives the time every `d` until the receiver is
/// dropped (Go's `time.Tick`). A slow receiver misses ticks rather than
/// queueing them, as in Go.
///
/// # Panics
/// If `d` is zero.
pub fn tick(d: Duration) -> Receiver<Instant> {
    let (tx, rx) = chan(1);
    arm(tx, Instant::now() + d, d, Arc::new(AtomicBool::new(false)));
    rx
}

/// Schedule the next tick; each tick schedules the one after it.
fn arm(tx: Sender<Instant>, when: Instant, period: Duration, stopped: Arc<AtomicBool>) {
    assert!(!period.is_zero(), "non-positive interval for a ticker");
    timer::add(when, move || {
        if stopped.load(Acquire) {
            return;
        }
        if let Err(TrySendError::Closed(_)) = tx.try_send(Instant::now()) {
            return; // nobody listens any more
        }
        let mut next = when + period;
        let now = Instant::now();
        while next <= now {
            next += period; // fell behind: skip the missed ticks
        }
        arm(tx, next, period, stopped);
    });
}

/// Delivers the time every period on its channel until stopped or dropped
/// (Go's `time.Ticker`). Receive with [`Ticker::recv`], or use it directly
/// as a `select!` operand: `<-ticker => …`.
pub struct Ticker {
    rx: Receiver<Instant>,
    stopped: Arc<AtomicBool>,
}

impl Ticker {
    /// A ticker with period `d`.
    ///
    /// # Panics
    /// If `d` is zero.
    pub fn new(d: Duration) -> Ticker {
        let (tx, rx) = chan(1);
        let stopped = Arc::new(AtomicBool::new(false));
        arm(tx, Instant::now() + d, d, stopped.clone());
        Ticker { rx, stopped }
    }

    /// Wait for the next tick.
    pub fn recv(&self) -> Instant {
        self.rx
            .recv()
            .expect("a running ticker's channel stays open")
    }

    /// The ticker's channel.
    pub fn receiver(&self) -> &Receiver<Instant> {
        &self.rx
    }

    /// Stop ticking (no more values arrive after any already buffered).
    pub fn stop(&self) {
        self.stopped.store(true, Release);
    }
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
