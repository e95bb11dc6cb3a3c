//! The channel itself (cf. Go's `hchan` in runtime/chan.go): a lock, a
//! buffer of one flavor (zero.rs or array.rs), a `closed` flag and the FIFO
//! queues of blocked senders and receivers. Every operation — plain sends
//! and receives and every case of a `select!` — goes through the locked
//! steps here, so one protocol serves all flavors.
//!
//! # Invariants (checked with `debug_assert!` after each operation)
//! * Buffered: if the buffer holds a value, no receiver is waiting; if it
//!   has room, no sender is waiting. (Unbuffered: a goroutine may wait to
//!   send and to receive on the same channel in one `select!`, as in Go.)
//! * Once `closed`, no waiter is queued: `close` wakes them all, and
//!   nobody enqueues on a closed channel.
//! * A value leaves the channel exactly once: a send either completes
//!   (into the buffer or a receiver's slot) or returns its value in the error.
//!
//! # Locking
//! One spin lock per channel ([`ChanMutex`]). `select!` locks several
//! channels at once, always in ascending address order (Go's `lockorder`),
//! so two selects over the same channels cannot deadlock. Waiters are woken
//! only after the lock is released, and nothing done under the lock blocks,
//! parks or yields the goroutine: every critical section is a few dozen
//! instructions, which is what makes a spin lock the right kind here.
//!
//! No wake-up depends on which lock this is: a waker publishes an outcome
//! and then unparks with a read-modify-write that orders the publish
//! before the goroutine's re-check (runtime/g.rs, "The invariant"). This
//! lock was once reverted because a release-store unlock exposed a lost
//! wake-up that parking_lot's CAS unlock had hidden; that protocol bug is
//! fixed, and the lock choice below is made on speed alone.

use super::array::Ring;
use super::error::{TryRecvError, TrySendError};
use super::waitq::{Sudog, WaitQueue};
use super::zero::Rendezvous;
use crate::runtime::park::Waiter;
use std::cell::UnsafeCell;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize};

/// A channel's buffer: one of the flavors.
pub(crate) enum Flavor<T> {
    Zero(Rendezvous),
    Array(Ring<T>),
}

/// A channel's lock: `spin`'s test-and-test-and-set lock that, while the
/// lock is taken, gives its CPU away (`sched_yield`) instead of spinning.
///
/// Why not parking_lot's mutex: its unlock is a compare-and-swap (so it can
/// see parked waiters); this one's is a plain release store. Measured side
/// by side (bench programs, three builds alternating for 7 rounds, medians,
/// 2-core EPYC VM, 2026-12-01; parking_lot → spin): buffered cap 1024 1P1C
/// 20.3 → 14.5 ns/msg and 4P4C 21.4 → 15.9 ns/msg; unbuffered ping-pong
/// 169.9 → 174.5 ns (p=2) and 150.8 → 156.3 ns (p=1), select over two
/// 141.8 → 143.8 ns — those three within the rounds' spread (±15 %).
/// Why yield rather than spin: under contention (4 producers and 4
/// consumers on 2 Ps) pure spinning kept both cores fighting over the
/// channel's cache lines and ran 2.6× slower than parking; yielding at once
/// lets the holder finish. No holder ever waits for anything while it
/// holds the lock (see Locking above), so a waiter only ever waits for a
/// short critical section. Oversubscribed, where a holder's thread may be
/// descheduled, it still beat parking_lot (same machine, 3 runs each):
/// 4P4C at GOMAXPROCS=16 16–20 vs 18–27 ns/msg, at 64 15–19 vs 21–25;
/// 32 producers and 32 consumers at GOMAXPROCS=64 14–19 vs 20–22 ns/msg.
///
/// A newtype with raw `lock`/`unlock` only: `SpinMutex`'s own `lock`
/// returns a guard, and calling it as a statement would unlock again at
/// once (a trap the first version of this lock fell into).
pub(crate) struct ChanMutex(spin::mutex::SpinMutex<(), spin::relax::Yield>);

impl ChanMutex {
    const fn new() -> ChanMutex {
        ChanMutex(spin::mutex::SpinMutex::new(()))
    }

    /// Take the lock; it stays taken until `unlock`.
    #[inline]
    fn lock(&self) {
        std::mem::forget(self.0.lock());
    }

    /// # Safety
    /// The caller holds the lock (its own `lock` call, not yet unlocked).
    #[inline]
    unsafe fn unlock(&self) {
        // SAFETY: the caller holds the lock, whose guard was forgotten.
        unsafe { self.0.force_unlock() };
    }
}

/// What the lock protects.
pub(crate) struct State<T> {
    flavor: Flavor<T>,
    closed: bool,
    /// Closed because every receiver is gone (not by `close`): a send can
    /// never be received, but it is not Go's "send on closed channel".
    orphaned: bool,
    pub(crate) recvq: WaitQueue<T>,
    pub(crate) sendq: WaitQueue<T>,
    /// Run once, after the lock is released, when the last receiver is
    /// gone: a timer channel cancels its timer (time.rs), so a timer
    /// nobody can receive from is freed at once, as Go 1.23 collects one.
    pub(crate) on_orphan: Option<OrphanHook>,
}

/// See [`State::on_orphan`].
pub(crate) type OrphanHook = Box<dyn FnOnce() + Send>;

pub(crate) struct Chan<T> {
    lock: ChanMutex,
    state: UnsafeCell<State<T>>,
    cap: usize,
    /// Live `Sender`s / `Receiver`s; the last one of either kind closes.
    pub(crate) senders: AtomicUsize,
    pub(crate) receivers: AtomicUsize,
    /// For a timer's channel: when the timer is due to deliver (`Timers`
    /// nanoseconds; `NEVER` when none is armed). A hint, read relaxed: see
    /// `mod.rs`, "A timer channel is ready at its time".
    pub(crate) timer_due: AtomicU64,
}

// SAFETY: `state` is only touched with `lock` held (see `Locked`); values
// of T move between threads through it, hence T: Send.
unsafe impl<T: Send> Sync for Chan<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Send for Chan<T> {}

/// A value received, and the blocked sender (if any) to wake for it.
pub(crate) type Received<T> = (T, Option<Waiter>);

impl<T> Chan<T> {
    pub(crate) fn new(cap: usize) -> Chan<T> {
        let flavor = if cap == 0 {
            Flavor::Zero(Rendezvous)
        } else {
            Flavor::Array(Ring::new(cap))
        };
        Chan {
            lock: ChanMutex::new(),
            state: UnsafeCell::new(State {
                flavor,
                closed: false,
                orphaned: false,
                recvq: WaitQueue::new(),
                sendq: WaitQueue::new(),
                on_orphan: None,
            }),
            cap,
            timer_due: AtomicU64::new(crate::runtime::timer::NEVER),
            senders: AtomicUsize::new(1),
            receivers: AtomicUsize::new(1),
        }
    }

    pub(crate) fn cap(&self) -> usize {
        self.cap
    }

    /// Lock the channel.
    pub(crate) fn lock(&self) -> Locked<'_, T> {
        self.lock.lock();
        Locked { chan: self }
    }

    /// Lock without a guard, for `select!` (which holds several locks).
    pub(crate) fn raw_lock(&self) {
        self.lock.lock();
    }

    /// # Safety
    /// The caller holds the lock (taken with `raw_lock`) and has no
    /// reference from `raw_state` left.
    pub(crate) unsafe fn raw_unlock(&self) {
        // SAFETY: the caller holds the lock.
        unsafe { self.lock.unlock() };
    }

    /// # Safety
    /// The caller holds the lock, and this is the only live reference.
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn raw_state(&self) -> &mut State<T> {
        // SAFETY: the lock gives exclusive access; uniqueness is the
        // caller's contract.
        unsafe { &mut *self.state.get() }
    }
}

/// The channel, locked; unlocks on drop.
pub(crate) struct Locked<'a, T> {
    chan: &'a Chan<T>,
}

impl<T> std::ops::Deref for Locked<'_, T> {
    type Target = State<T>;
    fn deref(&self) -> &State<T> {
        // SAFETY: we hold the lock; the guard hands out borrows tied to itself.
        unsafe { &*self.chan.state.get() }
    }
}
impl<T> std::ops::DerefMut for Locked<'_, T> {
    fn deref_mut(&mut self) -> &mut State<T> {
        // SAFETY: as above, and `&mut self` makes this borrow unique.
        unsafe { &mut *self.chan.state.get() }
    }
}
impl<T> Drop for Locked<'_, T> {
    fn drop(&mut self) {
        // SAFETY: a Locked exists only while its lock is held.
        unsafe { self.chan.lock.unlock() };
    }
}

impl<T> State<T> {
    pub(crate) fn is_closed(&self) -> bool {
        self.closed
    }

    /// Whether it was closed by its last receiver going away.
    pub(crate) fn is_orphaned(&self) -> bool {
        self.orphaned
    }

    pub(crate) fn len(&self) -> usize {
        match &self.flavor {
            Flavor::Zero(_) => 0,
            Flavor::Array(r) => r.len(),
        }
    }

    /// Send without blocking (cf. chansend's fast paths): to a waiting
    /// receiver, else into the buffer. On success, returns who to wake.
    ///
    /// `#[inline]`, as `try_recv`: every send and receive runs through
    /// these, and LLVM stopped inlining them into the blocking paths when
    /// unrelated channel code grew (the buffered benchmark ran 20–30 %
    /// slower, 2026-12-01).
    #[inline]
    pub(crate) fn try_send(&mut self, v: T) -> Result<Option<Waiter>, TrySendError<T>> {
        if self.closed {
            return Err(TrySendError::Closed(v));
        }
        let v = match self.recvq.give(v) {
            Ok(waiter) => {
                self.check();
                return Ok(Some(waiter));
            }
            Err(v) => v,
        };
        let pushed = match &mut self.flavor {
            Flavor::Zero(z) => z.push(v),
            Flavor::Array(r) => r.push(v),
        };
        self.check();
        pushed.map(|()| None).map_err(TrySendError::Full)
    }

    /// Receive without blocking (cf. chanrecv's fast paths): from a waiting
    /// sender (through the buffer if there is one), else from the buffer.
    #[inline]
    pub(crate) fn try_recv(&mut self) -> Result<Received<T>, TryRecvError> {
        if let Some((from_sender, waiter)) = self.sendq.take() {
            let v = match &mut self.flavor {
                Flavor::Zero(z) => z.exchange(from_sender),
                Flavor::Array(r) => r.exchange(from_sender),
            };
            self.check();
            return Ok((v, Some(waiter)));
        }
        let popped = match &mut self.flavor {
            Flavor::Zero(_) => None,
            Flavor::Array(r) => r.pop(),
        };
        self.check();
        match popped {
            Some(v) => Ok((v, None)),
            None if self.closed => Err(TryRecvError::Closed),
            None => Err(TryRecvError::Empty),
        }
    }

    /// Close (cf. closechan): every waiter is released — receivers with
    /// "closed", senders with their value still in their slot — except that
    /// when the last receiver left (`orphaned`), `select!` send arms that
    /// must send just stop waiting here: they can never fire, as in Go a
    /// send nobody receives blocks. Returns who to wake, or `None` if it
    /// was already closed.
    pub(crate) fn close(&mut self, orphaned: bool) -> Option<Vec<Waiter>> {
        if self.closed {
            return None;
        }
        self.closed = true;
        self.orphaned = orphaned;
        let mut wakes = Vec::new();
        self.recvq.close_all(orphaned, &mut wakes);
        self.sendq.close_all(orphaned, &mut wakes);
        self.check();
        Some(wakes)
    }

    /// The last receiver left: take every buffered value out, for the
    /// caller to drop once the lock is released (a value's destructor may
    /// use this very channel). Nobody can receive them any more, and a
    /// value that owns a `Sender` of its own channel would otherwise keep
    /// the channel, and itself, alive for ever (cf. crossbeam-channel #1121,
    /// rust-lang/rust#108164).
    pub(crate) fn take_unreceivable(&mut self) -> VecDeque<T> {
        debug_assert!(self.closed, "values are unreceivable only once closed");
        match &mut self.flavor {
            Flavor::Zero(_) => VecDeque::new(),
            Flavor::Array(r) => r.take_all(),
        }
    }

    /// Check the invariants in the header (debug builds).
    fn check(&self) {
        if cfg!(debug_assertions) {
            if let Flavor::Array(r) = &self.flavor {
                debug_assert!(
                    r.len() == 0 || !self.recvq.has_live(),
                    "value buffered while a receiver waits"
                );
                debug_assert!(
                    r.is_full() || !self.sendq.has_live(),
                    "room in buffer while a sender waits"
                );
            }
            debug_assert!(
                !self.closed || (!self.recvq.has_live() && !self.sendq.has_live()),
                "waiter queued on a closed channel"
            );
        }
    }
}

/// Queue a blocked receive or send.
impl<T> State<T> {
    /// # Safety
    /// `s` must obey the lifetime invariant of waitq.rs: it stays put and
    /// alive until claimed or removed by its owner.
    pub(crate) unsafe fn enqueue_recv(&mut self, s: &Sudog<T>) {
        debug_assert!(!self.closed);
        // SAFETY: forwarded from our caller.
        unsafe { self.recvq.push(s) };
    }

    /// # Safety
    /// As for `enqueue_recv`.
    pub(crate) unsafe fn enqueue_send(&mut self, s: &Sudog<T>) {
        debug_assert!(!self.closed);
        // SAFETY: forwarded from our caller.
        unsafe { self.sendq.push(s) };
    }
}
