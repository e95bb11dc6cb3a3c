//! handoff / gort: how soon a runnable goroutine gets the P of a goroutine
//! that entered a blocking call. On one P (run.sh sets `GOMAXPROCS=1`), main
//! starts a goroutine that records when it first runs, then blocks its
//! thread for 5 ms inside `gort::syscall` (sysmon retakes the P and hands
//! it on). Reports the median delay over N rounds, and the 90th percentile
//! as `handoff.p90` (go/handoff.go does the same with a nanosleep syscall).
//!
//! By default main never leaves its P except for the calls, so its time
//! slice (which `runnext` hand-overs inherit) is soon over and sysmon, in
//! gort as in Go, retakes each call at the first round that sees it. With
//! the argument `fresh` (run.sh row `handoff-fresh`) main sleeps 1 ms before
//! each round, so each call starts a fresh slice and is retaken only after
//! it has been seen in two sysmon rounds: the common case in real programs.
use gort_bench::{arg_n, report};
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[gort::main]
fn main() {
    let n = arg_n(200);
    let fresh = std::env::args().nth(2).as_deref() == Some("fresh");
    let mut lat = Vec::with_capacity(n);
    for _ in 0..n {
        if fresh {
            gort::time::sleep(Duration::from_millis(1));
        }
        let ran = Arc::new(AtomicU64::new(0));
        let start = Instant::now();
        let first_run = {
            let ran = ran.clone();
            gort::spawn(move || ran.store(start.elapsed().as_nanos() as u64, SeqCst))
        };
        gort::syscall(|| std::thread::sleep(Duration::from_millis(5)));
        first_run.join().unwrap();
        lat.push(ran.load(SeqCst) as f64 / 1e3);
    }
    lat.sort_by(f64::total_cmp);
    let procs = gort::runtime::gomaxprocs();
    report("handoff", "gort", lat[n / 2], "us", procs);
    report("handoff.p90", "gort", lat[n * 9 / 10], "us", procs);
}
