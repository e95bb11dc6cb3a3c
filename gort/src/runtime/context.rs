//! Per-thread runtime state: which M this thread is, which P it holds and
//! which G it runs.
//!
//! # Why every accessor is `#[inline(never)]`
//! A goroutine can suspend on one thread and resume on another. LLVM assumes a
//! function stays on one thread, so if a thread-local's address were computed
//! inline it could be kept in a register across the switch and then point at
//! the *old* thread's storage (llvm-project#98479). Reading the runtime's
//! thread-locals only through out-of-line functions forces a fresh lookup on
//! every call. Nothing here may be made `#[inline]`.

use super::g::G;
use super::m::M;
use super::p::P;
use std::cell::Cell;
use std::ptr;

/// The scheduler state of an M's thread. Only that thread touches it.
pub(crate) struct MCtx {
    pub(crate) m: &'static M,
    /// The P this M holds, if any.
    pub(crate) p: Cell<Option<&'static P>>,
    /// The G running on this M; null while in the scheduler.
    pub(crate) curg: Cell<*const G>,
    /// Whether this M is counted in `nmspinning`.
    pub(crate) spinning: Cell<bool>,
}

thread_local! {
    static CTX: Cell<*const MCtx> = const { Cell::new(ptr::null()) };
}

/// Bind this thread to `ctx` for the rest of its life (an M's thread start).
#[inline(never)]
pub(crate) fn install(ctx: &'static MCtx) {
    CTX.with(|c| c.set(ctx));
}

/// This thread's M state, or `None` on a thread that is not an M.
#[inline(never)]
pub(crate) fn ctx() -> Option<&'static MCtx> {
    // SAFETY: the pointer is null or was installed from a `&'static MCtx`.
    CTX.with(|c| unsafe { c.get().as_ref() })
}

/// The goroutine running on this thread, or null outside goroutines.
///
/// The pointer stays valid for as long as that goroutine runs (its M holds a
/// reference), which includes across suspensions of the goroutine itself.
#[inline(never)]
pub(crate) fn current_g() -> *const G {
    match ctx() {
        Some(c) => c.curg.get(),
        None => ptr::null(),
    }
}

/// The P held by this thread, if it is an M that holds one.
#[inline(never)]
pub(crate) fn current_p() -> Option<&'static P> {
    ctx().and_then(|c| c.p.get())
}
