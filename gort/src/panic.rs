//! What a panic in a goroutine looks like.
//!
//! The runtime chains a panic hook in front of the one already installed:
//! on a goroutine it prints `panic in goroutine N: <message>` and where, in
//! the spirit of Go's `panic: …` + `goroutine N [running]`; elsewhere it
//! defers to the previous hook. What happens next depends on how the
//! goroutine was started: `go!` exits the process with status 2, as Go does;
//! `spawn` hands the panic to `JoinHandle::join`; `run` resumes it in the
//! caller.

use std::any::Any;
use std::backtrace::{Backtrace, BacktraceStatus};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};

/// Set once `#[gort::main]`'s body has returned (before its locals drop).
static MAIN_RETURNED: AtomicBool = AtomicBool::new(false);
/// The id of the goroutine running `#[gort::main]`'s body (0: none).
static MAIN_GOROUTINE: AtomicU64 = AtomicU64::new(0);

/// Main's body is running on the calling goroutine.
pub(crate) fn main_started() {
    MAIN_GOROUTINE.store(crate::runtime::goroutine_id(), SeqCst);
}

/// Main's body returned: the exit status is now main's. A goroutine that
/// panics from here on — typically woken by the drop of one of main's
/// locals — is silent and ends without ending the process, as in Go, where
/// main returning ends the program before such a goroutine could run.
pub(crate) fn main_returned() {
    MAIN_RETURNED.store(true, SeqCst);
}

/// Whether a panic on goroutine `goid` comes after main returned and is
/// not main's own (which still reports and exits 2).
fn after_main_returned(goid: u64) -> bool {
    MAIN_RETURNED.load(SeqCst) && goid != MAIN_GOROUTINE.load(SeqCst)
}

pub(crate) fn install_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let goid = crate::runtime::goroutine_id();
        if goid == 0 {
            return previous(info);
        }
        if after_main_returned(goid) {
            note_silenced();
            return;
        }
        let msg = message(info.payload());
        let mut out = format!("panic in goroutine {goid}: {msg}\n");
        if let Some(loc) = info.location() {
            out += &format!("    at {}:{}:{}\n", loc.file(), loc.line(), loc.column());
        }
        let bt = Backtrace::capture();
        if bt.status() == BacktraceStatus::Captured {
            out += &format!("{bt}\n");
        } else {
            out += "note: run with `RUST_BACKTRACE=1` to display a backtrace\n";
        }
        eprint!("{out}");
    }));
}

/// The text of a panic payload (`panic!("...")` gives a &str or a String).
pub(crate) fn message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "Box<dyn Any>"
    }
}

/// How long a goroutine that panicked after main returned waits for the
/// process to end before ending it itself (main's drops might be waiting
/// for that very goroutine).
const AFTER_MAIN_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

thread_local! {
    /// Set by the hook when it silenced this thread's current panic
    /// because main had returned. A panicking goroutine never switches
    /// threads between the hook and `goroutine_panicked` (no stack switch
    /// while unwinding, and none after), so the thread is the goroutine's.
    static SILENCED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

#[inline(never)]
fn note_silenced() {
    SILENCED.with(|s| s.set(true));
}

#[inline(never)]
fn take_silenced() -> bool {
    SILENCED.with(|s| s.replace(false))
}

/// A `go!` goroutine panicked: the hook has reported it; end the process
/// with status 2 — unless the hook found main had returned already (the
/// decision is the hook's, made when the panic began, so a panic that began
/// before main returned always exits 2). Then the status is main's and this
/// goroutine waits for the process to end; should main's drops wait for
/// it instead, it ends the process after `AFTER_MAIN_GRACE`.
pub(crate) fn goroutine_panicked() -> ! {
    if take_silenced() {
        crate::time::sleep(AFTER_MAIN_GRACE);
        eprintln!(
            "fatal error: goroutine {} panicked after main returned, and the process did not end within {AFTER_MAIN_GRACE:?}",
            crate::runtime::goroutine_id()
        );
    }
    exit_after_panic()
}

/// End the process as Go does after an unrecovered panic.
pub(crate) fn exit_after_panic() -> ! {
    std::process::exit(2)
}
