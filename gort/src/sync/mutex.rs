//! `Mutex`: mutual exclusion that parks goroutines, not threads (Go's
//! `sync.Mutex`, sync/mutex.go) — and the raw, data-less [`RawMutex`] that
//! `RwLock` reuses for its writers. Waiters park on tickets (sema.rs).
//!
//! # The problem
//! A contended lock must take the *goroutine* off its thread (so the thread
//! runs other goroutines: with GOMAXPROCS=1 a blocked thread would stop the
//! lock's holder from ever running again), must work from plain OS threads
//! too, and must be fair enough that no waiter starves, without giving up
//! the throughput of letting a running goroutine re-take a lock it just
//! released. Go's answer, which we follow: two modes.
//!
//! * **Normal mode.** Waiters queue FIFO, but a woken waiter does not own
//!   the lock: it competes with goroutines that arrive meanwhile (which are
//!   already on a CPU and usually win). A waiter that loses is requeued at
//!   the *front*. Arrivals may spin briefly before queueing.
//! * **Starvation mode**, entered when a waiter that lost has been waiting
//!   more than 1 ms (Go's `starvationThresholdNs`): `unlock` hands ownership
//!   straight to the head of the queue (the lock never looks free), then
//!   yields so the new owner runs soon (cf. `semrelease(handoff=true)` +
//!   `goyield`). Arrivals neither spin nor take the lock; they queue at the
//!   tail. Back to normal mode when the waiter handed the lock is the last
//!   one, or waited less than 1 ms.
//!
//! Rejected: a pure FIFO hand-off lock (every contended unlock forces a
//! context switch: a convoy), a pure barging lock (a waiter can starve, as
//! the tests show), and Go's own layout (waiter count in the state word plus
//! a semaphore in a global treap) — a queue per mutex under a tiny
//! `parking_lot` lock is simpler, and `parking_lot` already guards the slow
//! paths of the runtime.
//!
//! # State
//! `state` is one `AtomicU32` of named bits:
//! * `LOCKED`   — someone owns the mutex.
//! * `WOKEN`    — a waiter was woken (or a spinner claimed the right to be):
//!   it will take the lock or requeue itself, so `unlock` need not wake
//!   another. Cleared by that waiter when it takes the lock or requeues.
//! * `STARVING` — starvation mode. Written only under the queue lock.
//! * `PARKED`   — the queue is non-empty. Written only under the queue lock.
//!
//! `queue` (a `parking_lot::Mutex<VecDeque>`) holds the parked waiters, each
//! with its [`Parked`] half of a ticket and the time it first queued.
//!
//! # Invariants
//! 1. `STARVING ⇒ LOCKED`: starvation mode is only entered by a waiter that
//!    found the mutex locked (it sets the bit in the same CAS that checks
//!    `LOCKED`), and unlock in starvation mode never clears `LOCKED` — it
//!    passes the ownership on. So an arrival can never take a starving lock.
//! 2. Under the queue lock, `PARKED ⇔ queue non-empty`, and
//!    `STARVING ⇒ PARKED`: the bits change together with the queue.
//! 3. At most one party owns `WOKEN`: it is set only by a CAS that finds it
//!    clear, and cleared only by its owner (when it takes the lock or
//!    requeues). While it is set, that owner is bound to re-check the lock,
//!    so an unlock may skip waking anyone.
//!
//! # Protocol
//! `lock`:
//! 1. Fast path: CAS `0 → LOCKED`.
//! 2. If neither `LOCKED` nor `STARVING` is set: CAS in `LOCKED` (clearing
//!    `WOKEN` if we own it). Done.
//! 3. If locked in normal mode and spinning is worthwhile (cf.
//!    `sync_runtime_canSpin`): spin up to 4 × 30 pause instructions, setting
//!    `WOKEN` if nobody has so unlock does not wake a rival. Back to 2.
//! 4. Take the queue lock. Re-read the state: if it became free, drop the
//!    queue lock and go back to 2. Else CAS in `PARKED` (and `STARVING` if we
//!    have waited > 1 ms; and clear `WOKEN` if we owned it) — the CAS fails
//!    if an unlock slipped in, and we re-read. Push ourselves (front if we
//!    had queued before, else back), release the queue lock, park on the
//!    ticket until signalled.
//! 5. Signalled `HANDOFF`: we own the lock. Signalled `WOKE`: we own `WOKEN`;
//!    back to 2.
//!
//! `unlock`:
//! 1. Fast path: CAS `LOCKED → 0` (nobody queued, nothing special).
//! 2. If `STARVING`: under the queue lock pop the head, clear `STARVING`
//!    (and `PARKED`) as invariant 2 and the 1 ms rule say, signal it
//!    `HANDOFF` — `LOCKED` stays set — and yield.
//! 3. Else CAS `LOCKED` off (the CAS fails, and we go back to 2, if a waiter
//!    just set `STARVING`). If `PARKED` was set and `WOKEN` was not: take
//!    the queue lock and, unless the queue is empty by now (another unlock
//!    woke the last waiter) or the state shows `LOCKED` (its new owner will
//!    do this when it unlocks), `WOKEN` or `STARVING`, CAS in `WOKEN` (and
//!    out `PARKED` if we take the last waiter), pop the head and signal it
//!    `WOKE` (cf. `unlockSlow`).
//!
//! No lost wake-up: a waiter publishes `PARKED` with a CAS that requires
//! `LOCKED` (and pushes itself before releasing the queue lock); an unlock
//! clears `LOCKED` with a CAS on the same word. Whichever is first in the
//! word's modification order, either the unlock sees `PARKED` and goes to
//! the queue (where it waits for the queue lock, so it finds the waiter
//! pushed), or the waiter sees the lock free and takes it instead.
//!
//! # Memory ordering
//! Acquiring CASes are `Acquire`; the CAS that clears `LOCKED` is `Release`.
//! A hand-off keeps `LOCKED` set, so the release/acquire pair there is the
//! ticket's signal word (`Release` store, `Acquire` load). `PARKED`, `WOKEN`
//! and `STARVING` only say where to look; the queue's contents are ordered by
//! the queue lock, so those updates are `Relaxed`.

use super::sema::{ticket, Parked};
use crate::runtime::park::WaitReason;
use std::cell::UnsafeCell;
use std::collections::VecDeque;
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering::*};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------
// RawMutex
// ---------------------------------------------------------------------------

const LOCKED: u32 = 1;
const WOKEN: u32 = 2;
const STARVING: u32 = 4;
const PARKED: u32 = 8;

/// Ticket signals.
const WOKE: u8 = 1;
const HANDOFF: u8 = 2;

/// A waiter that has waited longer than this switches the mutex to
/// starvation mode (Go's `starvationThresholdNs = 1e6`).
const STARVATION_THRESHOLD: Duration = Duration::from_millis(1);

/// Spin rounds before queueing, and pause instructions per round (Go's
/// `active_spin = 4`, `active_spin_cnt = 30`).
const ACTIVE_SPIN: u32 = 4;
const ACTIVE_SPIN_CNT: u32 = 30;

/// A parked waiter and when it first queued (Go's `waitStartTime`, which is
/// kept across requeues).
struct QueuedWaiter {
    parked: Parked,
    since: Instant,
}

/// The lock without the data: Go's `sync.Mutex` proper. See the module docs
/// for the protocol.
pub(crate) struct RawMutex {
    /// `LOCKED | WOKEN | STARVING | PARKED`. Written by lockers and
    /// unlockers with CAS / fetch ops; `STARVING` and `PARKED` only under
    /// `queue`'s lock.
    state: AtomicU32,
    /// Parked waiters, head first. Pushed by `lock_slow`, popped by
    /// `unlock_slow`, both under this lock.
    queue: parking_lot::Mutex<VecDeque<QueuedWaiter>>,
}

impl RawMutex {
    /// An unlocked mutex.
    pub(crate) const fn new() -> RawMutex {
        RawMutex {
            state: AtomicU32::new(0),
            queue: parking_lot::Mutex::new(VecDeque::new()),
        }
    }

    /// Acquire the mutex, parking the caller while it is held elsewhere.
    #[inline]
    #[track_caller]
    pub(crate) fn lock(&self) {
        if self
            .state
            .compare_exchange_weak(0, LOCKED, Acquire, Relaxed)
            .is_err()
        {
            self.lock_slow();
        }
    }

    /// Acquire the mutex if that needs no waiting (Go's `TryLock`). Fails in
    /// starvation mode even if the lock looks free: it belongs to the queue.
    #[inline]
    pub(crate) fn try_lock(&self) -> bool {
        let mut s = self.state.load(Relaxed);
        loop {
            if s & (LOCKED | STARVING) != 0 {
                return false;
            }
            match self
                .state
                .compare_exchange_weak(s, s | LOCKED, Acquire, Relaxed)
            {
                Ok(_) => return true,
                Err(actual) => s = actual,
            }
        }
    }

    /// Whether the mutex is held (a racy snapshot, for diagnostics).
    pub(crate) fn is_locked(&self) -> bool {
        self.state.load(Relaxed) & LOCKED != 0
    }

    /// Release the mutex.
    ///
    /// # Safety
    /// The caller owns the lock (acquired it and has not released it), and
    /// gives that ownership up: whoever gets the lock next may assume
    /// exclusive access to whatever it guards. Releasing an unlocked mutex
    /// is caught and is fatal, as in Go; releasing one another party owns is
    /// not caught.
    #[inline]
    pub(crate) unsafe fn unlock(&self) {
        if self
            .state
            .compare_exchange(LOCKED, 0, Release, Relaxed)
            .is_err()
        {
            self.unlock_slow();
        }
    }

    /// `lock` steps 2–5 (cf. `lockSlow`).
    #[cold]
    #[track_caller]
    #[inline(never)] // takes a thread-blocking lock: see asyncpreempt.rs
    fn lock_slow(&self) {
        let mut spins = 0;
        // We own the WOKEN bit (woken by unlock, or claimed while spinning).
        let mut woken = false;
        // When we first queued; `Some` means requeue at the front.
        let mut since: Option<Instant> = None;
        loop {
            let s = self.state.load(Relaxed);

            // 2. Free (and not reserved for the queue's head): take it.
            if s & (LOCKED | STARVING) == 0 {
                let new = if woken {
                    (s | LOCKED) & !WOKEN
                } else {
                    s | LOCKED
                };
                if self
                    .state
                    .compare_exchange_weak(s, new, Acquire, Relaxed)
                    .is_ok()
                {
                    return;
                }
                continue;
            }

            // 3. Held in normal mode: the holder may let go any moment.
            if s & STARVING == 0 && can_spin(spins) {
                if !woken
                    && s & (WOKEN | PARKED) == PARKED
                    && self
                        .state
                        .compare_exchange_weak(s, s | WOKEN, Relaxed, Relaxed)
                        .is_ok()
                {
                    woken = true;
                }
                spins += 1;
                for _ in 0..ACTIVE_SPIN_CNT {
                    std::hint::spin_loop();
                }
                continue;
            }

            // 4. Queue up and park.
            let starving = since.is_some_and(|t| t.elapsed() > STARVATION_THRESHOLD);
            let ticket = {
                let mut queue = self.queue.lock();
                let mut s = self.state.load(Relaxed);
                let queued = loop {
                    if s & (LOCKED | STARVING) == 0 {
                        break false; // freed meanwhile: go back and take it
                    }
                    // Here LOCKED is set (invariant 1), so setting STARVING
                    // keeps invariant 1.
                    let mut new = s | PARKED;
                    if woken {
                        new &= !WOKEN;
                    }
                    if starving {
                        new |= STARVING;
                    }
                    match self.state.compare_exchange_weak(s, new, Relaxed, Relaxed) {
                        Ok(_) => break true,
                        Err(actual) => s = actual,
                    }
                };
                if !queued {
                    continue;
                }
                // The CAS above gave our WOKEN bit (if any) back; the signal
                // below says whether we own it again.
                let (parked, ticket) = ticket();
                match since {
                    // Requeued after losing a race: keep our place (LIFO).
                    Some(t) => queue.push_front(QueuedWaiter { parked, since: t }),
                    None => {
                        let now = Instant::now();
                        since = Some(now);
                        queue.push_back(QueuedWaiter { parked, since: now });
                    }
                }
                ticket
            };

            // 5. Parked until an unlock picks us.
            match ticket.wait(WaitReason::MutexLock) {
                HANDOFF => return, // LOCKED was never cleared: it is ours
                WOKE => {
                    woken = true;
                    spins = 0;
                }
                other => unreachable!("mutex ticket signalled with {other}"),
            }
        }
    }

    /// `unlock` steps 2–3 (cf. `unlockSlow`).
    #[cold]
    #[inline(never)] // takes a thread-blocking lock: see asyncpreempt.rs
    fn unlock_slow(&self) {
        let mut s = self.state.load(Relaxed);
        loop {
            if s & LOCKED == 0 {
                crate::runtime::fatal("sync: unlock of unlocked mutex");
            }
            if s & STARVING != 0 {
                // Only `hand_off`, run by an owner, clears STARVING, so it
                // cannot disappear under us.
                return self.hand_off();
            }
            match self
                .state
                .compare_exchange_weak(s, s & !LOCKED, Release, Relaxed)
            {
                Ok(_) => break,
                Err(actual) => s = actual,
            }
        }
        if s & PARKED == 0 || s & WOKEN != 0 {
            return; // nobody to wake, or a woken waiter is already on its way
        }
        let head = {
            let mut queue = self.queue.lock();
            if queue.is_empty() {
                // Another unlock (after a newcomer took and released the
                // lock) woke the last waiter before we got here.
                return;
            }
            // PARKED changes only under the queue lock, which we hold.
            let clear = if queue.len() == 1 { PARKED } else { 0 };
            let mut s = self.state.load(Relaxed);
            loop {
                if s & (LOCKED | WOKEN | STARVING) != 0 {
                    // Re-taken (its owner's unlock will wake someone), or a
                    // spinner claimed WOKEN and will take it or queue.
                    return;
                }
                match self
                    .state
                    .compare_exchange_weak(s, (s | WOKEN) & !clear, Relaxed, Relaxed)
                {
                    Ok(_) => break,
                    Err(actual) => s = actual,
                }
            }
            queue.pop_front().expect("checked non-empty above")
        };
        head.parked.wake(WOKE);
    }

    /// Starvation-mode unlock: pass ownership to the head waiter.
    #[inline(never)] // takes a thread-blocking lock: see asyncpreempt.rs
    fn hand_off(&self) {
        let head = {
            let mut queue = self.queue.lock();
            let Some(head) = queue.pop_front() else {
                crate::runtime::fatal("sync: mutex in starvation mode with no waiters");
            };
            let mut clear = 0;
            if queue.is_empty() {
                clear |= PARKED | STARVING;
            }
            if head.since.elapsed() < STARVATION_THRESHOLD {
                clear |= STARVING;
            }
            if clear != 0 {
                self.state.fetch_and(!clear, Relaxed);
            }
            head
        };
        head.parked.wake(HANDOFF);
        // Let the new owner run now rather than at the end of our time
        // slice; it went into this P's runnext (cf. semrelease's goyield).
        crate::yield_now();
    }
}

/// Whether spinning on a held lock may pay off (cf. `sync_runtime_canSpin`):
/// only a few rounds, only with more than one CPU, and only if the holder
/// can be running right now — from a goroutine that means GOMAXPROCS > 1.
/// (Go also requires an idle P and an empty local run queue; gort does not
/// check those, which only costs a few hundred wasted pause instructions.)
fn can_spin(spins: u32) -> bool {
    if spins >= ACTIVE_SPIN || ncpu() <= 1 {
        return false;
    }
    crate::runtime::goroutine_id() == 0 || crate::runtime::gomaxprocs() > 1
}

/// Available CPUs, looked up once.
fn ncpu() -> usize {
    static NCPU: AtomicUsize = AtomicUsize::new(0);
    match NCPU.load(Relaxed) {
        0 => {
            let n = std::thread::available_parallelism().map_or(1, |n| n.get());
            NCPU.store(n, Relaxed);
            n
        }
        n => n,
    }
}

// ---------------------------------------------------------------------------
// Mutex<T>
// ---------------------------------------------------------------------------

/// A mutual-exclusion lock protecting a `T` (Go's `sync.Mutex`, with the
/// data inside as Rust likes it).
///
/// When the lock is held, [`lock`](Mutex::lock) parks the calling goroutine
/// — its thread goes on running other goroutines — and blocks a calling
/// plain OS thread; both kinds of caller can share one `Mutex`. A
/// [`MutexGuard`] may be held across anything that switches goroutines
/// (`yield_now`, channel operations, waiting on another lock), unlike a
/// `std::sync::MutexGuard`, which belongs to its thread.
///
/// # Fairness
/// As Go's: in normal mode a goroutine already running may take the lock
/// ahead of woken waiters (fast); once a waiter has waited more than 1 ms
/// the mutex switches to starvation mode and hands ownership to waiters in
/// FIFO order until the queue drains. No waiter waits forever.
///
/// # No poisoning
/// Go has none, and neither does gort: if a goroutine panics while holding
/// the lock, the guard's drop unlocks it and the next `lock` succeeds. The
/// data may then be in whatever state the panic left it in; if that matters,
/// restore an invariant in a drop guard of your own.
///
/// # Example
/// ```
/// use gort::sync::{Mutex, WaitGroup};
/// use std::sync::Arc;
///
/// gort::run(|| {
///     let count = Arc::new(Mutex::new(0));
///     let wg = WaitGroup::new();
///     for _ in 0..100 {
///         let count = count.clone();
///         wg.go(move || {
///             let mut n = count.lock();
///             gort::yield_now(); // holding the lock across a switch is fine
///             *n += 1;
///         });
///     }
///     wg.wait();
///     assert_eq!(*count.lock(), 100);
/// });
/// ```
pub struct Mutex<T: ?Sized> {
    raw: RawMutex,
    data: UnsafeCell<T>,
}

// SAFETY: the mutex owns a T, so sending it sends the T.
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}
// SAFETY: the lock gives one party at a time `&mut T` (and that party may be
// on any thread), which needs `T: Send` but not `T: Sync`, as std's Mutex.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}

impl<T> Mutex<T> {
    /// An unlocked mutex holding `value`. A `const fn`, so a `Mutex` can be
    /// a `static`.
    pub const fn new(value: T) -> Mutex<T> {
        Mutex {
            raw: RawMutex::new(),
            data: UnsafeCell::new(value),
        }
    }

    /// Consume the mutex and return the data.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Acquire the lock, waiting as long as it takes: a goroutine parks
    /// (its thread runs other goroutines), a plain thread blocks. The lock
    /// is released when the guard is dropped.
    ///
    /// Locking a mutex the caller already holds waits forever (there is no
    /// owner tracking, as in Go).
    #[track_caller]
    pub fn lock(&self) -> MutexGuard<'_, T> {
        self.raw.lock();
        MutexGuard::new(self)
    }

    /// Acquire the lock if that needs no waiting (Go's `TryLock`).
    ///
    /// Returns `None` while the lock is held — and in starvation mode, when
    /// the lock is promised to the longest waiter.
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        self.raw.try_lock().then(|| MutexGuard::new(self))
    }

    /// Whether the lock is held right now (a snapshot that may be stale by
    /// the time it is read; for diagnostics and assertions).
    pub fn is_locked(&self) -> bool {
        self.raw.is_locked()
    }

    /// The data, through a unique borrow of the mutex: no locking needed.
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Mutex<T> {
        Mutex::new(T::default())
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(value: T) -> Mutex<T> {
        Mutex::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.try_lock() {
            Some(guard) => d.field("data", &&*guard),
            None => d.field("data", &format_args!("<locked>")),
        };
        d.finish_non_exhaustive()
    }
}

/// Proof of holding a [`Mutex`]: gives access to the data, and unlocks the
/// mutex when dropped.
///
/// The guard may be held across goroutine switches and may even be sent to
/// another goroutine to unlock there (Go allows unlocking from a different
/// goroutine); it is `Send` when `T` is.
#[must_use = "if unused the Mutex will immediately unlock"]
pub struct MutexGuard<'a, T: ?Sized> {
    pub(super) mutex: &'a Mutex<T>,
    /// Gives the guard `&mut T`'s auto traits: `Send` iff `T: Send`, `Sync`
    /// iff `T: Sync` (with the `&Mutex<T>` field: iff `T: Send + Sync`).
    _marker: PhantomData<&'a mut T>,
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// Wrap a lock the caller has just acquired.
    fn new(mutex: &'a Mutex<T>) -> MutexGuard<'a, T> {
        MutexGuard {
            mutex,
            _marker: PhantomData,
        }
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard exists only while its holder owns the lock, so
        // no one else has a reference to the data.
        unsafe { &*self.mutex.data.get() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` makes this borrow unique.
        unsafe { &mut *self.mutex.data.get() }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: a guard is created only after acquiring the lock, and is
        // the only thing that releases it, once.
        unsafe { self.mutex.raw.unlock() }
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    //! The protocol on plain threads (no goroutines, so no runtime);
    //! tests/sync.rs covers goroutines.

    use super::*;
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;
    use std::thread;

    #[test]
    fn excludes_and_counts_on_threads() {
        let m = Arc::new(Mutex::new(0u64));
        let inside = Arc::new(AtomicBool::new(false));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let (m, inside) = (m.clone(), inside.clone());
                thread::spawn(move || {
                    for i in 0..20_000 {
                        let mut g = m.lock();
                        assert!(!inside.swap(true, Relaxed), "two holders at once");
                        *g += 1;
                        if i % 1000 == 0 {
                            thread::yield_now();
                        }
                        inside.store(false, Relaxed);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(*m.lock(), 80_000);
        assert!(!m.is_locked());
        assert_eq!(m.raw.state.load(Relaxed), 0, "state left dirty");
    }

    #[test]
    fn try_lock_and_accessors() {
        let mut m = Mutex::new(vec![1]);
        {
            let g = m.try_lock().expect("free");
            assert!(m.try_lock().is_none());
            assert!(m.is_locked());
            assert_eq!(format!("{m:?}"), "Mutex { data: <locked>, .. }");
            drop(g);
        }
        m.get_mut().push(2);
        assert_eq!(format!("{m:?}"), "Mutex { data: [1, 2], .. }");
        assert_eq!(m.into_inner(), vec![1, 2]);
    }

    #[test]
    fn starvation_mode_hands_off_on_threads() {
        // (Entering starvation mode by the 1 ms rule is tested with
        // goroutines in tests/sync.rs, where it can be made deterministic.)
        let m = Arc::new(Mutex::new(0));
        let release = Arc::new(AtomicBool::new(false));
        let hold = m.lock();
        let waiter = {
            let (m, release) = (m.clone(), release.clone());
            thread::spawn(move || {
                let mut g = m.lock();
                *g += 1;
                while !release.load(Relaxed) {
                    thread::yield_now();
                }
            })
        };
        while m.raw.state.load(Relaxed) & PARKED == 0 {
            thread::yield_now();
        }
        // Switch to starvation mode as a waiter that waited > 1 ms would
        // (under the queue lock, with LOCKED and PARKED set).
        {
            let _queue = m.raw.queue.lock();
            m.raw.state.fetch_or(STARVING, Relaxed);
        }
        drop(hold);
        // Ownership went to the waiter: the lock never looked free.
        assert!(m.is_locked());
        assert!(m.try_lock().is_none(), "a newcomer took a handed-off lock");
        release.store(true, Relaxed);
        waiter.join().unwrap();
        assert_eq!(*m.lock(), 1);
        assert_eq!(
            m.raw.state.load(Relaxed),
            0,
            "starvation mode outlived the queue"
        );
    }

    #[test]
    fn static_mutex() {
        static M: Mutex<Vec<u32>> = Mutex::new(Vec::new());
        M.lock().push(7);
        assert_eq!(*M.lock(), [7]);
    }
}
