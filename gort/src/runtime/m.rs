//! M: an OS thread that runs goroutines, and its scheduler loop — the code
//! that finds the next G to run (cf. runtime.schedule, findRunnable,
//! execute, stopm in Go's proc.go).
//!
//! An M runs goroutine code only while it holds a P. Its loop is:
//! `find_runnable` → (stop spinning, waking another spinner) → `execute`,
//! forever. `find_runnable` looks, in order, at: the global queue every 61st
//! time slice (fairness), the local queue (`runnext` first), the global
//! queue, then — as a *spinning* M, if fewer than half the busy Ps already
//! have one — steals half of another P's queue (4 passes over all Ps, each
//! from a random start and then in order, `runnext` only on the last). Before all that it runs due
//! timers, and before stealing it polls the network without blocking.
//! Finding nothing, it gives up its P and, if nothing else does, becomes the
//! netpoller's blocked waiter (netpoll.rs); otherwise it parks. See sched.rs
//! for the protocol that makes giving up the P safe.

use super::context::{self, MCtx};
use super::coro::{Coro, Switch};
use super::g::{Body, G};
use super::p::{self, P};
use super::rt;
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering::*};
use std::sync::{Arc, OnceLock};
use std::thread::Thread;

/// Every 61st time slice looks at the global queue first (Go's constant: a
/// prime, so it does not beat with common loop periods).
const GLOBAL_CHECK_PERIOD: u32 = 61;
/// Passes over all Ps when stealing (Go's `stealTries`).
const STEAL_TRIES: usize = 4;
/// How long a thief leaves a running P's `runnext` alone (Go: 3 µs).
const RUNNEXT_GRACE: std::time::Duration = std::time::Duration::from_micros(3);

/// The shared half of an M: what other threads use to hand it a P and wake it.
pub(crate) struct M {
    thread: OnceLock<Thread>,
    /// A P handed to this M by `startm`; the M takes it when it wakes.
    next_p: AtomicPtr<P>,
    /// Whether the M wakes as a spinning M (already counted in nmspinning).
    wake_spinning: AtomicBool,
    /// What this M is running, for goroutine dumps and preemption. On a
    /// cache line of its own: only this M writes it, twice per G it runs,
    /// and other threads' wake-ups touch the fields above.
    pub(crate) running: crossbeam_utils::CachePadded<Running>,
    /// This M's thread, for the preemption signal (set at thread start;
    /// Ms never exit, so it stays valid).
    pub(crate) pthread: AtomicUsize,
}

/// The G an M runs (null between Gs), the id + 1 of the P it runs it on
/// (0 between Gs and during a blocking call), and whether that G is inside
/// `gort::syscall` (for dumps: `p` alone is also 0 for an instant while a
/// G starts or stops).
pub(crate) struct Running {
    pub(crate) g: AtomicPtr<G>,
    pub(crate) p: AtomicUsize,
    pub(crate) in_call: AtomicBool,
}

impl M {
    /// Start a new M thread that begins with `p`.
    pub(crate) fn spawn(id: usize, p: &'static P, spinning: bool) {
        let m: &'static M = Box::leak(Box::new(M {
            thread: OnceLock::new(),
            next_p: AtomicPtr::new(p as *const P as *mut P),
            wake_spinning: AtomicBool::new(spinning),
            running: crossbeam_utils::CachePadded::new(Running {
                g: AtomicPtr::new(std::ptr::null_mut()),
                p: AtomicUsize::new(0),
                in_call: AtomicBool::new(false),
            }),
            pthread: AtomicUsize::new(0),
        }));
        rt().sched.register_m(m);
        let spawned = std::thread::Builder::new()
            .name(format!("gort-m{id}"))
            .spawn(move || m.main());
        if let Err(e) = spawned {
            super::fatal(&format!("cannot start an M thread: {e}"));
        }
    }

    /// Hand `p` to this idle M and wake it.
    pub(crate) fn wake_with(&self, p: &'static P, spinning: bool) {
        self.wake_spinning.store(spinning, Relaxed);
        self.next_p.store(p as *const P as *mut P, Release);
        self.thread.get().expect("an idle M has started").unpark();
    }

    fn main(&'static self) {
        let _ = self.thread.set(std::thread::current());
        // SAFETY: pthread_self has no preconditions.
        self.pthread
            .store(unsafe { libc::pthread_self() } as usize, Release);
        // An M started by sysmon inherits its 10 µs timer slack: restore
        // the default (0 means "the default") for its epoll and futex waits.
        // SAFETY: PR_SET_TIMERSLACK only changes this thread's slack.
        unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, 0 as libc::c_ulong) };
        crate::overflow::install_altstack();
        let ctx: &'static MCtx = Box::leak(Box::new(MCtx {
            m: self,
            p: Cell::new(None),
            curg: Cell::new(std::ptr::null()),
            spinning: Cell::new(false),
        }));
        context::install(ctx);
        self.take_p(ctx);
        loop {
            let (g, inherit) = find_runnable(ctx);
            if ctx.spinning.replace(false) {
                // cf. resetspinning: the last spinner to find work starts
                // another, so parallelism ramps up without a thundering herd.
                rt().sched.counts.nmspinning.fetch_sub(1, SeqCst);
                rt().sched.wakep();
            }
            execute(ctx, g, inherit);
            if ctx.p.get().is_none() {
                // The G came back from a blocking call to find no P free:
                // it waits in the global queue, and this M until given a P.
                self.stop(ctx);
            }
        }
    }

    /// Park until `startm` hands this M a P.
    fn take_p(&self, ctx: &MCtx) {
        loop {
            let p = self.next_p.swap(std::ptr::null_mut(), Acquire);
            // SAFETY: next_p is null or a `&'static P` stored by wake_with/spawn.
            if let Some(p) = unsafe { p.as_ref() } {
                ctx.p.set(Some(p));
                ctx.spinning.set(self.wake_spinning.load(Relaxed));
                return;
            }
            std::thread::park();
        }
    }

    /// Put this M on the idle list and park until it is given a P
    /// (cf. stopm). The caller has released its P and is not spinning.
    pub(crate) fn stop(&'static self, ctx: &MCtx) {
        debug_assert!(ctx.p.get().is_none() && !ctx.spinning.get());
        rt().sched.mput(self);
        self.take_p(ctx);
    }
}

/// Run `g` on this M until it parks, yields or exits (cf. execute).
fn execute(ctx: &MCtx, g: Arc<G>, inherit: bool) {
    let p = ctx.p.get().expect("execute needs a P");
    if !inherit {
        // A fresh time slice. Only this M writes schedtick.
        p.schedtick
            .store(p.schedtick.load(Relaxed).wrapping_add(1), Relaxed);
        super::sysmon::clear_preempt(p);
    }
    ctx.curg.set(Arc::as_ptr(&g));
    loop {
        // Published for goroutine dumps, on a cache line of the M's own
        // (the G's line is touched by wakers on other cores).
        let p = ctx.p.get().expect("execute needs a P");
        ctx.m.running.g.store(Arc::as_ptr(&g) as *mut G, Relaxed);
        ctx.m.running.p.store(p.id + 1, Relaxed);
        let switch = resume(p, &g);
        ctx.m.running.p.store(0, Relaxed);
        ctx.m.running.g.store(std::ptr::null_mut(), Relaxed);
        match switch {
            Switch::Yield => {
                // The P it yields on: not `p` if a blocking call in between
                // moved it (syscall.rs).
                let p = ctx.p.get().expect("a yielding G's M holds a P");
                p.runq
                    .push_back(g, |batch| rt().sched.global_put_batch_and_wake(batch));
                break;
            }
            Switch::SyscallExit => {
                // A P may have gone idle since the G looked: then run it on
                // that P at once, rather than wake another M for it.
                if let Some(p) = rt().sched.take_idle_p() {
                    ctx.p.set(Some(p));
                    p.runq
                        .push_back(g, |batch| rt().sched.global_put_batch_and_wake(batch));
                    break;
                }
                rt().sched.global_put(g);
                rt().sched.wakep();
                break;
            }
            Switch::Preempt => {
                // The global queue, not the local one (Go's goschedImpl):
                // a busy P looks at the global queue only every 61st slice
                // while its local queue has work, so a G readied there — by
                // a timer, or a plain thread — would wait 61 slices behind
                // a goroutine that spins through its checkpoints.
                rt().sched.global_put(g);
                rt().sched.wakep();
                break;
            }
            Switch::Park => {
                if g.commit_park() {
                    break; // a waker now owns making it runnable
                }
                // A token arrived while it was suspending: run it again.
            }
            Switch::Exit => {
                // The G may have moved to this M's current P mid-run (a
                // blocking call): it is counted off and freed there.
                let p = ctx.p.get().expect("execute needs a P");
                p.add_live(-1);
                // SAFETY: this M holds `p`.
                unsafe { p.local() }.free_g(g, &rt().sched);
                break;
            }
        }
    }
    ctx.curg.set(std::ptr::null());
}

/// Resume `g`'s coroutine, creating it (and giving it a stack) on first run.
fn resume(p: &P, g: &G) -> Switch {
    let pool = &rt().stacks;
    // SAFETY: this M runs `g` (execute holds it), so it alone touches body.
    let body = unsafe { g.body() };
    if let Body::New(_) = body {
        if body.is_done() {
            // A runtime bug; running it would exit it twice and free the G
            // twice (one pointer compare per goroutine start).
            super::fatal("a finished goroutine was scheduled");
        }
        let Body::New(f) = std::mem::replace(body, Body::DONE) else {
            unreachable!()
        };
        // SAFETY: this M holds `p`.
        let mut stack = unsafe { p.local() }.get_stack(pool);
        stack.set_owner(g.id());
        let coro = Coro::new(stack, move |y| {
            // SAFETY: we are running on this G, so current_g is it and alive.
            let g = unsafe { &*context::current_g() };
            super::fpu::Control::DEFAULT.restore();
            g.set_yielder(y);
            g.run(f);
        });
        *body = Body::Started(coro);
    }
    let Body::Started(coro) = body else {
        unreachable!("a coroutine was just made")
    };
    let switch = coro.resume();
    if switch == Switch::Exit {
        let Body::Started(coro) = std::mem::replace(body, Body::DONE) else {
            unreachable!()
        };
        // The coroutine may have finished on another M's P than it started;
        // the stack goes to the cache of the P that is running it now.
        let p = context::current_p().expect("the M running a G holds a P");
        // SAFETY: this M holds `p`.
        unsafe { p.local() }.put_stack(coro.into_stack(), pool);
    }
    switch
}

/// Find a runnable G, parking this M until there is one (cf. findRunnable).
fn find_runnable(ctx: &MCtx) -> (Arc<G>, bool) {
    let sched = &rt().sched;
    loop {
        let p = ctx.p.get().expect("find_runnable needs a P");
        if p.id >= sched.gomaxprocs() {
            retire(ctx, p);
            continue;
        }
        // Due timers first (Go's checkTimers): the Gs they wake join this
        // P's queue, where the next step finds them.
        rt().timers.run_due();
        if let Some(found) = find_local_or_global(p) {
            return found;
        }
        if let Some(g) = poll_network(p) {
            return (g, false);
        }
        if (ctx.spinning.get() || sched.may_spin()) && !ctx.spinning.replace(true) {
            sched.counts.nmspinning.fetch_add(1, SeqCst);
        }
        if ctx.spinning.get() {
            if let Some(g) = steal_work(p) {
                return (g, false);
            }
        }
        // Nothing to do: give the P back, unless global work appeared.
        if let Some((p, g)) = sched.release_p_or_take_global(p) {
            ctx.p.set(Some(p));
            return (g, false);
        }
        ctx.p.set(None);
        if ctx.spinning.replace(false) && sched.stop_spinning_and_recheck(ctx) {
            continue; // found work and got a P: go round again, spinning
        }
        if poll_until_work(ctx) {
            continue; // woken by I/O or a timer, with a P
        }
        ctx.m.stop(ctx);
    }
}

/// Steps 4, 6 and 7 of findRunnable: fairness check, local queue, global.
fn find_local_or_global(p: &'static P) -> Option<(Arc<G>, bool)> {
    let sched = &rt().sched;
    if p.schedtick.load(Relaxed) % GLOBAL_CHECK_PERIOD == 0 && sched.global_has_work() {
        if let Some(g) = sched.global_get(p, 1) {
            return Some((g, false));
        }
    }
    if let Some((g, from_next)) = p.runq.pop() {
        if from_next && p.preempt.load(Relaxed) {
            // The time slice that runnext would inherit is used up (sysmon
            // said so): send the G to the back so others on this P run.
            p.runq
                .push_back(g, |batch| sched.global_put_batch_and_wake(batch));
            return p.runq.pop().map(|(g, _)| (g, false));
        }
        return Some((g, from_next));
    }
    if sched.global_has_work() {
        return sched.global_get(p, p::BATCH_MAX).map(|g| (g, false));
    }
    None
}

/// Poll the network without blocking, if a goroutine waits on I/O (Go's
/// findRunnable does this after the global queue, before stealing): queue
/// the Gs it readies on `p` and run the first.
fn poll_network(p: &'static P) -> Option<Arc<G>> {
    let rt = rt();
    if !rt.netpoll.has_waiters() {
        return None;
    }
    let gs = rt.netpoll.poll_now(&rt.timers);
    if gs.is_empty() {
        return None;
    }
    super::park::ready_all(gs);
    p.runq.pop().map(|(g, _)| g)
}

/// The idle M's wait (findRunnable's blocking netpoll): with no P, become
/// the poller and block until I/O readiness or the earliest timer, then
/// take an idle P to run what woke. True with a P in `ctx`; false if this
/// M should park instead (nothing can end a wait, or another M is the
/// poller).
fn poll_until_work(ctx: &MCtx) -> bool {
    let rt = rt();
    loop {
        if !rt.netpoll.worth_blocking(&rt.timers) {
            return false;
        }
        let Some(gs) = rt.netpoll.block(&rt.timers) else {
            return false;
        };
        if let Some(p) = rt.sched.take_idle_p() {
            // With the P held, the readied Gs join its queue and the next
            // round runs due timers on it.
            ctx.p.set(Some(p));
            super::park::ready_all(gs);
            return true;
        }
        // Every P is busy: hand everything to the global queue, and stay
        // the runtime's poller.
        super::park::ready_all(gs);
        rt.timers.run_due();
    }
}

/// Steal half of some other P's queue (cf. stealWork). Victims include Ps
/// above GOMAXPROCS after a shrink that are still in service: one running a
/// goroutine that cannot be preempted would keep its queue for ever (Go
/// stops the world to shrink; gort retires such a P at its next round).
fn steal_work(p: &'static P) -> Option<Arc<G>> {
    let sched = &rt().sched;
    let n = sched.created_ps();
    for pass in 0..STEAL_TRIES {
        // SAFETY: this M holds `p`.
        let start = unsafe { p.local() }.rand() as usize;
        for i in 0..n {
            let victim = sched.p((start + i) % n);
            let status = victim.status.load(Relaxed);
            if std::ptr::eq(victim, p) || (status != p::P_RUNNING && status != p::P_SYSCALL) {
                continue;
            }
            // A P whose M is in a blocking call will not run its `runnext`
            // soon: take that too, at once (Go steals from any P not idle).
            let in_syscall = status == p::P_SYSCALL;
            if let Some(g) = p.runq.steal_into(&victim.runq, in_syscall) {
                return Some(g);
            }
            let next = victim.runq.next_id();
            if !in_syscall && pass == STEAL_TRIES - 1 && !next.is_null() {
                // Only `runnext` is left: its owner is most likely about to
                // run it (a G just woke it and is parking). Give the owner
                // a moment, then take it only if it is still the same G
                // (Go's usleep(3) and CAS in runqgrab); otherwise goroutine
                // pairs would ping-pong across threads.
                spin_for(RUNNEXT_GRACE);
                if let Some(g) = victim.runq.steal_next_if(next) {
                    return Some(g);
                }
            }
        }
        if sched.global_has_work() {
            return sched.global_get(p, p::BATCH_MAX);
        }
    }
    None
}

/// Wait about `d`, yielding the CPU meanwhile (as Go's usleep does): the
/// owner we wait for may need this very CPU, and a real sleep would last
/// tens of microseconds here, far longer than `d`.
fn spin_for(d: std::time::Duration) {
    let start = std::time::Instant::now();
    while start.elapsed() < d {
        std::thread::yield_now();
    }
}

/// Give up a P whose id is no longer below GOMAXPROCS (cf. procresize): its
/// goroutines move to the global queue and this M looks for another P.
fn retire(ctx: &MCtx, p: &'static P) {
    let sched = &rt().sched;
    match sched.retire_p(p) {
        Retired::Kept => {}
        Retired::Moved(next) => ctx.p.set(Some(next)),
        Retired::NoP => {
            ctx.p.set(None);
            if ctx.spinning.replace(false) {
                sched.counts.nmspinning.fetch_sub(1, SeqCst);
            }
            ctx.m.stop(ctx);
        }
    }
}

/// The outcome of `Sched::retire_p`.
pub(crate) enum Retired {
    /// GOMAXPROCS grew back meanwhile; the P stays.
    Kept,
    /// The P was retired and this idle P taken instead.
    Moved(&'static P),
    /// The P was retired and no idle P was left.
    NoP,
}
