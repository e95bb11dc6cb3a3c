//! Deadlock detection (cf. Go's checkdead): when every goroutine is
//! asleep and nothing can ever wake one, print Go's
//! `fatal error: all goroutines are asleep - deadlock!` with each
//! goroutine's id and wait reason, and exit with status 2.
//!
//! # When nothing can wake a goroutine
//! sysmon asks, when it would otherwise sleep (every P idle):
//! - no P runs or is in a blocking call, and no G is queued anywhere;
//! - no live timer is pending (a timer that only fills a channel counts
//!   only while someone is blocked on that channel, as in Go 1.23) and no
//!   fired one's callback is still running, no goroutine waits on a
//!   socket, and `signal::notify` was never used (a timer, an I/O event or
//!   a signal could wake one);
//! - every goroutine is parked, and something waits at all (a goroutine,
//!   or a plain thread in a gort wait);
//! - every thread of the process that is not the runtime's own (Ms and
//!   sysmon, and the signal dispatcher once started) is parked inside a
//!   gort wait (`park`'s thread branch counts
//!   them: `THREADS_PARKED`, uncounted by the *waker*, so a thread woken
//!   but not yet scheduled is not mistaken for a parked one) — a plain OS
//!   thread doing anything else
//!   might still send on a channel, so then gort never reports (Go has no
//!   such threads; this is the rule gort adds, and the docs state it).
//!
//! Those facts are read one by one, not in one instant; so a suspicion is
//! confirmed only if it holds, with the same fingerprint (scheduling and
//! blocking-call counters, parked threads, live goroutines), for
//! `GRACE`.

use super::park::THREADS_PARKED;
use super::rt;
use std::sync::atomic::Ordering::*;
use std::time::{Duration, Instant};

/// How long a suspected deadlock must hold, unchanged, to be reported.
const GRACE: Duration = Duration::from_millis(500);

/// sysmon's memory of a suspected deadlock.
#[derive(Default)]
pub(crate) struct Detector {
    suspect: Option<(Instant, Fingerprint)>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
struct Fingerprint {
    ticks: u64,
    threads_parked: usize,
    live: usize,
}

impl Detector {
    /// Check once (sysmon, every P idle); ends the process on a deadlock
    /// that has held for `GRACE`.
    pub(crate) fn check(&mut self, now: Instant) {
        let Some(fp) = suspected() else {
            self.suspect = None;
            return;
        };
        match self.suspect {
            Some((since, seen)) if seen == fp => {
                if now.duration_since(since) >= GRACE {
                    report_and_exit();
                }
            }
            _ => self.suspect = Some((now, fp)),
        }
    }

    /// Whether a deadlock is suspected (sysmon then checks again soon
    /// instead of sleeping long).
    pub(crate) fn suspecting(&self) -> bool {
        self.suspect.is_some()
    }
}

/// The fingerprint of the runtime if it looks deadlocked now.
fn suspected() -> Option<Fingerprint> {
    let rt = rt();
    let sched = &rt.sched;
    let n = sched.gomaxprocs();
    if !sched.all_idle()
        || sched.global_has_work()
        || (0..n).any(|id| !sched.p(id).runq.is_empty())
        || rt.netpoll.has_waiters()
        || crate::signal::in_use()
        || rt.timers.may_wake()
    // last: it may ask every channel timer's probe
    {
        return None;
    }
    // Cheapest first: the thread count (a /proc read) before the walk
    // over every goroutine.
    let threads_parked = THREADS_PARKED.load(SeqCst);
    // The Ms, sysmon, and the signal dispatcher if a `try_notify` started it.
    let runtime_threads = sched.mcount() + 1 + crate::signal::threads();
    if process_threads()?.checked_sub(runtime_threads)? != threads_parked {
        return None;
    }
    let live = sched.live_gs_if_all_parked()?;
    if live == 0 && threads_parked == 0 {
        return None; // nothing waits at all
    }
    let ticks = (0..n)
        .map(|id| {
            let p = sched.p(id);
            u64::from(p.schedtick.load(Relaxed)) + u64::from(p.syscalltick.load(Relaxed))
        })
        .sum();
    Some(Fingerprint {
        ticks,
        threads_parked,
        live,
    })
}

/// Threads in this process (Linux: /proc/self/status).
fn process_threads() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())
}

/// Go's report, then exit 2.
fn report_and_exit() -> ! {
    eprint!(
        "fatal error: all goroutines are asleep - deadlock!\n\n{}",
        super::dump::stack()
    );
    std::process::exit(2)
}
