//! Turning a goroutine stack overflow into a Go-style report.
//!
//! A goroutine that runs off the bottom of its stack touches the guard page
//! below it and gets SIGSEGV. The handler runs on the thread's alternate
//! signal stack (`install_altstack`, called by every M), looks the fault
//! address up in the slab table (stack.rs, lock-free and allocation-free),
//! and if it is a guard page prints
//! `fatal error: goroutine N stack overflow (stack size X; set GORT_STACK_SIZE)`
//! and exits with status 2. Any other fault is not ours: it goes to the
//! previous handler, called directly (as Go's `sigfwd`), so ours stays
//! installed for the next overflow even if that handler recovers (a JIT,
//! a wasm runtime); if the previous action was the default or to ignore,
//! it is reinstated and the fault re-raised by returning. So std's own
//! main-thread overflow message and ordinary crashes behave as before.
//!
//! Everything in the handler is async-signal-safe: atomic loads, `write(2)`
//! of a stack buffer, `sigaction(2)` and `_exit(2)`.

use std::sync::atomic::{AtomicUsize, Ordering::*};

/// Size of the alternate signal stack of each M (the handler needs little;
/// 64 KiB leaves room for the libc and unwinder frames of a chained handler).
const ALTSTACK_SIZE: usize = 64 * 1024;

static STACK_SIZE: AtomicUsize = AtomicUsize::new(0);
/// The previous SIGSEGV and SIGBUS actions, stored once before ours goes in.
static mut PREV_SEGV: Option<libc::sigaction> = None;
static mut PREV_BUS: Option<libc::sigaction> = None;

/// Install the handler for SIGSEGV and SIGBUS (once, at runtime start).
pub(crate) fn install_handler(stack_size: usize) {
    STACK_SIZE.store(stack_size, Relaxed);
    install_altstack();
    // SAFETY: runs once, from the runtime's OnceLock initializer, before any
    // goroutine exists, so nothing reads PREV_* concurrently; the sigaction
    // struct is fully initialized (zeroed, then the fields we use).
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = handler as *const () as usize;
        action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
        libc::sigemptyset(&mut action.sa_mask);
        for (sig, prev) in [
            (libc::SIGSEGV, &raw mut PREV_SEGV),
            (libc::SIGBUS, &raw mut PREV_BUS),
        ] {
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(sig, &action, &mut old) == 0 {
                *prev = Some(old);
            }
        }
    }
}

/// Give this thread an alternate signal stack if it has none, so the handler
/// can run after a goroutine stack is exhausted.
pub(crate) fn install_altstack() {
    // SAFETY: sigaltstack with a null new stack only reads the current one.
    let mut cur: libc::stack_t = unsafe { std::mem::zeroed() };
    // SAFETY: `cur` is a valid out-pointer.
    unsafe { libc::sigaltstack(std::ptr::null(), &mut cur) };
    if cur.ss_flags & libc::SS_DISABLE == 0 {
        return; // std (or someone) already gave this thread one
    }
    // SAFETY: a fresh anonymous mapping; checked for failure below.
    let mem = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            ALTSTACK_SIZE,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if mem == libc::MAP_FAILED {
        return; // overflow reports degrade to a plain SIGSEGV on this M
    }
    let stack = libc::stack_t {
        ss_sp: mem,
        ss_flags: 0,
        ss_size: ALTSTACK_SIZE,
    };
    // SAFETY: `stack` describes the mapping above, which is never unmapped
    // (an M's thread lives as long as the process).
    unsafe { libc::sigaltstack(&stack, std::ptr::null_mut()) };
}

extern "C" fn handler(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers.
    let addr = unsafe { (*info).si_addr() } as usize;
    if let Some(goid) = crate::stack::guard_page_owner(addr) {
        report_overflow(goid);
    }
    let prev = if sig == libc::SIGSEGV {
        &raw const PREV_SEGV
    } else {
        &raw const PREV_BUS
    };
    // SAFETY: PREV_* were written before this handler was installed and are
    // never written again.
    let prev = unsafe { &*prev };
    match prev {
        Some(old) if old.sa_sigaction != libc::SIG_DFL && old.sa_sigaction != libc::SIG_IGN => {
            // SAFETY: a handler installed with SA_SIGINFO takes these three
            // arguments, one without it the signal number alone (sigaction(2));
            // `info` and `ctx` are the kernel's, passed on unchanged. The
            // signal mask is set as the kernel would have for that handler
            // (its sa_mask blocked; `sig` unblocked under SA_NODEFER), so one
            // that recovers by longjmp leaves the thread as it expects;
            // pthread_sigmask is async-signal-safe, and the kernel restores
            // the interrupted mask when we return.
            unsafe {
                libc::pthread_sigmask(libc::SIG_BLOCK, &old.sa_mask, std::ptr::null_mut());
                if old.sa_flags & libc::SA_NODEFER != 0 {
                    let mut this: libc::sigset_t = std::mem::zeroed();
                    libc::sigemptyset(&mut this);
                    libc::sigaddset(&mut this, sig);
                    libc::pthread_sigmask(libc::SIG_UNBLOCK, &this, std::ptr::null_mut());
                }
                if old.sa_flags & libc::SA_SIGINFO != 0 {
                    let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                        std::mem::transmute(old.sa_sigaction);
                    f(sig, info, ctx);
                } else {
                    let f: extern "C" fn(libc::c_int) = std::mem::transmute(old.sa_sigaction);
                    f(sig);
                }
            }
        }
        // Default or ignored: put it back and return; the faulting
        // instruction runs again and meets that action.
        // SAFETY: sigaction and signal are async-signal-safe.
        Some(old) => unsafe {
            libc::sigaction(sig, old, std::ptr::null_mut());
        },
        // SAFETY: as above.
        None => unsafe {
            libc::signal(sig, libc::SIG_DFL);
        },
    }
}

fn report_overflow(goid: u64) -> ! {
    let mut buf = [0u8; 160];
    let mut len = 0;
    for part in [
        Part::Str("fatal error: goroutine "),
        Part::Num(goid),
        Part::Str(" stack overflow (stack size "),
        Part::Num(STACK_SIZE.load(Relaxed) as u64),
        Part::Str(" bytes; set GORT_STACK_SIZE)\n"),
    ] {
        len += part.write(&mut buf[len..]);
    }
    // SAFETY: write(2) and _exit(2) are async-signal-safe; buf[..len] is
    // initialized.
    unsafe {
        libc::write(2, buf.as_ptr().cast(), len);
        libc::_exit(2)
    }
}

/// A piece of the report, formatted without allocating.
enum Part {
    Str(&'static str),
    Num(u64),
}

impl Part {
    fn write(&self, out: &mut [u8]) -> usize {
        match self {
            Part::Str(s) => {
                let n = s.len().min(out.len());
                out[..n].copy_from_slice(&s.as_bytes()[..n]);
                n
            }
            Part::Num(mut v) => {
                let mut digits = [0u8; 20];
                let mut i = digits.len();
                loop {
                    i -= 1;
                    digits[i] = b'0' + (v % 10) as u8;
                    v /= 10;
                    if v == 0 {
                        break;
                    }
                }
                let n = (digits.len() - i).min(out.len());
                out[..n].copy_from_slice(&digits[i..i + n]);
                n
            }
        }
    }
}
