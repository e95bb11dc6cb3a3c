//! Asynchronous preemption (x86_64 Linux): stopping a goroutine that never
//! reaches a checkpoint — a loop that calls nothing — by signal, as Go does.
//!
//! # The path
//! 1. sysmon finds a P whose time slice is over and sets its `preempt` flag
//!    (sysmon.rs). While the flag stays set it also sends SIGURG to the M
//!    running that P (`poke`), again every tenth of a slice.
//! 2. The handler (`on_sigurg`, on the M's alternate signal stack) preempts
//!    only at an *async-safe point*, all of which must hold:
//!    - the thread is an M holding a P whose `preempt` flag is set, and it
//!      runs a goroutine (not the scheduler, not a blocking call);
//!    - the interrupted PC lies in the `gort_ptext` section: code the user
//!      marked `#[gort::preemptible]`, and nothing else — not the runtime,
//!      not libc or the allocator, not std;
//!    - the interrupted stack pointer lies in that goroutine's stack slot
//!      with `ROOM` bytes to spare (the trampoline saves ~3 KiB);
//!    - the thread is not panicking.
//!
//!    Then it rewrites the signal context: the interrupted PC goes on the
//!    goroutine's stack below the 128-byte red zone, and the thread returns
//!    from the signal into the trampoline `gort_async_preempt`
//!    (asyncpreempt_x86_64.s), which saves every register, calls `park`
//!    (the goroutine goes to the global queue, as at a checkpoint) and,
//!    when resumed, restores everything and jumps back. Anywhere else the
//!    handler does nothing: the flag stays set, the next checkpoint
//!    honours it and sysmon signals again a tenth of a slice later
//!    (signals do not queue).
//! 3. None of the runtime's code lands in the section: it carries no
//!    attribute, and the entry points a preemptible function may call that
//!    would otherwise be inlined into it — the generic ones, instantiated
//!    in the caller's crate: channel operations, `select`, spawning and
//!    joining, `gort::syscall` — are `#[inline(never)]`, and so is every
//!    function that takes one of gort's thread-blocking (parking_lot) locks,
//!    as LTO inlines even non-generic functions across crates. (Stopped
//!    holding such a lock, a goroutine would block every thread that wants
//!    it.) tests/ptext.rs checks a fixture that calls them, built plainly
//!    and with fat LTO, for calls to the M-context accessors or to
//!    parking_lot's slow paths. (Stopped inside a channel's spin
//!    lock, a goroutine would leave every other one spinning on it; inside
//!    a spawn, it would resume pushing onto a P it no longer holds.)
//!
//! # What may be interrupted, and what that forbids
//! Only instructions of `#[gort::preemptible]` functions (and what the
//! compiler inlined into them). A goroutine stopped there may resume on
//! another thread, so such code must not touch thread-local storage (a
//! thread-local's address may be held in a register across the stop) —
//! `tests/ptext.rs` checks the section's disassembly mechanically. A
//! `std::sync::Mutex` held there stays held while the goroutine waits.
//!
//! A goroutine stopped here is never dropped or unwound: its G is leaked if
//! it is ever dropped while suspended (g.rs), as every started G is.
//!
//! `GORTDEBUG=asyncpreemptoff=1` never installs the handler: checkpoints
//! only. Elsewhere than x86_64 Linux this module is absent and the same
//! holds.

use super::context;
use super::p::P;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, Ordering::*};
use std::sync::OnceLock;

/// Stack a preemption needs below the interrupted stack pointer: red zone,
/// saved registers, the XSAVE area (up to ~3 KiB) and the park call.
const ROOM: usize = 16 * 1024;

/// Whether the handler is installed (and `poke` may signal).
static ENABLED: AtomicBool = AtomicBool::new(false);
/// Asynchronous preemptions so far (for `runtime::preemptions`).
pub(crate) static COUNT: AtomicU64 = AtomicU64::new(0);

/// XSAVE parameters for the trampoline, set once before the handler goes
/// in (so the trampoline, which runs only after a handler ran, sees them).
static XSAVE_SIZE: AtomicU64 = AtomicU64::new(0);
static XSAVE_MASK_LO: AtomicU32 = AtomicU32::new(0);
static XSAVE_MASK_HI: AtomicU32 = AtomicU32::new(0);
static XSAVE_COMPACT: AtomicU8 = AtomicU8::new(0);

/// The previous SIGURG action, chained to (a `signal::notify` subscriber).
/// Set before the handler goes in; the handler only reads it.
static PREV: OnceLock<libc::sigaction> = OnceLock::new();

std::arch::global_asm!(
    include_str!("asyncpreempt_x86_64.s"),
    park = sym park,
    size = sym XSAVE_SIZE,
    mask_lo = sym XSAVE_MASK_LO,
    mask_hi = sym XSAVE_MASK_HI,
    compact = sym XSAVE_COMPACT,
);

std::arch::global_asm!(
    // The section's bounds, as weak symbols: 0 (an empty range) in a
    // program with no preemptible function.
    ".weak __start_gort_ptext",
    ".weak __stop_gort_ptext",
    ".pushsection .data.rel.ro.gort_ptext_bounds,\"aw\",@progbits",
    ".p2align 3",
    ".globl gort_ptext_bounds",
    ".hidden gort_ptext_bounds",
    "gort_ptext_bounds:",
    ".quad __start_gort_ptext",
    ".quad __stop_gort_ptext",
    ".popsection",
);

extern "C" {
    fn gort_async_preempt();
    static gort_ptext_bounds: [usize; 2];
}

/// Install the SIGURG handler (once, at runtime start), unless the CPU
/// lacks what the trampoline needs (then checkpoints only).
pub(crate) fn install() {
    let Some(x) = XsaveParams::detect() else {
        return;
    };
    XSAVE_SIZE.store(x.size, Relaxed);
    XSAVE_MASK_LO.store(x.mask as u32, Relaxed);
    XSAVE_MASK_HI.store((x.mask >> 32) as u32, Relaxed);
    XSAVE_COMPACT.store(u8::from(x.compact), Relaxed);
    // SAFETY: sigaction structs are plain data, fully initialized (zeroed,
    // then the fields we use); reading the current action changes nothing.
    let (action, old) = unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigurg as *const () as usize;
        action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK | libc::SA_RESTART;
        libc::sigemptyset(&mut action.sa_mask);
        let mut old: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(libc::SIGURG, std::ptr::null(), &mut old) != 0 {
            return;
        }
        (action, old)
    };
    if PREV.set(old).is_err() {
        return; // installed already
    }
    // SAFETY: `action` is a valid sigaction for a SA_SIGINFO handler. A
    // SIGURG action installed between the read above and this call would
    // be replaced unchained; nothing installs one at runtime start.
    if unsafe { libc::sigaction(libc::SIGURG, &action, std::ptr::null_mut()) } == 0 {
        ENABLED.store(true, Release);
    }
}

/// sysmon: `p`'s slice is over and its flag set; signal the M running it.
/// (If that M has moved on meanwhile, its handler finds no request.)
pub(crate) fn poke(p: &P) {
    if !ENABLED.load(Acquire) {
        return;
    }
    if let Some(thread) = super::rt().sched.m_running(p) {
        // SAFETY: the thread is an M, and Ms never exit, so the pthread_t
        // is valid; pthread_kill only delivers a signal.
        unsafe { libc::pthread_kill(thread, libc::SIGURG) };
    }
}

extern "C" fn on_sigurg(sig: libc::c_int, info: *mut libc::siginfo_t, uc: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid ucontext for SA_SIGINFO handlers,
    // and nothing else refers to it while the handler runs.
    let uc = unsafe { &mut *uc.cast::<libc::ucontext_t>() };
    if try_preempt(uc) {
        COUNT.fetch_add(1, Relaxed);
    }
    // Someone else may have asked for SIGURG too (signal::notify).
    if let Some(prev) = PREV.get() {
        let h = prev.sa_sigaction;
        if h != libc::SIG_DFL && h != libc::SIG_IGN {
            // SAFETY: `h` is the handler the previous owner installed, of
            // the kind its flags say.
            unsafe {
                if prev.sa_flags & libc::SA_SIGINFO != 0 {
                    let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                        std::mem::transmute(h);
                    f(sig, info, (uc as *mut libc::ucontext_t).cast());
                } else {
                    let f: extern "C" fn(libc::c_int) = std::mem::transmute(h);
                    f(sig);
                }
            }
        }
    }
}

/// Redirect the interrupted goroutine into the trampoline if this is an
/// async-safe point (see the module docs). Async-signal-safe: loads,
/// stores to the interrupted stack, no locks, no allocation.
fn try_preempt(uc: &mut libc::ucontext_t) -> bool {
    let Some(ctx) = context::ctx() else {
        return false;
    };
    let Some(p) = ctx.p.get() else {
        return false;
    };
    if ctx.curg.get().is_null() || !p.preempt.load(Relaxed) {
        return false;
    }
    let regs = &mut uc.uc_mcontext.gregs;
    let pc = regs[libc::REG_RIP as usize] as usize;
    let sp = regs[libc::REG_RSP as usize] as usize;
    if !in_ptext(pc) {
        return false;
    }
    let Some((lo, hi)) = crate::stack::stack_slot_bounds(sp) else {
        return false;
    };
    if sp > hi || sp < lo + ROOM || std::thread::panicking() {
        return false;
    }
    // This handler must run on the alternate signal stack: if it runs on
    // the goroutine's own (a handler installed without SA_ONSTACK chained
    // to us, or an M without an altstack), the kernel's signal frame lies
    // just below `sp` and the write below would corrupt it.
    let here = &raw const regs as usize;
    if (lo..hi).contains(&here) {
        return false;
    }
    let ret = sp - 128 - 8;
    // SAFETY: `ret` lies inside this goroutine's own stack, below the red
    // zone of the interrupted code and above `lo + ROOM - 136`, which nobody
    // else uses while the goroutine is stopped in this handler.
    unsafe { (ret as *mut usize).write(pc) };
    regs[libc::REG_RSP as usize] = ret as i64;
    regs[libc::REG_RIP as usize] = gort_async_preempt as *const () as usize as i64;
    true
}

/// Whether `pc` is in code marked `#[gort::preemptible]`.
fn in_ptext(pc: usize) -> bool {
    // SAFETY: a static the linker filled in, never written.
    let [start, stop] = unsafe { gort_ptext_bounds };
    start <= pc && pc < stop
}

/// Called by the trampoline on the goroutine's stack, every register saved
/// (`gprs`: the 14 general registers, r15 first; `xsave`: the XSAVE area):
/// give up the P as a checkpoint would (the goroutine goes to the global
/// queue). `extern "C"`: a panic here aborts rather than unwind through the
/// trampoline. Not in the section (no attribute), never inlined anywhere.
#[inline(never)]
extern "C" fn park(gprs: *mut u64, xsave: *mut u8) {
    let before = this_thread();
    super::park::preempt();
    if this_thread() != before {
        MIGRATED.fetch_add(1, Relaxed);
    }
    match FAULT.load(Relaxed) {
        Fault::NONE => {}
        // SAFETY: the trampoline passes its own save areas, which stay valid
        // until it restores from them after this returns.
        fault => unsafe { inject(fault, gprs, xsave) },
    }
}

/// The calling thread (out of line: it reads a thread-local; we are not in
/// the section here).
#[inline(never)]
fn this_thread() -> libc::pthread_t {
    // SAFETY: pthread_self has no preconditions.
    unsafe { libc::pthread_self() }
}

/// `GORTDEBUG=asyncpreemptfault=…`: break what the trampoline restores,
/// so that the register-integrity tests can show they fail when it is
/// wrong (their negative controls). Never set otherwise.
pub(crate) struct Fault;

impl Fault {
    pub(crate) const NONE: u8 = 0;
    /// Flip the low bit of every saved general register but rbp.
    pub(crate) const GPR: u8 = 1;
    /// Flip the low bit of the saved XMM0–XMM15 (their low lanes).
    pub(crate) const VECTOR: u8 = 2;
}

static FAULT: AtomicU8 = AtomicU8::new(Fault::NONE);
/// Resumptions on another thread than the one preempted.
pub(crate) static MIGRATED: AtomicU64 = AtomicU64::new(0);

/// Set by the runtime at start from `GORTDEBUG`.
pub(crate) fn set_fault(fault: u8) {
    FAULT.store(fault, Relaxed);
}

/// # Safety
/// `gprs` points at the 14 saved general registers, `xsave` at the XSAVE
/// area (whose legacy region holds XMM0–15 at byte 160).
unsafe fn inject(fault: u8, gprs: *mut u64, xsave: *mut u8) {
    if fault == Fault::GPR {
        for i in 0..14 {
            // SAFETY: 14 slots, per the caller's contract.
            unsafe { *gprs.add(i) ^= 1 };
        }
    } else if fault == Fault::VECTOR {
        for i in 0..16 {
            // SAFETY: XMMi's low byte in the legacy region, per the contract.
            unsafe { *xsave.add(160 + 16 * i) ^= 1 };
        }
    }
}

/// What XSAVE saves and how large the area is, from CPUID.
struct XsaveParams {
    mask: u64,
    size: u64,
    compact: bool,
}

impl XsaveParams {
    /// x87, SSE, AVX, AVX-512 (opmask, ZMM_Hi256, Hi16_ZMM) and APX: the
    /// user-visible register state. Not PKRU (per thread) nor AMX tiles
    /// (opt-in per process, ~8 KiB).
    const WANTED: u64 = (1 << 0) | (1 << 1) | (1 << 2) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 19);

    fn detect() -> Option<XsaveParams> {
        use std::arch::x86_64::__cpuid_count;
        let leaf1 = __cpuid_count(1, 0);
        let osxsave = leaf1.ecx & (1 << 27) != 0;
        if !osxsave {
            return None;
        }
        let xcr0 = xgetbv0();
        let mask = xcr0 & Self::WANTED;
        let compact = __cpuid_count(0xD, 1).eax & (1 << 1) != 0;
        let mut size: u64 = 512 + 64; // legacy region + header
        for i in 2..63u32 {
            if mask & (1 << i) == 0 {
                continue;
            }
            // Sub-leaf i of leaf 0xD describes state component i.
            let c = __cpuid_count(0xD, i);
            let (len, offset, align64) = (u64::from(c.eax), u64::from(c.ebx), c.ecx & 2 != 0);
            size = if compact {
                let start = if align64 {
                    size.next_multiple_of(64)
                } else {
                    size
                };
                start + len
            } else {
                size.max(offset + len)
            };
        }
        Some(XsaveParams {
            mask,
            size: size.next_multiple_of(64),
            compact,
        })
    }
}

fn xgetbv0() -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: XGETBV with ECX = 0 reads XCR0; the caller checked OSXSAVE,
    // so it does not fault.
    unsafe {
        std::arch::asm!("xgetbv", in("ecx") 0, out("eax") lo, out("edx") hi,
            options(nomem, nostack, preserves_flags));
    }
    (u64::from(hi) << 32) | u64::from(lo)
}
