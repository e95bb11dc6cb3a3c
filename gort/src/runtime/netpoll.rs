//! The netpoller: one `mio::Poll` (epoll on Linux) that turns socket
//! readiness into runnable goroutines, and the place an idle runtime sleeps
//! (cf. Go's netpoll.go and netpoll_epoll.go).
//!
//! # Who polls
//! Whoever holds the `poller` lock may call `epoll_wait`. Non-blocking
//! polls only try the lock (a blocked poller will deliver what they would
//! have found); the blocking role is a flag claimed first (`blocker`), so
//! an M that should block never gives up just because a short
//! non-blocking poll holds the lock — it waits those microseconds.
//! - An M with a P polls without blocking in `find_runnable`, when its own
//!   and the global queue are empty and a goroutine waits on a descriptor.
//! - An idle M blocks in it (`block`) — the first to claim `blocker`; other
//!   idle Ms park on their own futex — with the earliest timer as its
//!   timeout, so timers and I/O wake the runtime and no timer thread
//!   exists. Go's rule: it blocks only if something can end the wait (a
//!   goroutine waiting on I/O, or a timer). Signals have their own thread
//!   (signal.rs) and never need the poller.
//! - sysmon polls without blocking when nobody has polled for 10 ms (every
//!   P busy with long time slices).
//!
//! Events are taken in batches of up to `EVENTS` and become a list of Gs;
//! the caller injects them (to its P's queue, or the global queue).
//!
//! # Descriptors
//! Each registered descriptor has a [`PollDesc`] — a [`Side`] per
//! direction: a readiness [`Slot`] (polldesc.rs) and a deadline — whose
//! address is its mio token. PollDescs are never freed, only recycled (Go's
//! pollCache): an event already taken from the kernel for a descriptor that
//! has since closed then lands on a recycled PollDesc as a spurious edge,
//! and a deadline timer armed by its last user fires as a spurious
//! wake-up; each costs the next user one extra syscall (a waiter always
//! retries) and nothing else.
//!
//! # Waking the poller
//! A `mio::Waker` (an eventfd) breaks a blocked wait when a timer earlier
//! than the poller's timeout is added (timer.rs explains the ordering).

use super::g::G;
use super::polldesc::{AfterPark, Slot};
use super::timer::{Timers, NEVER};
use parking_lot::Mutex;
use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::{fence, AtomicBool, AtomicU64, AtomicUsize, Ordering::*};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Events taken per `epoll_wait` (Go: 128).
const EVENTS: usize = 128;
/// The waker's token (never a PollDesc's address).
const WAKER: mio::Token = mio::Token(0);

/// One descriptor's readiness (Go's pollDesc).
pub(crate) struct PollDesc {
    pub(crate) read: Side,
    pub(crate) write: Side,
}

/// One direction of a descriptor: its readiness slot and its deadline.
///
/// # Deadlines cost no timer per wait
/// A server sets a read timeout on every read; adding and cancelling a
/// runtime timer for each would put the timer lock on every request. So a
/// side keeps its current deadline in an atomic, and at most one armed
/// timer (`armed`, its firing time) that is re-armed lazily: a wait stores
/// its deadline and arms a timer only if none is armed for that time or
/// earlier. When the timer fires it reads the side's *current* deadline:
/// passed → withdraw the parked waiter, if any; later → arm again for it.
/// A withdrawal racing a new wait can only wake that wait early, which
/// `wait` treats as spurious (its own deadline has not passed).
///
/// No deadline is lost: a waiter stores its deadline, publishes itself in
/// the slot, fences (SeqCst) and reads `armed`; a firing timer clears
/// `armed`, fences and reads the slot's waiter (then the deadline, which
/// the waiter stored before publishing). By the fences, either the waiter
/// sees `armed` cleared and arms a timer itself, or the timer sees the
/// waiter and its deadline — and withdraws it or arms again.
pub(crate) struct Side {
    pub(crate) slot: Slot,
    /// The current wait's deadline (timers' nanoseconds), 0 for none.
    deadline: AtomicU64,
    /// When the armed timer fires, 0 if none is armed.
    armed: AtomicU64,
}

impl Side {
    fn new() -> Side {
        Side {
            slot: Slot::new(),
            deadline: AtomicU64::new(0),
            armed: AtomicU64::new(0),
        }
    }

    fn reset(&self) {
        self.slot.reset();
        self.deadline.store(0, Relaxed);
    }

    /// Make sure a timer fires at or before `when`.
    fn arm(&'static self, when: u64) {
        let mut armed = self.armed.load(Acquire);
        loop {
            if armed != 0 && armed <= when {
                return; // an earlier timer fires first and re-checks
            }
            match self.armed.compare_exchange(armed, when, AcqRel, Acquire) {
                Ok(_) => break,
                Err(now) => armed = now,
            }
        }
        let at = super::rt().timers.instant(when);
        super::timer::add(at, move || self.fire(when));
    }

    /// The timer armed for `when` fired (see "Deadlines").
    fn fire(&'static self, when: u64) {
        let _ = self.armed.compare_exchange(when, 0, AcqRel, Relaxed);
        fence(SeqCst); // clear `armed`, then read the waiter (see `Side`)
                       // The waiter first, then its deadline: it stored the deadline
                       // before it published itself.
        let waiter = self.slot.waiter();
        let deadline = self.deadline.load(Acquire);
        if deadline == 0 {
            return;
        }
        if deadline > super::rt().timers.now() {
            self.arm(deadline);
        } else if let Some(w) = waiter {
            if self.slot.withdraw(w) {
                wake_waiter(w);
            }
        }
    }
}

pub(crate) struct Netpoll {
    /// Holding this lock is being the poller.
    poller: Mutex<Poller>,
    registry: mio::Registry,
    waker: mio::Waker,
    /// Set while an M holds the blocking role (in or entering `block`).
    blocker: AtomicBool,
    /// When the blocked poller will wake by itself (timers' nanoseconds;
    /// `NEVER` for no timeout), or 0 when nobody is blocked in it.
    sleeping_until: AtomicU64,
    /// Goroutines parked on a PollDesc: while non-zero, an idle M blocks
    /// here rather than on its own futex.
    waiters: AtomicUsize,
    /// When a poll last returned (timers' nanoseconds), for sysmon.
    last_poll: AtomicU64,
    free: Mutex<Vec<&'static PollDesc>>,
}

struct Poller {
    poll: mio::Poll,
    events: mio::Events,
}

impl Netpoll {
    pub(crate) fn new() -> Netpoll {
        let made = mio::Poll::new().and_then(|poll| {
            let registry = poll.registry().try_clone()?;
            let waker = mio::Waker::new(poll.registry(), WAKER)?;
            Ok((poll, registry, waker))
        });
        let (poll, registry, waker) = match made {
            Ok(made) => made,
            Err(e) => super::fatal(&format!("cannot create the netpoller: {e}")),
        };
        Netpoll {
            poller: Mutex::new(Poller {
                poll,
                events: mio::Events::with_capacity(EVENTS),
            }),
            registry,
            waker,
            sleeping_until: AtomicU64::new(0),
            blocker: AtomicBool::new(false),
            waiters: AtomicUsize::new(0),
            last_poll: AtomicU64::new(0),
            free: Mutex::new(Vec::new()),
        }
    }

    /// Watch `fd` for both directions; its readiness lands in the returned
    /// PollDesc until `deregister`.
    pub(crate) fn register(&self, fd: RawFd) -> io::Result<&'static PollDesc> {
        let pd = self.free.lock().pop().unwrap_or_else(|| {
            Box::leak(Box::new(PollDesc {
                read: Side::new(),
                write: Side::new(),
            }))
        });
        pd.read.reset();
        pd.write.reset();
        let token = mio::Token(pd as *const PollDesc as usize);
        // PRIORITY: TCP urgent data, which makes a read stop short (see
        // polldesc.rs "Skipping a doomed read").
        let interest = mio::Interest::READABLE | mio::Interest::WRITABLE | mio::Interest::PRIORITY;
        match self
            .registry
            .register(&mut mio::unix::SourceFd(&fd), token, interest)
        {
            Ok(()) => Ok(pd),
            Err(e) => {
                self.free.lock().push(pd);
                Err(e)
            }
        }
    }

    /// Stop watching `fd` (before it is closed) and recycle its PollDesc.
    /// Nobody may be waiting on it (its owner is being dropped).
    pub(crate) fn deregister(&self, fd: RawFd, pd: &'static PollDesc) {
        let _ = self.registry.deregister(&mut mio::unix::SourceFd(&fd));
        self.free.lock().push(pd);
    }

    /// Count one more (or one fewer) reason for an idle M to block here.
    /// (Relaxed: the count is a hint for whether polling can find
    /// anything; the M that parks a waiter reads it after, in program order.)
    pub(crate) fn add_waiter(&self, n: isize) {
        if n >= 0 {
            self.waiters.fetch_add(n as usize, Relaxed);
        } else {
            self.waiters.fetch_sub(n.unsigned_abs(), Relaxed);
        }
    }

    /// Whether a goroutine waits on I/O (so polling can find something).
    pub(crate) fn has_waiters(&self) -> bool {
        self.waiters.load(Relaxed) != 0
    }

    /// Whether an idle M should block here: something can end the wait.
    pub(crate) fn worth_blocking(&self, timers: &Timers) -> bool {
        self.has_waiters() || timers.any()
    }

    /// Poll without blocking, unless another thread is the poller; returns
    /// the Gs that became runnable.
    pub(crate) fn poll_now(&self, timers: &Timers) -> Vec<Arc<G>> {
        match self.poller.try_lock() {
            Some(mut p) => self.poll(&mut p, Some(Duration::ZERO), timers),
            None => Vec::new(),
        }
    }

    /// Block until I/O readiness, the earliest timer, or a wake-up (the
    /// idle M's wait). `None` if another thread is the poller already.
    pub(crate) fn block(&self, timers: &Timers) -> Option<Vec<Arc<G>>> {
        // The blocking role is claimed apart from the lock: a non-blocking
        // poll (a busy P's, sysmon's) holding the lock for microseconds
        // must not turn this M away, or nobody might be left in epoll_wait.
        if self.blocker.swap(true, Acquire) {
            return None;
        }
        let gs = self.block_claimed(timers);
        self.blocker.store(false, Release);
        Some(gs)
    }

    fn block_claimed(&self, timers: &Timers) -> Vec<Arc<G>> {
        let mut p = self.poller.lock();
        let until = timers.next();
        self.sleeping_until.store(until.max(1), SeqCst);
        // Dekker with `timer_added`: publish, then re-read (timer.rs).
        let until = until.min(timers.next());
        let timeout =
            (until != NEVER).then(|| Duration::from_nanos(until.saturating_sub(timers.now())));
        let gs = self.poll(&mut p, timeout, timers);
        self.sleeping_until.store(0, SeqCst);
        gs
    }

    fn poll(&self, p: &mut Poller, timeout: Option<Duration>, timers: &Timers) -> Vec<Arc<G>> {
        let Poller { poll, events } = p;
        match poll.poll(events, timeout) {
            Ok(()) => {}
            // A signal interrupted the wait: return, as if it timed out.
            Err(e) if e.kind() == io::ErrorKind::Interrupted => events.clear(),
            Err(e) => super::fatal(&format!("netpoll: epoll_wait failed: {e}")),
        }
        self.last_poll.store(timers.now(), Relaxed);
        let mut gs = Vec::new();
        for ev in events.iter() {
            if ev.token() == WAKER {
                continue;
            }
            // SAFETY: every other token is the address of a PollDesc, and
            // PollDescs are leaked, never freed (see "Descriptors").
            let pd = unsafe { &*(ev.token().0 as *const PollDesc) };
            let closed = ev.is_error() || ev.is_read_closed() || ev.is_write_closed();
            if ev.is_error() || ev.is_read_closed() || ev.is_priority() {
                // Before the edge, so whoever consumes the edge sees it.
                pd.read.slot.set_sticky();
            }
            if ev.is_readable() || closed {
                gs.extend(pd.read.slot.set_ready().and_then(unpark));
            }
            if ev.is_writable() || closed {
                gs.extend(pd.write.slot.set_ready().and_then(unpark));
            }
        }
        gs
    }

    /// Called by `Timers::add` after publishing a new earliest deadline
    /// `when`: make sure someone will run it (timer.rs explains the order).
    pub(crate) fn timer_added(&self, when: u64, sched: &'static super::sched::Sched) {
        match self.sleeping_until.load(SeqCst) {
            0 => sched.wakep(),
            until if when < until => self.wake(),
            _ => {}
        }
    }

    /// Break the poller's wait (or make its next one return at once).
    pub(crate) fn wake(&self) {
        if let Err(e) = self.waker.wake() {
            super::fatal(&format!("netpoll: cannot wake the poller: {e}"));
        }
    }

    /// When a poll last returned (timers' nanoseconds).
    pub(crate) fn last_poll(&self) -> u64 {
        self.last_poll.load(Relaxed)
    }

    /// Whether an M is blocked in the poller now.
    pub(crate) fn someone_sleeping(&self) -> bool {
        self.sleeping_until.load(Relaxed) != 0
    }
}

/// The poller took waiter `w` (an `Arc<G>` pointer) out of a slot: make the
/// G runnable unless it had not parked yet (then it just keeps its token).
fn unpark(w: usize) -> Option<Arc<G>> {
    // SAFETY: a slot holds an `Arc<G>` turned into a raw pointer by
    // `wait` (its count is the slot's), and the poller now owns it.
    let g = unsafe { Arc::from_raw(w as *const G) };
    g.unpark().then_some(g)
}

/// The Gs to wake for a waiter `w` taken out of a slot by someone other
/// than the poller (the deadline timer): made runnable at once.
pub(crate) fn wake_waiter(w: usize) {
    if let Some(g) = unpark(w) {
        super::park::ready(g);
    }
}

/// Park the calling goroutine until `side` records an edge or `deadline`
/// passes (the polldesc.rs protocol). `Ok` means "try the syscall again"
/// (which may still find nothing: the caller loops); `Err(TimedOut)` that
/// the deadline passed. Only a goroutine may call this.
#[track_caller]
pub(crate) fn wait(side: &'static Side, deadline: Option<Instant>) -> io::Result<()> {
    let slot = &side.slot;
    if slot.take_ready() {
        return Ok(());
    }
    let timers = &super::rt().timers;
    let when = match deadline {
        Some(d) if Instant::now() >= d => return Err(timed_out()),
        Some(d) => timers.nanos(d).max(1),
        None => 0,
    };
    side.deadline.store(when, Release);
    let g = super::context::current_g();
    assert!(!g.is_null(), "netpoll::wait called off a goroutine");
    // SAFETY: the running G is alive (its M holds a count); the count added
    // here is the one the slot will hold.
    unsafe { Arc::increment_strong_count(g) };
    let w = g as usize;
    if !slot.publish(w) {
        // SAFETY: publish failed, so the count added above is still ours.
        drop(unsafe { Arc::from_raw(g) });
        return Ok(());
    }
    let np = &super::rt().netpoll;
    np.add_waiter(1);
    if when != 0 {
        fence(SeqCst); // publish, then read `armed` (see `Side`)
        side.arm(when);
    }
    let outcome = loop {
        super::park::park(super::park::WaitReason::IoWait);
        match slot.after_park(w) {
            AfterPark::Parked => continue,
            AfterPark::Ready => break Ok(()),
            // The deadline timer withdrew us — for our deadline, or (in a
            // race with an earlier wait's) early: then it is spurious.
            AfterPark::Withdrawn => match deadline {
                Some(d) if Instant::now() >= d => break Err(timed_out()),
                _ => break Ok(()),
            },
        }
    };
    np.add_waiter(-1);
    outcome
}

/// The error a read or write past its deadline returns (Go's message).
pub(crate) fn timed_out() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "i/o timeout")
}
