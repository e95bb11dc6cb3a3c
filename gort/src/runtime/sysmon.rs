//! sysmon: one thread with no P that watches the scheduler (cf. Go's
//! runtime.sysmon/retake).
//!
//! Each round it looks at every P. One that has been in the same blocking
//! call (`gort::syscall`, same `syscalltick`) since the last round is
//! retaken and handed to another M (syscall.rs), as is one in any blocking
//! call once its time slice is over. One that has run the same
//! time slice (same `schedtick`) for 10 ms is asked to preempt by setting the
//! P's `preempt` flag and bumping the global `PREEMPT_PENDING` count. The flag
//! is honoured at the next checkpoint (`gort::checkpoint`, every channel
//! operation, `try_*` included), which sends the goroutine to the back of
//! the global queue, and by the scheduler, which then stops letting
//! `runnext` inherit the slice, so two goroutines handing work back and
//! forth cannot starve the rest of their P. It also polls the network and
//! runs overdue timers when every M is too busy to (`poll_if_neglected`),
//! and now and then scavenges idle goroutine stacks. With
//! `GORTDEBUG=schedtrace=N` it prints Go's `SCHED` line every N ms.
//!
//! It sleeps 20 µs between rounds, doubling after 50 quiet rounds up to 10 ms
//! (Go's numbers) — but at most a tenth of the time slice (1 ms) while any
//! P runs, so a slice is ended close to its 10 ms — and while every P is
//! idle it sleeps until one is taken (`p_got_busy`), so an idle program
//! wakes nothing but its timers.

use super::p::{P, P_RUNNING, P_SYSCALL};
use super::rt;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering::*};
use std::sync::OnceLock;
use std::thread::Thread;
use std::time::{Duration, Instant};

const MIN_DELAY: Duration = Duration::from_micros(20);
/// How long a P may sit in one blocking call with nothing queued before
/// sysmon retakes it anyway (Go: 10 ms), so that it can back off.
const SYSCALL_HOLD_MAX: Duration = Duration::from_millis(10);
const MAX_DELAY: Duration = Duration::from_millis(10);
/// Quiet rounds before sysmon starts backing off (Go: 50).
const QUIET_ROUNDS: u32 = 50;
/// How often idle stacks are scavenged. A guess: often enough that memory
/// comes back within seconds, rarely enough to cost nothing.
const SCAVENGE_EVERY: Duration = Duration::from_secs(1);

/// The longest sysmon sleeps while every P is idle (a SIGQUIT waits at
/// most this long for its dump).
const IDLE_NAP: Duration = Duration::from_millis(100);

/// How long the network may go unpolled before sysmon polls it (Go: 10 ms).
const NEGLECT: Duration = Duration::from_millis(10);
/// How overdue a timer must be before sysmon runs it.
const NEGLECT_TIMER: u64 = 1_000_000;

/// sysmon's clock: the runtime clock (`Timers::now`) as of its last round,
/// in units of `COARSE_UNIT_NS`, for stamps that need no precision (when a
/// goroutine parked, for dumps) and must cost no clock read. 32 bits of
/// such units last 146 years.
static COARSE_NOW: AtomicU32 = AtomicU32::new(0);

/// `coarse_now`'s unit: 2^30 ns, about a second.
pub(crate) const COARSE_UNIT_NS: u64 = 1 << 30;

/// The runtime clock as sysmon last read it, in `COARSE_UNIT_NS`: behind
/// by at most a round (1 ms) while any P runs, by at most `IDLE_NAP`
/// while all are idle.
pub(crate) fn coarse_now() -> u32 {
    COARSE_NOW.load(Relaxed)
}

fn to_coarse(ns: u64) -> u32 {
    u32::try_from(ns / COARSE_UNIT_NS).unwrap_or(u32::MAX)
}

/// Number of Ps whose `preempt` flag is set. Checkpoints read this with one
/// relaxed load and take the slow path only when it is non-zero.
pub(crate) static PREEMPT_PENDING: AtomicUsize = AtomicUsize::new(0);

pub(crate) struct Sysmon {
    /// `GORTDEBUG=schedtrace=N`: print a `SCHED` line this often.
    schedtrace: Option<Duration>,
    /// A time slice (Go's `forcePreemptNS`, 10 ms; `GORTDEBUG=preemptslice`).
    slice: Duration,

    thread: OnceLock<Thread>,
    /// Set while sysmon sleeps because every P is idle (Go's `sysmonwait`).
    sleeping: AtomicBool,
    /// A goroutine was made runnable by a thread holding no P (a netpoll
    /// or timer wake-up, a plain thread): if every P is busy, `make_room`.
    woken: AtomicBool,
}

impl Sysmon {
    pub(crate) fn new(debug: crate::config::Debug) -> Sysmon {
        Sysmon {
            schedtrace: debug.schedtrace,
            slice: debug.preempt_slice,

            thread: OnceLock::new(),
            sleeping: AtomicBool::new(false),
            woken: AtomicBool::new(false),
        }
    }

    /// Start the sysmon thread (once, at runtime start).
    pub(crate) fn start(&self) {
        let spawned = std::thread::Builder::new()
            .name("gort-sysmon".into())
            .spawn(run);
        match spawned {
            Ok(handle) => {
                let _ = self.thread.set(handle.thread().clone());
            }
            Err(e) => super::fatal(&format!("cannot start sysmon: {e}")),
        }
    }

    /// A P just left the idle list: if sysmon sleeps because all were
    /// idle, wake it — a running P needs its time slices watched. The
    /// caller decremented `npidle` (SeqCst) first; with `idle_sleep`'s
    /// publish-then-recheck that is a Dekker pair, so sysmon either sees
    /// the busy P or is woken here.
    pub(crate) fn p_got_busy(&self) {
        if self.sleeping.load(SeqCst) && self.sleeping.swap(false, SeqCst) {
            if let Some(t) = self.thread.get() {
                t.unpark();
            }
        }
    }

    /// A thread holding no P made a goroutine runnable (see `woken`).
    pub(crate) fn woke_without_p(&self) {
        if !self.woken.load(Relaxed) {
            self.woken.store(true, Relaxed);
        }
    }

    /// Sleep `d` between rounds. A nap longer than the busy-program cap (a
    /// tenth of a slice) is cut short by `p_got_busy`: a program that starts
    /// computing during a backed-off 10 ms nap gets watched at once.
    fn nap(&self, d: Duration) {
        if d <= self.slice / 10 {
            std::thread::sleep(d);
            return;
        }
        self.sleeping.store(true, SeqCst);
        std::thread::park_timeout(d);
        self.sleeping.store(false, SeqCst);
    }

    /// Sleep while every P is idle, in naps of `IDLE_NAP` (so a SIGQUIT
    /// is answered and idle stacks are still returned): an idle program
    /// then costs sysmon ten wake-ups a second.
    fn idle_sleep(&self, all_idle: impl Fn() -> bool) {
        self.sleeping.store(true, SeqCst);
        if all_idle() {
            std::thread::park_timeout(IDLE_NAP);
        }
        self.sleeping.store(false, SeqCst);
    }
}

/// `p` starts a new time slice, or leaves service (goes idle or is
/// retired): drop any preemption request, so that `PREEMPT_PENDING` counts
/// only Ps that are running an over-long slice — else every checkpoint in
/// the program would keep taking the slow path.
pub(crate) fn clear_preempt(p: &P) {
    if super::preempt_flag::clear(&p.preempt) {
        PREEMPT_PENDING.fetch_sub(1, Relaxed);
    }
}

/// `p` leaves service (goes idle, or is retired with `P_DEAD`): its status
/// changes, then any request on it is dropped (preempt_flag.rs).
pub(crate) fn leave_service(p: &P, new_status: u8) {
    if super::preempt_flag::leave_service(&p.status, new_status, &p.preempt) {
        PREEMPT_PENDING.fetch_sub(1, Relaxed);
    }
}

/// What sysmon remembers of one P (cf. Go's `sysmontick`).
#[derive(Clone, Copy)]
struct Seen {
    schedtick: u32,
    sched_since: Instant,
    syscalltick: u32,
    syscall_since: Instant,
    /// When this slice's goroutine was last sent the preemption signal.
    signalled: Option<Instant>,
}

impl Seen {
    /// The first sighting of `p`.
    fn first(p: &P, now: Instant) -> Seen {
        Seen {
            schedtick: p.schedtick.load(Relaxed),
            sched_since: now,
            syscalltick: p.syscalltick.load(Relaxed),
            syscall_since: now,
            signalled: None,
        }
    }
}

fn run() {
    // Timer slack 10 µs: Linux's default, 50 µs, stretches each 20 µs round
    // to ~70 µs (Go's sysmon lives with that), and a call in a fresh slice
    // needs two rounds to be retaken. But rounds too exact hurt too: with
    // 1 µs slack, sysmon's 20 µs wake-ups right after a retake kept the M it
    // had just woken for the P from running promptly, and one hand-off in
    // ten waited ~110 µs. Measured side by side (GOMAXPROCS=1, bench rows
    // handoff / handoff-fresh / preemptwake, median of 5 alternated runs of
    // 200, 2-core VM, 2026-12-02): slack 1 µs: 33 µs (p90 109) / 78 (p90
    // 111) / 1.12 ms; slack 10 µs: 34 (p90 51) / 90 (p90 124) / 1.14 ms;
    // Go: 36 (p90 47) / 100 (p90 134) / 19.3 ms.
    // SAFETY: PR_SET_TIMERSLACK takes a nanosecond count; it only changes
    // this thread's timer slack.
    unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, 10_000 as libc::c_ulong) };
    let sched = &rt().sched;
    let mut seen: Vec<Option<Seen>> = Vec::new();
    let mut delay = MIN_DELAY;
    let mut quiet = 0u32;
    let mut last_scavenge = Instant::now();
    let started = Instant::now();
    let mut last_trace = started;
    let mut detector = super::deadlock::Detector::default();
    let quit = super::dump::QuitFlag::install();
    loop {
        rt().sysmon.nap(delay);
        let rt = rt();
        // Sleep only if nothing needs watching: no P runs, and an M is
        // blocked in the netpoller or nothing could wake one (no I/O
        // waiter, no timer). Keeps its back-off: a server's Ps go idle
        // between bursts, and restarting at 20 µs rounds each time would
        // wake sysmon thousands of times a second.
        let nothing_to_watch = || {
            sched.all_idle()
                && (rt.netpoll.someone_sleeping() || !rt.netpoll.worth_blocking(&rt.timers))
        };
        quit.check();
        if sched.all_idle() {
            detector.check(Instant::now());
        }
        // With a trace to print, or a deadlock to confirm, never sleep
        // long (Go: no idle sleep while tracing).
        if rt.sysmon.schedtrace.is_none() && !detector.suspecting() && nothing_to_watch() {
            rt.sysmon.idle_sleep(nothing_to_watch);
        }
        let now = Instant::now();
        COARSE_NOW.store(to_coarse(rt.timers.nanos(now)), Relaxed);
        if let Some(period) = rt.sysmon.schedtrace {
            if now.duration_since(last_trace) >= period {
                last_trace = now;
                eprintln!("{}", sched.trace_line(now.duration_since(started)));
            }
            delay = delay.min(period);
        }
        let n = sched.gomaxprocs();
        let created = sched.created_ps();
        seen.resize(created.max(seen.len()), None);
        let mut retook = false;
        for (id, slot) in seen.iter_mut().enumerate().take(created) {
            retook |= if id < n {
                retake(sched.p(id), slot, now)
            } else {
                retire_surplus(sched.p(id), slot, now)
            };
        }
        if retook {
            // A P was taken from a blocking call: watch closely again, as
            // Go does (more such calls likely follow).
            delay = MIN_DELAY;
            quiet = 0;
        }
        let woken = rt.sysmon.woken.swap(false, Relaxed);
        if (poll_if_neglected() || woken) && !sched.has_idle_p() {
            make_room(&mut seen, now);
        }
        if now.duration_since(last_scavenge) >= SCAVENGE_EVERY {
            last_scavenge = now;
            rt.stacks.scavenge();
        }
        // As in Go, asking for preemption does not count as activity (only
        // retaking a P from a syscall would), so sysmon backs off to 10 ms
        // even while it keeps ending over-long time slices.
        quiet += 1;
        if quiet > QUIET_ROUNDS {
            delay = (delay * 2).min(MAX_DELAY);
        }
        if !sched.all_idle() {
            // While goroutines run, look at least ten times a slice: a slice
            // is seen to start up to a round late and to end up to a round
            // late, so with Go's 10 ms rounds a hog could keep a woken
            // goroutine waiting ~20 ms (as Go does); with 1 ms rounds
            // about 12 at most. Costs ~1,000 short wake-ups a second, only
            // while the program is busy.
            delay = delay.min(rt.sysmon.slice / 10);
        }
    }
}

/// Do what an idle M would, when no M has been idle for a while (every P
/// busy with long time slices): poll the network if nobody has for 10 ms,
/// and run timers overdue by a millisecond while no M sleeps in the
/// netpoller (one that does wakes for them itself). The Gs they ready go to
/// the global queue. Go's sysmon polls the same way; for timers it starts
/// an M.
/// True if it woke anything.
fn poll_if_neglected() -> bool {
    let rt = rt();
    let now = rt.timers.now();
    let stale = |since: u64| now.saturating_sub(since) >= NEGLECT.as_nanos() as u64;
    let mut woke = false;
    if rt.netpoll.has_waiters() && stale(rt.netpoll.last_poll()) {
        let gs = rt.netpoll.poll_now(&rt.timers);
        woke |= !gs.is_empty();
        super::park::ready_all(gs);
    }
    let overdue = now >= rt.timers.next().saturating_add(NEGLECT_TIMER);
    if overdue && !rt.netpoll.someone_sleeping() {
        woke |= rt.timers.run_due() > 0;
    }
    woke
}

/// Look at `p` once per round (cf. Go's retake): ask it to preempt if its
/// time slice (same `schedtick`) has lasted 10 ms, and retake it from an M
/// that has been in the same blocking call (same `syscalltick`) since the
/// last round, or whose slice ran out. The two ticks are tracked apart: a
/// goroutine making a short call now and then must still be preempted.
///
/// As in Go, a P in a blocking call is not asked to preempt (nothing on it
/// could answer): it is retaken instead, and its slice goes on — the
/// goroutine is asked at the first round that sees it running again, and a
/// goroutine that goes on making calls has each retaken at first sight.
/// (Asking anyway would end the slice at the next `runnext` hand-over, and
/// every call would again wait two rounds.) True if it retook the P (as in
/// Go, asking for preemption does not count as activity).
fn retake(p: &'static P, slot: &mut Option<Seen>, now: Instant) -> bool {
    // Acquire: pairs with `mark_in_syscall`'s Release, so a P seen in a
    // call is seen with that call's `syscalltick`.
    let status = p.status.load(Acquire);
    if status != P_RUNNING && status != P_SYSCALL {
        // Keep what was seen, as Go does: a P that goes idle and is taken
        // back by a goroutine returning from a blocking call (no new
        // `schedtick`) is still in that goroutine's time slice, and a
        // blocking call it makes once the slice is over is retaken at the
        // first round that sees it.
        return false;
    }
    let seen = slot.get_or_insert_with(|| Seen::first(p, now));
    let schedtick = p.schedtick.load(Relaxed);
    if seen.schedtick != schedtick {
        seen.schedtick = schedtick;
        seen.sched_since = now;
        seen.signalled = None;
    }
    let slice_over = now.duration_since(seen.sched_since) >= rt().sysmon.slice;
    if status == P_RUNNING {
        if slice_over {
            ask_to_preempt(p, seen, now);
        }
        return false;
    }
    let syscalltick = p.syscalltick.load(Relaxed);
    if seen.syscalltick != syscalltick && !slice_over {
        // A call we have not seen before: look again next round.
        seen.syscalltick = syscalltick;
        seen.syscall_since = now;
        return false;
    }
    retake_from_syscall(p, now.duration_since(seen.syscall_since), slice_over)
}

/// A P above GOMAXPROCS after a shrink (`set_gomaxprocs`) still in use:
/// one in a blocking call is retired now; one running a goroutine is asked
/// to give it up at once, whatever its slice — its M then retires it at the
/// next scheduling round (m.rs), moving its queue to the global one. Left
/// alone, nobody would steal from it or end its slices. True if retired.
fn retire_surplus(p: &'static P, slot: &mut Option<Seen>, now: Instant) -> bool {
    match p.status.load(Acquire) {
        P_RUNNING => {
            ask_to_preempt(p, slot.get_or_insert_with(|| Seen::first(p, now)), now);
            false
        }
        P_SYSCALL => rt().sched.retire_surplus_in_syscall(p),
        _ => false,
    }
}

/// Ask the goroutine running on `p` to give up its P: set the P's flag (for
/// its next checkpoint) and signal its M (for code with none).
fn ask_to_preempt(p: &P, seen: &mut Seen, now: Instant) {
    // It may have left service since its status was read: `request`
    // withdraws the flag then (preempt_flag.rs).
    if super::preempt_flag::request(&p.preempt, &p.status) == super::preempt_flag::Requested::Set {
        PREEMPT_PENDING.fetch_add(1, Relaxed);
    }
    let slice = rt().sysmon.slice;
    let due = seen
        .signalled
        .is_none_or(|t| now.duration_since(t) >= slice / 10);
    if due && p.preempt.load(Relaxed) {
        // Again every tenth of a slice until it is honoured: the goroutine
        // may be in a loop with no checkpoint, and a signal that found it
        // at an unsafe point is not queued. (Not every round: code outside
        // the section refuses each one, ~2 µs a signal.)
        seen.signalled = Some(now);
        #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
        super::asyncpreempt::poke(p);
    }
}

/// Goroutines were just made runnable (by sysmon's own timer or network
/// poll, or by a thread holding no P) while every P is busy: end the
/// longest time slice that has run a tenth of a slice (1 ms), so they
/// start within a few milliseconds instead of waiting up to a whole slice. Go lets them wait (~20 ms beside a hog on
/// this machine); this is gort's choice, like a kernel's wake-up
/// preemption, and costs nothing unless every P is busy.
fn make_room(seen: &mut [Option<Seen>], now: Instant) {
    let sched = &rt().sched;
    let min_run = rt().sysmon.slice / 10;
    let longest = seen
        .iter_mut()
        .enumerate()
        .take(sched.gomaxprocs())
        .filter_map(|(id, s)| s.as_mut().map(|s| (sched.p(id), s)))
        .filter(|(p, s)| {
            p.status.load(Acquire) == P_RUNNING
                && p.schedtick.load(Relaxed) == s.schedtick
                && now.duration_since(s.sched_since) >= min_run
        })
        .max_by_key(|(_, s)| now.duration_since(s.sched_since));
    if let Some((p, s)) = longest {
        ask_to_preempt(p, s, now);
    }
}

/// `p` has been in one blocking call for `held` (at least a round), or its
/// slice ran out: take it and hand it on — unless it has no work and spare
/// Ms and Ps exist, for up to 10 ms (Go's rule: a retake costs a thread
/// wake-up, worth it only when something waits for the P; after 10 ms it
/// is retaken anyway, so that it does not keep sysmon from backing off).
fn retake_from_syscall(p: &'static P, held: Duration, slice_over: bool) -> bool {
    let sched = &rt().sched;
    if !slice_over && p.runq.is_empty() && sched.has_spare_capacity() && held < SYSCALL_HOLD_MAX {
        return false;
    }
    if !super::syscall::claim_for_retake(&p.status) {
        return false; // its M came back first
    }
    sched.handoff_p(p);
    true
}

/// A preemption checkpoint: one compare with memory and a branch not
/// taken when nothing is pending.
///
/// On x86_64 it is written in assembly, the slow path's call in a cold
/// section: `cmp [PREEMPT_PENDING], 0; jne cold` and, out of line, `cold:
/// call checkpoint_slow_c; jmp back`. Left to the compiler, inlined into
/// another crate, the load and the call both went through the GOT, LLVM
/// kept their addresses in callee-saved registers, and the loop gained a
/// jump: an annotated recursive fib ran ~80 % slower than a plain one
/// (bench/src/bin/fib_gort.rs).
#[inline]
pub(crate) fn checkpoint() {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: reads an AtomicUsize with a plain aligned load (what a
    // relaxed load is on x86_64) and, if it is non-zero, calls an
    // `extern "C"` function of no arguments with the C ABI's clobbers
    // declared and the stack aligned for a call (no `nostack`).
    unsafe {
        std::arch::asm!(
            "cmp qword ptr [rip + {pending}], 0",
            "jne 2f",
            "3:",
            ".pushsection .text.unlikely.gort_checkpoint,\"ax\",@progbits",
            "2:",
            "call {slow}",
            "jmp 3b",
            ".popsection",
            pending = sym PREEMPT_PENDING,
            slow = sym checkpoint_slow_c,
            clobber_abi("C"),
        );
    }
    #[cfg(not(target_arch = "x86_64"))]
    if PREEMPT_PENDING.load(Relaxed) != 0 {
        checkpoint_slow();
    }
}

/// `checkpoint_slow` with the C ABI, for the call above. No panic can
/// escape it (`preempt` only switches).
#[cfg(target_arch = "x86_64")]
extern "C" fn checkpoint_slow_c() {
    checkpoint_slow();
}

/// Give up the P if it is *this* goroutine's P that was asked to preempt
/// (the goroutine goes to the global queue: see `Switch::Preempt`). Out of
/// line so the fast path above holds no thread-local access (DESIGN §4/§9).
#[inline(never)]
#[cold]
fn checkpoint_slow() {
    if let Some(p) = super::context::current_p() {
        if p.preempt.load(Relaxed) {
            super::park::preempt();
        }
    }
}
