//! Goroutine dumps: [`stack`] (cf. Go's `runtime.Stack(buf, true)`) and
//! the dump SIGQUIT prints before the process exits with status 2, as a Go
//! program does on Ctrl-\.
//!
//! Each goroutine is listed by id with its state: `running` (an M runs it
//! now), `runnable` (queued), or why it waits, in Go's words
//! (`chan receive`, `sync.Mutex.Lock`, `sleep`, `IO wait`, …). Unlike Go,
//! no wait duration is shown yet, and
//! no stack trace follows: a parked goroutine's stack belongs to its
//! coroutine, which nothing walks. The states are read goroutine by
//! goroutine, not in one instant.
//!
//! SIGQUIT is caught by a signal-hook flag that sysmon polls each round,
//! so the dump comes from sysmon (within a second even when the program is
//! idle). As in Go, once `signal::notify` subscribes to SIGQUIT, the
//! program handles it and no dump is printed.

use super::g::G;
use super::rt;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;

/// A dump of every goroutine: `goroutine N [state]:` lines, by id.
pub fn stack() -> String {
    let running = rt().sched.running_gs();
    let mut gs = rt().sched.goroutine_states(|g| {
        if g.is_parked() {
            g.wait_reason().as_str()
        } else if running.contains(&(g as *const G)) {
            "running"
        } else {
            "runnable"
        }
    });
    gs.sort_unstable();
    let mut out = String::new();
    for (i, (id, state)) in gs.into_iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&format!("goroutine {id} [{state}]:\n"));
    }
    out
}

/// Set by the SIGQUIT handler.
pub(crate) struct QuitFlag(Arc<AtomicBool>);

impl QuitFlag {
    /// Catch SIGQUIT from now on (runtime start). If that fails, SIGQUIT
    /// keeps its default action.
    pub(crate) fn install() -> QuitFlag {
        let flag = Arc::new(AtomicBool::new(false));
        let _ = signal_hook::flag::register(libc::SIGQUIT, flag.clone());
        QuitFlag(flag)
    }

    /// sysmon, each round: after a SIGQUIT, print the dump and exit 2 —
    /// unless the program subscribed to SIGQUIT itself.
    pub(crate) fn check(&self) {
        if !self.0.swap(false, SeqCst) {
            return;
        }
        if crate::signal::notified(crate::signal::Signal::QUIT) {
            return;
        }
        eprint!("SIGQUIT: quit\n\n{}", stack());
        std::process::exit(2)
    }
}
