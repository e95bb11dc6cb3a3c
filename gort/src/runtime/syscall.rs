//! Blocking calls that do not stall the runtime: `gort::syscall(f)` is Go's
//! entersyscall / exitsyscall around `f`.
//!
//! # The hand-off
//! Entering, the goroutine's P is marked `P_SYSCALL` (its `syscalltick`
//! bumped) and the M lets go of it: `f` runs with no P and no current G,
//! as on a plain thread. Nothing is handed off yet — most calls are short.
//! sysmon watches: a P still in the same syscall one tick later (20 µs or
//! more) is *retaken* — a CAS `P_SYSCALL → P_IDLE` — and handed to another
//! M if it has work, or put on the idle list (sched.rs `handoff_p`).
//!
//! Leaving, the M tries the fast path: CAS its old P `P_SYSCALL →
//! P_RUNNING` and go on. If sysmon won, it takes any idle P; failing that,
//! the goroutine goes to the global queue and the M parks (Switch::
//! SyscallExit). The CAS decides who owns the P, so exactly one of the M
//! and sysmon does; it is AcqRel, so the winner sees everything the P's
//! last owner wrote to its local state.
//!
//! # What runs inside
//! `f` runs as on a plain thread: gort calls in it block the *thread*
//! (no P to run others on), `goroutine_id()` is 0, and goroutines it starts
//! or wakes go to the global queue. A panic in `f` leaves the syscall
//! first (the goroutine gets a P back), then continues.

use super::context::{self, MCtx};
use super::coro::Switch;
use super::g::G;
use super::p::{P, P_RUNNING, P_SYSCALL};
use super::rt;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::Ordering::*;

/// Run `f`, a call that may block its thread (a file read, a `sleep`, a
/// C library call), so that the other goroutines keep running (Go runs
/// every blocking system call this way). If `f` takes longer than about
/// 20 µs, the goroutine's P is handed to another thread meanwhile; a fast
/// `f` costs two atomic operations. On a plain thread it just calls `f`.
///
/// Inside `f` the code runs as on a plain thread: gort operations that
/// wait block the thread, and `runtime::goroutine_id()` returns 0.
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
    // Release: the P's local state, as this M leaves it, goes with the P to
    // whoever wins it (sysmon's CAS is AcqRel).
    p.status.store(P_SYSCALL, Release);
    ctx.p.set(None);
    ctx.curg.set(std::ptr::null());
}

/// Get a P back after the call (cf. exitsyscall): the old one if sysmon
/// has not retaken it, else an idle one, else park the goroutine on the
/// global queue until an M with a P runs it.
fn exit(ctx: &MCtx, g: *const G, old: &'static P) {
    ctx.curg.set(g);
    loop {
        if old
            .status
            .compare_exchange(P_SYSCALL, P_RUNNING, AcqRel, Relaxed)
            .is_ok()
        {
            ctx.p.set(Some(old));
            return;
        }
        if let Some(p) = rt().sched.take_idle_p() {
            ctx.p.set(Some(p));
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
