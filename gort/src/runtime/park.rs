//! The seam everything that blocks is built on: park the current goroutine
//! (or thread), and wake a parked one.
//!
//! A [`Waiter`] names whoever is waiting — a goroutine, or a plain OS thread
//! that called a blocking gort API — and `wake` works for both. [`park`] has
//! token semantics like `std::thread::park`: it may return spuriously, so
//! callers re-check their condition in a loop; a `wake` before the `park` is
//! never lost.

use super::context;
use super::coro::Switch;
use super::g::G;
use super::rt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;

/// Someone who may be blocked waiting for an event.
pub(crate) enum Waiter {
    Goroutine(Arc<G>),
    /// A plain thread (one pointer, so a `Waiter` stays two words).
    Thread(Arc<PlainThread>),
}

impl Waiter {
    /// The caller, as a waiter.
    pub(crate) fn current() -> Waiter {
        let g = context::current_g();
        if g.is_null() {
            Waiter::Thread(plain_thread())
        } else {
            // SAFETY: a non-null current_g was produced by Arc::as_ptr on an
            // Arc the running M holds, so the count is at least one.
            unsafe { Arc::increment_strong_count(g) };
            // SAFETY: we own the count we just added.
            Waiter::Goroutine(unsafe { Arc::from_raw(g) })
        }
    }

    /// Wake the waiter (or leave it a token if it is not parked yet).
    pub(crate) fn wake(self) {
        match self {
            Waiter::Goroutine(g) => {
                if g.unpark() {
                    ready(g);
                }
            }
            Waiter::Thread(t) => wake_thread(&t),
        }
    }
}

/// Wake a plain thread (out of line: the goroutine arm above is the hot
/// one, and inlining this beside it cost channel ping-pong measurably).
#[cold]
#[inline(never)]
fn wake_thread(t: &PlainThread) {
    // The waker, not the woken thread, takes it off the count: a thread
    // woken but not yet scheduled must not look parked to the deadlock
    // detector.
    if t.parked.swap(false, SeqCst) {
        THREADS_PARKED.fetch_sub(1, SeqCst);
    }
    t.thread.unpark();
}

/// A plain OS thread that may wait in gort: its handle and whether it is
/// parked in a gort wait right now (see `THREADS_PARKED`).
pub(crate) struct PlainThread {
    thread: std::thread::Thread,
    parked: AtomicBool,
}

/// This plain thread, as a `PlainThread` (out of line: it reads a
/// thread-local; see context.rs).
#[inline(never)]
fn plain_thread() -> Arc<PlainThread> {
    thread_local! {
        static ME: Arc<PlainThread> = Arc::new(PlainThread {
            thread: std::thread::current(),
            parked: AtomicBool::new(false),
        });
    }
    ME.with(Arc::clone)
}

/// Why a goroutine is parked: shown by the deadlock report (Go's
/// `waitReason`, with Go's words where Go has the same wait).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub(crate) enum WaitReason {
    /// Not parked (or parked without a reason).
    Unknown = 0,
    ChanReceive,
    ChanSend,
    Select,
    SelectNoCases,
    MutexLock,
    RwLockRead,
    RwLockWrite,
    CondWait,
    OnceDo,
    WaitGroupWait,
    SemaphoreAcquire,
    Sleep,
    IoWait,
    Join,
}

impl WaitReason {
    const ALL: [WaitReason; 15] = [
        WaitReason::Unknown,
        WaitReason::ChanReceive,
        WaitReason::ChanSend,
        WaitReason::Select,
        WaitReason::SelectNoCases,
        WaitReason::MutexLock,
        WaitReason::RwLockRead,
        WaitReason::RwLockWrite,
        WaitReason::CondWait,
        WaitReason::OnceDo,
        WaitReason::WaitGroupWait,
        WaitReason::SemaphoreAcquire,
        WaitReason::Sleep,
        WaitReason::IoWait,
        WaitReason::Join,
    ];

    pub(crate) fn from_u8(n: u8) -> WaitReason {
        Self::ALL
            .get(n as usize)
            .copied()
            .unwrap_or(WaitReason::Unknown)
    }

    /// As Go's goroutine dumps print it.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            WaitReason::Unknown => "waiting",
            WaitReason::ChanReceive => "chan receive",
            WaitReason::ChanSend => "chan send",
            WaitReason::Select => "select",
            WaitReason::SelectNoCases => "select (no cases)",
            WaitReason::MutexLock => "sync.Mutex.Lock",
            WaitReason::RwLockRead => "sync.RWMutex.RLock",
            WaitReason::RwLockWrite => "sync.RWMutex.Lock",
            WaitReason::CondWait => "sync.Cond.Wait",
            WaitReason::OnceDo => "sync.Once.Do",
            WaitReason::WaitGroupWait => "sync.WaitGroup.Wait",
            WaitReason::SemaphoreAcquire => "semaphore acquire",
            WaitReason::Sleep => "sleep",
            WaitReason::IoWait => "IO wait",
            WaitReason::Join => "JoinHandle.join",
        }
    }
}

/// Plain OS threads blocked right now inside a gort wait (for deadlock
/// detection: such a thread cannot wake anybody).
pub(crate) static THREADS_PARKED: AtomicUsize = AtomicUsize::new(0);

/// Block the caller until woken (or spuriously), for `reason`; see the
/// module docs. Dumps show the caller's location as where the goroutine
/// blocked: every function from the public API that blocks down to here
/// is `#[track_caller]`, so that location is the user's call.
#[track_caller]
pub(crate) fn park(reason: WaitReason) {
    let g = context::current_g();
    if g.is_null() {
        // Counted while parked; whoever clears the flag (a waker, or this
        // thread after a spurious return) uncounts it, exactly once.
        let me = plain_thread();
        THREADS_PARKED.fetch_add(1, SeqCst);
        me.parked.store(true, SeqCst);
        std::thread::park();
        if me.parked.swap(false, SeqCst) {
            THREADS_PARKED.fetch_sub(1, SeqCst);
        }
        return;
    }
    // SAFETY: we are running on this G, so it is alive.
    let g = unsafe { &*g };
    g.set_wait(
        reason,
        std::panic::Location::caller(),
        super::sysmon::coarse_now(),
    );
    if g.take_token() {
        return;
    }
    if std::thread::panicking() {
        // Never switch stacks while unwinding: std keeps the panic count in a
        // thread-local that must stay with this thread. Hold the thread until
        // the token arrives instead — as a blocking call, so that the P goes
        // on running other goroutines (perhaps the one that will wake us).
        super::syscall::syscall(|| {
            while !g.take_token() {
                std::thread::yield_now();
            }
        });
        return;
    }
    g.suspend(Switch::Park);
}

/// Make a G that was just unparked (or created) runnable, then make sure an
/// M will run it (cf. ready/goready):
/// - from a running goroutine, into its P's `runnext`, so it runs soon and
///   on this P (a hand-off between two goroutines);
/// - from the scheduler itself (an M with a P running timers or netpoll
///   results), to the back of the P's queue, so that Gs woken together
///   run in the order they were woken (timers in deadline order);
/// - from a thread without a P, to the global queue.
pub(crate) fn ready(g: Arc<G>) {
    let sched = &rt().sched;
    let ctx = context::ctx();
    match ctx.and_then(|c| c.p.get()) {
        Some(p) if ctx.is_some_and(|c| !c.curg.get().is_null()) => {
            p.runq.push_next(g, |batch| sched.global_put_batch(batch));
            sched.wakep_after_seqcst_publish();
        }
        Some(p) => {
            p.runq.push_back(g, |batch| sched.global_put_batch(batch));
            sched.wakep();
        }
        None => {
            sched.global_put(g);
            sched.wakep();
            rt().sysmon.woke_without_p();
        }
    }
}

/// Make a list of Gs runnable (netpoll results) as `ready` does, but wake
/// at most one idle P's M, and only for a second G: an M with a P that is
/// about to look for work runs the first itself (a spinner that finds work
/// wakes the next, so more Gs still spread).
pub(crate) fn ready_all(gs: impl IntoIterator<Item = Arc<G>>) {
    let sched = &rt().sched;
    let Some(p) = context::current_p() else {
        for g in gs {
            sched.global_put(g);
            sched.wakep();
            rt().sysmon.woke_without_p();
        }
        return;
    };
    let mut n = 0;
    for g in gs {
        p.runq.push_back(g, |batch| sched.global_put_batch(batch));
        n += 1;
    }
    if n > 1 {
        sched.wakep();
    }
}

/// Give up the P because the time slice is used up (sysmon asked); the
/// caller stays runnable, on the global queue (cf. gopreempt_m). No-op on a
/// plain thread or while panicking (no stack switch then, see `park`).
pub(crate) fn preempt() {
    let g = context::current_g();
    if g.is_null() || std::thread::panicking() {
        return;
    }
    // SAFETY: we are running on this G, so it is alive.
    unsafe { &*g }.suspend(Switch::Preempt);
}

/// Let other goroutines run; the caller stays runnable (runtime.Gosched).
pub(crate) fn yield_now() {
    let g = context::current_g();
    if g.is_null() || std::thread::panicking() {
        return std::thread::yield_now();
    }
    // SAFETY: we are running on this G, so it is alive.
    unsafe { &*g }.suspend(Switch::Yield);
}
