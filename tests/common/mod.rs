//! Shared by the integration tests: run every test under several runtime
//! shapes — GOMAXPROCS 1, 2 and 8, and oversubscribed at 16 and 64 (far
//! more Ps than the 2 cores CI has, where a P's thread is often descheduled
//! mid-slice) — so a bug that needs parallelism, its absence, or
//! contention cannot hide (as tokio's rt_common.rs does for its flavours).
//! All five shapes add about 10 s to a test run on 2 cores.
//!
//! gort has one runtime per process, so the shapes are applied one after
//! another with `set_gomaxprocs`, and the trials run on one harness thread
//! (each test still spawns as many goroutines as it likes).

#![allow(dead_code)] // each test binary uses a different part of this module

use libtest_mimic::{Arguments, Trial};
use std::time::{Duration, Instant};

/// The GOMAXPROCS values every test runs under.
pub const SHAPES: [usize; 5] = [1, 2, 8, 16, 64];

/// A test still running after this long has hung (a lost wake-up looks
/// like that): the process reports it and fails instead of stalling CI.
const DEADLINE: Duration = Duration::from_secs(120);

/// Run `tests`, each once per shape, as `name[procs=N]`.
pub fn main(tests: &[(&'static str, fn())]) -> ! {
    let mut args = Arguments::from_args();
    args.test_threads = Some(1); // shapes are process-wide: one at a time
    let mut trials = Vec::new();
    for &procs in &SHAPES {
        for &(name, test) in tests {
            let full = format!("{name}[procs={procs}]");
            trials.push(Trial::test(full.clone(), move || {
                gort::runtime::set_gomaxprocs(procs);
                let watchdog = Watchdog::arm(full);
                test();
                watchdog.disarm();
                Ok(())
            }));
        }
    }
    libtest_mimic::run(&args, trials).exit()
}

/// Ends the process if a test outlives `DEADLINE`.
struct Watchdog(std::sync::mpsc::Sender<()>);

impl Watchdog {
    fn arm(name: String) -> Watchdog {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        std::thread::spawn(move || {
            if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(DEADLINE) {
                eprintln!("test {name} did not finish within {DEADLINE:?}: it hangs");
                std::process::exit(101);
            }
        });
        Watchdog(tx)
    }

    fn disarm(self) {
        let _ = self.0.send(());
    }
}

/// Poll `cond` until it holds or `limit` passes; true if it held. Sleeps
/// the *thread* between polls: on a goroutine it keeps its P (for tests
/// that need goroutines truly in parallel). To wait for other goroutines
/// on the same P to finish, use [`eventually_parking`].
pub fn eventually(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    cond()
}

/// [`eventually`], but the calling goroutine parks between polls
/// (`gort::time::sleep`), so the goroutines it waits for can run on its P —
/// under GOMAXPROCS=1, a thread sleep would hold the only P and wait out
/// the whole limit.
pub fn eventually_parking(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if cond() {
            return true;
        }
        gort::time::sleep(Duration::from_millis(1));
    }
    cond()
}
