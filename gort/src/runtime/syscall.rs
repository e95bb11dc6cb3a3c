//! Blocking calls that do not stall the runtime: `gort::syscall(f)` is Go's
//! entersyscall / exitsyscall around `f`.
//!
//! # The hand-off
//! Entering, the goroutine's P is marked `P_SYSCALL` (its `syscalltick`
//! bumped) and the M lets go of it: `f` runs with no P and no current G,
//! as on a plain thread. Nothing is handed off yet — most calls are short.
//! sysmon watches: a P still in the same syscall one round later (20 µs or
//! more) is *retaken* — a CAS `P_SYSCALL → P_IDLE` — and handed to another
//! M if it has work, or put on the idle list (sched.rs `handoff_p`). As in
//! Go's `retake`, a P with nothing queued is left alone for up to 10 ms
//! while an idle P or a spinning M could take any new work (sysmon.rs).
//!
//! Leaving, the M tries the fast path: CAS its old P `P_SYSCALL →
//! P_RUNNING` and go on. If sysmon won, it takes any idle P; failing that,
//! the goroutine goes to the global queue and the M parks (Switch::
//! SyscallExit).
//!
//! # Who owns the P
//! Two CASes from `P_SYSCALL` race — the M's `claim_back` and sysmon's
//! `claim_for_retake` — so exactly one wins. The M's `mark_in_syscall` is a
//! `Release` store and both CASes `AcqRel`: whoever wins sees everything
//! the P's owner wrote to its local state before the call. `loom_tests`
//! below model the race with the P's local state as an `UnsafeCell`;
//! make `mark_in_syscall` `Relaxed` and loom reports sysmon's write racing
//! the M's.
//!
//! # What runs inside
//! `f` runs as on a plain thread: gort calls in it block the *thread*
//! (no P to run others on), `goroutine_id()` is 0, and goroutines it starts
//! or wakes go to the global queue. A panic in `f` leaves the syscall
//! first (the goroutine gets a P back), then continues.

use super::context::{self, MCtx};
use super::coro::Switch;
use super::g::G;
use super::p::{P, P_IDLE, P_RUNNING, P_SYSCALL};
use super::rt;
use crate::loom_shim::AtomicU8;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering::*;

/// Run `f`, a call that may block its thread (a file read, a `sleep`, a
/// C library call), so that the other goroutines keep running (Go runs
/// every blocking system call this way). If `f` lasts, the goroutine's P is
/// handed to another thread meanwhile — after about 20 µs when sysmon is
/// watching closely (soon after another hand-off), after 1–2 ms in a busy
/// program, and, when nothing is queued and a P is idle anyway, only after
/// 10 ms; a fast `f` costs two atomic operations. On a plain thread it just
/// calls `f`.
///
/// Inside `f` the code runs as on a plain thread: gort operations that
/// wait block the thread, and `runtime::goroutine_id()` returns 0. The
/// return is a preemption point, like a channel operation.
// Never inlined: it reads this thread's M and P and then lets go of them,
// and inlined into a `#[gort::preemptible]` function, a signal between the
// two would resume the goroutine on another thread with the first one's
// (tests/ptext.rs checks that no code reading the M lands there).
#[inline(never)]
pub fn syscall<R>(f: impl FnOnce() -> R) -> R {
    let Some(ctx) = context::ctx() else {
        return f();
    };
    let g = ctx.curg.get();
    let Some(p) = ctx.p.get() else {
        return f();
    };
    if g.is_null() {
        return f();
    }
    enter(ctx, p);
    let r = catch_unwind(AssertUnwindSafe(f));
    exit(ctx, g, p);
    // A preemption point, as the return to Go code is in Go: a goroutine
    // that loops over blocking calls still ends its time slice.
    super::sysmon::checkpoint();
    match r {
        Ok(r) => r,
        Err(panic) => resume_unwind(panic),
    }
}

/// Let go of `p` for the length of a blocking call (cf. entersyscall).
fn enter(ctx: &MCtx, p: &'static P) {
    // Only the owner writes syscalltick (sysmon reads it).
    p.syscalltick
        .store(p.syscalltick.load(Relaxed).wrapping_add(1), Relaxed);
    mark_in_syscall(&p.status);
    ctx.p.set(None);
    ctx.curg.set(std::ptr::null());
    // No longer running a goroutine on `p`: sysmon must not signal this
    // thread for it (it may be retaken and run by another M).
    ctx.m.running.p.store(0, Relaxed);
    ctx.m.running.in_call.store(true, Relaxed);
}

/// Get a P back after the call (cf. exitsyscall): the old one if sysmon
/// has not retaken it, else an idle one, else park the goroutine on the
/// global queue until an M with a P runs it.
fn exit(ctx: &MCtx, g: *const G, old: &'static P) {
    ctx.m.running.in_call.store(false, Relaxed);
    ctx.curg.set(g);
    loop {
        if claim_back(&old.status) {
            ctx.p.set(Some(old));
            ctx.m.running.p.store(old.id + 1, Relaxed);
            return;
        }
        if let Some(p) = rt().sched.take_idle_p() {
            ctx.p.set(Some(p));
            ctx.m.running.p.store(p.id + 1, Relaxed);
            return;
        }
        if !std::thread::panicking() {
            break;
        }
        // Unwinding: no stack switch may happen now (see park.rs), so wait
        // for a P on this thread.
        std::thread::yield_now();
    }
    // SAFETY: `g` is the running G (it was current when we entered).
    unsafe { &*g }.suspend(Switch::SyscallExit);
    // Resumed by an M that holds a P: `ctx` is that M's now.
}

/// The M lets go of its P for a blocking call. `Release`: the P's local
/// state, as the M leaves it, goes with the P to whoever claims it.
fn mark_in_syscall(status: &AtomicU8) {
    status.store(P_SYSCALL, Release);
}

/// The M, back from its call, claims its P; false if sysmon took it.
fn claim_back(status: &AtomicU8) -> bool {
    status
        .compare_exchange(P_SYSCALL, P_RUNNING, AcqRel, Relaxed)
        .is_ok()
}

/// sysmon claims a P whose M is still in its call; false if the M came
/// back first. The winner owns the P (and must hand it on).
pub(crate) fn claim_for_retake(status: &AtomicU8) -> bool {
    status
        .compare_exchange(P_SYSCALL, P_IDLE, AcqRel, Relaxed)
        .is_ok()
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::loom_shim::UnsafeCell;
    use loom::sync::atomic::AtomicUsize;
    use loom::sync::Arc;

    /// The M writes its P's local state, enters a call and comes back,
    /// while sysmon tries to retake the P and, if it wins, writes the
    /// local state as its new owner: exactly one of them owns the P, and
    /// loom finds no unordered access to the local state.
    #[test]
    fn the_m_and_sysmon_never_both_own_a_p() {
        loom::model(|| {
            let status = Arc::new(AtomicU8::new(P_RUNNING));
            let local = Arc::new(UnsafeCell::new(0u32));
            let owners = Arc::new(AtomicUsize::new(0));
            let sysmon = {
                let (status, local, owners) = (status.clone(), local.clone(), owners.clone());
                loom::thread::spawn(move || {
                    if claim_for_retake(&status) {
                        owners.fetch_add(1, Relaxed);
                        // SAFETY: the winning CAS made sysmon the P's owner.
                        local.with_mut(|l| unsafe { *l += 10 });
                    }
                })
            };
            // SAFETY: the M owns the P until it marks the call.
            local.with_mut(|l| unsafe { *l = 1 });
            mark_in_syscall(&status);
            if claim_back(&status) {
                owners.fetch_add(1, Relaxed);
                // SAFETY: the winning CAS gave the P back to the M.
                local.with_mut(|l| unsafe { *l += 100 });
            }
            sysmon.join().unwrap();
            assert_eq!(owners.load(Relaxed), 1, "the P had two owners or none");
        });
    }
}
