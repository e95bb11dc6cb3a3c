//! Goroutine dumps: [`stack`] (cf. Go's `runtime.Stack(buf, true)`) and
//! the dump SIGQUIT prints before the process exits with status 2, as a Go
//! program does on Ctrl-\.
//!
//! Each goroutine is listed by id with its state: `running` (an M runs it
//! now), `runnable` (queued), or why it waits, in Go's words
//! (`chan receive`, `sync.Mutex.Lock`, `sleep`, `IO wait`, …), with how
//! long it has waited once that is a minute or more (`[chan receive, 3
//! minutes]`, as Go). Then, where Go prints a stack trace, two lines:
//!
//! ```text
//! goroutine 7 [chan receive]:
//! blocked at src/main.rs:12:22
//! created at src/main.rs:9:5 in goroutine 1
//! ```
//!
//! `blocked at` is the user's call of the gort API it waits in (every
//! function between a blocking public API and `park` is `#[track_caller]`,
//! which costs no more than a pointer argument); `created at` is its
//! `go!`/`spawn` call and the goroutine that made it (a goroutine started
//! inside `gort::syscall` shows as started by a plain thread). Where the
//! blocking call is made by library code — an iterator adapter over
//! `rx.iter()`, `std::io::copy` on a socket — the site is that library's
//! line. A parked goroutine's
//! stack belongs to its coroutine, which nothing walks, so no deeper trace
//! is shown. The wait starts on sysmon's coarse clock (no clock read on the
//! park path), which is plenty for minutes. The states are read goroutine
//! by goroutine, not in one instant.
//!
//! SIGQUIT is caught by a signal-hook flag that sysmon polls each round,
//! so the dump comes from sysmon (within a second even when the program is
//! idle). As in Go, once `signal::notify` subscribes to SIGQUIT, the
//! program handles it and no dump is printed.

use super::g::Origin;
use super::rt;
use std::fmt::Write;
use std::panic::Location;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;

/// One goroutine, as a dump shows it.
struct Entry {
    id: u64,
    state: &'static str,
    parked: bool,
    origin: Origin,
}

/// A dump of every goroutine, by id: a `goroutine N [state]:` line, then
/// where it blocked and where it was started.
pub fn stack() -> String {
    let running = rt().sched.running_gs();
    let mut gs = rt().sched.goroutine_states(|g| {
        let parked = g.is_parked();
        let state = if parked {
            g.wait_reason().as_str()
        } else if let Some(&(_, in_call)) = running.iter().find(|(r, _)| std::ptr::eq(*r, g)) {
            // An M runs it with no P: it is inside `gort::syscall` (Go's
            // `[syscall]`); else it runs Rust code on a P.
            if in_call {
                "syscall"
            } else {
                "running"
            }
        } else {
            "runnable"
        };
        Entry {
            id: g.id(),
            state,
            parked,
            origin: g.origin(),
        }
    });
    gs.sort_unstable_by_key(|e| e.id);
    let now = rt().timers.now();
    let unit = super::sysmon::COARSE_UNIT_NS;
    let mut out = String::new();
    for (i, e) in gs.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        // The stamp is rounded down and sysmon's clock lags: count from
        // the end of its unit, so a wait is never shown as longer than it
        // was (at most a unit shorter).
        let since = (u64::from(e.origin.wait_since) + 1) * unit;
        let waited = e.parked.then(|| now.saturating_sub(since));
        out.push_str(&format_entry(e, waited));
    }
    out
}

/// One goroutine's lines. As in Go, how long it has waited is shown only
/// from a minute on, in whole minutes.
fn format_entry(e: &Entry, waited_ns: Option<u64>) -> String {
    let mut s = format!("goroutine {} [{}", e.id, e.state);
    let minutes = waited_ns.unwrap_or(0) / 60_000_000_000;
    if minutes >= 1 {
        let _ = write!(s, ", {minutes} minutes");
    }
    s.push_str("]:\n");
    if let (true, Some(site)) = (e.parked, e.origin.wait_site) {
        let _ = writeln!(s, "blocked at {}", at(site));
    }
    if let Some(site) = e.origin.created_at {
        match e.origin.created_by {
            0 => writeln!(s, "created at {} by a plain thread", at(site)),
            by => writeln!(s, "created at {} in goroutine {by}", at(site)),
        }
        .expect("writing to a String");
    }
    s
}

fn at(site: &Location<'_>) -> String {
    format!("{}:{}:{}", site.file(), site.line(), site.column())
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

#[cfg(test)]
mod tests {
    use super::{format_entry, Entry, Origin};
    use std::panic::Location;

    fn entry(parked: bool) -> Entry {
        Entry {
            id: 7,
            state: "chan receive",
            parked,
            origin: Origin {
                wait_site: Some(Location::caller()),
                wait_since: 0,
                created_at: Some(Location::caller()),
                created_by: 1,
            },
        }
    }

    /// Go shows the wait from a minute on, in whole minutes ("1 minutes"
    /// included), and nothing before.
    #[test]
    fn wait_duration_shown_in_whole_minutes_from_one_on() {
        let e = entry(true);
        let head = |ns| {
            format_entry(&e, Some(ns))
                .lines()
                .next()
                .unwrap()
                .to_string()
        };
        assert_eq!(head(59_999_999_999), "goroutine 7 [chan receive]:");
        assert_eq!(
            head(60_000_000_000),
            "goroutine 7 [chan receive, 1 minutes]:"
        );
        assert_eq!(
            head(185_000_000_000),
            "goroutine 7 [chan receive, 3 minutes]:"
        );
    }

    /// A parked goroutine shows where it blocked and where it was started;
    /// a running one only the latter.
    #[test]
    fn sites_follow_the_header() {
        let parked = format_entry(&entry(true), Some(0));
        let lines: Vec<&str> = parked.lines().collect();
        assert_eq!(lines.len(), 3, "{parked}");
        assert!(
            lines[1].starts_with("blocked at gort/src/runtime/dump.rs:"),
            "{parked}"
        );
        assert!(
            lines[2].starts_with("created at gort/src/runtime/dump.rs:"),
            "{parked}"
        );
        assert!(lines[2].ends_with(" in goroutine 1"), "{parked}");
        let mut running = entry(false);
        running.state = "running";
        let out = format_entry(&running, None);
        assert_eq!(out.lines().count(), 2, "{out}");
        assert!(!out.contains("blocked at"), "{out}");
    }
}
