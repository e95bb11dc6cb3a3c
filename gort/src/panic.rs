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

pub(crate) fn install_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let goid = crate::runtime::goroutine_id();
        if goid == 0 {
            return previous(info);
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

/// A `go!` goroutine panicked: the hook has reported it; end the process.
pub(crate) fn goroutine_panicked() -> ! {
    std::process::exit(2)
}
