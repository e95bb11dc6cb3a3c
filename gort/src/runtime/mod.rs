//! The runtime: one per process, started on first use — and the public
//! functions that query and tune it (Go's `runtime` package).
//!
//! Layers, lowest first: stacks (`crate::stack`) and the coroutine wrapper
//! (`coro`) → Gs, Ps and Ms with their queues (`g`, `p`, `runq`, `m`,
//! `global`, `sched`) → sysmon, timers and the netpoller (`timer`,
//! `polldesc`, `netpoll`) → the small seam everything that blocks is built on
//! (`park`: park the current G with a reason, make a G runnable).

#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
pub(crate) mod asyncpreempt;
pub(crate) mod context;
pub(crate) mod coro;
pub(crate) mod deadlock;
pub(crate) mod dump;
pub(crate) mod fpu;
pub(crate) mod g;
pub(crate) mod gfn;
pub(crate) mod global;
pub(crate) mod m;
pub(crate) mod netpoll;
pub(crate) mod p;
pub(crate) mod park;
pub(crate) mod polldesc;
pub(crate) mod preempt_flag;
pub(crate) mod runq;
pub(crate) mod sched;
pub(crate) mod syscall;
pub(crate) mod sysmon;
pub(crate) mod timer;

use crate::config::Config;
use crate::stack::StackPool;
pub use dump::stack;
use g::G;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::*};
use std::sync::{Arc, OnceLock};

/// The process-wide runtime.
pub(crate) struct Runtime {
    pub(crate) sched: sched::Sched,
    pub(crate) stacks: StackPool,
    pub(crate) sysmon: sysmon::Sysmon,
    pub(crate) timers: timer::Timers,
    pub(crate) netpoll: netpoll::Netpoll,
    /// Source of goroutine ids; Ps take batches of it. Starts at 1, so the
    /// first goroutine (main's) is goroutine 1, as in Go.
    pub(crate) goid: AtomicU64,
    /// Goroutines created by threads that hold no P and not yet finished
    /// anywhere is `outside_live + Σ p.live`.
    outside_live: AtomicI64,
}

static RUNTIME: OnceLock<Runtime> = OnceLock::new();

/// The runtime, started if this is the first use.
#[inline]
pub(crate) fn rt() -> &'static Runtime {
    match RUNTIME.get() {
        Some(rt) => rt,
        None => start(),
    }
}

/// First use: build the runtime, then — once it is `'static` — give it its
/// Ps and start sysmon. Work submitted in between waits in the global queue
/// and is picked up when the first P is added.
#[cold]
fn start() -> &'static Runtime {
    let mut procs = None;
    let rt = RUNTIME.get_or_init(|| {
        let config = Config::from_env();
        crate::overflow::install_handler(config.stack_size);
        crate::panic::install_hook();
        #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
        if !config.debug.async_preempt_off {
            asyncpreempt::set_fault(config.debug.async_preempt_fault);
            asyncpreempt::install();
        }
        procs = Some(config.gomaxprocs);
        Runtime {
            sched: sched::Sched::new(),
            stacks: StackPool::new(config.stack_size),
            sysmon: sysmon::Sysmon::new(config.debug),
            timers: timer::Timers::new(),
            netpoll: netpoll::Netpoll::new(),
            goid: AtomicU64::new(1),
            outside_live: AtomicI64::new(0),
        }
    });
    if let Some(n) = procs {
        rt.sched.resize(n);
        rt.sysmon.start();
    }
    rt
}

/// Print a Go-style fatal error and exit with status 2.
pub(crate) fn fatal(msg: &str) -> ! {
    eprintln!("fatal error: {msg}");
    std::process::exit(2)
}

/// Create a goroutine running `f` and make it runnable (cf. newproc): on a
/// thread with a P it goes to that P's `runnext`; elsewhere to the global
/// queue. Dumps show the caller's location (the user's `go!`/`spawn`:
/// those are `#[track_caller]` too) as where it was created.
#[track_caller]
#[inline(never)]
pub(crate) fn new_goroutine<F: FnOnce() + Send + 'static>(f: F) {
    let rt = rt();
    let ctx = context::ctx();
    let parent = ctx.map_or(std::ptr::null(), |c| c.curg.get());
    // SAFETY: a non-null current G is the one this thread runs, alive.
    let parent_id = unsafe { parent.as_ref() }.map_or(0, G::id);
    let created = g::Created {
        at: std::panic::Location::caller(),
        by: parent_id,
    };
    let g = match ctx.and_then(|c| c.p.get()) {
        Some(p) => {
            // SAFETY: the P is held by this thread's M.
            let local = unsafe { p.local() };
            let id = local.next_goid(&rt.goid);
            p.add_live(1);
            local.new_g(&rt.sched, id, f, created)
        }
        None => {
            rt.outside_live.fetch_add(1, Relaxed);
            let g = G::new(rt.goid.fetch_add(1, Relaxed), f);
            g.set_created(created);
            rt.sched.register_g(Arc::new(g))
        }
    };
    park::ready(g);
}

/// Counts of preemptions by signal, since the program started (for
/// diagnostics and tests; cooperative preemptions at checkpoints are not
/// counted).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PreemptStats {
    /// Goroutines stopped by the preemption signal inside a
    /// `#[gort::preemptible]` function.
    pub by_signal: u64,
    /// Of those, how many resumed on another OS thread.
    pub resumed_on_another_thread: u64,
}

/// How many goroutines the preemption signal has stopped so far (always
/// zeros where there is no signal path: off x86_64 Linux, or with
/// `GORTDEBUG=asyncpreemptoff=1`).
pub fn preempt_stats() -> PreemptStats {
    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    {
        PreemptStats {
            by_signal: asyncpreempt::COUNT.load(Relaxed),
            resumed_on_another_thread: asyncpreempt::MIGRATED.load(Relaxed),
        }
    }
    #[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
    PreemptStats::default()
}

/// The number of goroutines that exist: started and not yet returned
/// (Go's `runtime.NumGoroutine`). Threads blocked in [`run`](crate::run) are
/// not goroutines; the goroutine they wait for is.
pub fn num_goroutine() -> usize {
    let rt = rt();
    let live = rt.outside_live.load(Relaxed)
        + rt.sched.all_ps().map(|p| p.live.load(Relaxed)).sum::<i64>();
    live.max(0) as usize
}

/// The number of Ps: how many goroutines can run in parallel (Go's
/// `runtime.GOMAXPROCS(0)`). Set by the `GOMAXPROCS` environment variable,
/// otherwise the number of CPUs this process may use.
pub fn gomaxprocs() -> usize {
    rt().sched.gomaxprocs()
}

/// Set the number of Ps and return the previous value (Go's
/// `runtime.GOMAXPROCS(n)`). As in Go, `0` changes nothing and only
/// returns the current value; values above 256 are clamped to 256. Growing
/// takes effect at once; when shrinking, a P that is running a goroutine is
/// asked at once to give it up, and retired when that goroutine next
/// blocks, yields or is preempted (Go stops the world instead); until then
/// other Ps may still steal the goroutines queued on it.
pub fn set_gomaxprocs(n: usize) -> usize {
    if n == 0 {
        return gomaxprocs();
    }
    rt().sched.resize(n)
}

/// The id of the calling goroutine (1 for `main`'s under `#[gort::main]`),
/// or 0 when called from a thread that is not running a goroutine.
pub fn goroutine_id() -> u64 {
    let g = context::current_g();
    if g.is_null() {
        0
    } else {
        // SAFETY: the running G is alive while its code runs.
        unsafe { &*g }.id()
    }
}

/// Run `f` with the calling goroutine's local-storage slot, or return `None`
/// on a thread that is not running a goroutine.
///
/// # Panics
/// If called again from inside `f` (the slot is already borrowed).
pub(crate) fn with_goroutine_locals<R>(
    f: impl FnOnce(&mut Option<Box<crate::sync::local::LocalMap>>) -> R,
) -> Option<R> {
    let g = context::current_g();
    if g.is_null() {
        return None;
    }
    // SAFETY: we run on this G, so it is alive.
    let g = unsafe { &*g };
    let _borrow = g.borrow_locals();
    // SAFETY: only code on this G touches the slot, and the borrow guard
    // above makes this the only live reference to it.
    Some(f(unsafe { g.locals() }))
}

/// A fast per-thread pseudo-random number (xorshift64*), for `select!`'s
/// poll order. Out of line: it reads a thread-local (see context.rs).
#[inline(never)]
pub(crate) fn fastrand() -> u64 {
    use std::cell::Cell;
    thread_local! {
        static STATE: Cell<u64> = const { Cell::new(0) };
    }
    STATE.with(|s| {
        let mut x = s.get();
        if x == 0 {
            // Seed from the state's address and the clock: distinct per thread.
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64);
            x = (s as *const Cell<u64> as u64) ^ t | 1;
        }
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        s.set(x);
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    })
}
