//! parked / may: memory per parked coroutine. After a warm-up (1,000
//! coroutines parked and released), read RSS (/proc/self/statm), spawn N
//! coroutines that each signal a WaitGroup and then block receiving on a
//! shared `may::sync::mpmc` channel, wait until all have signalled (+100 ms
//! to settle), read RSS again, then drop the sender (all receives fail) and
//! join all. Reports (RSS after - RSS before) / N in bytes. Expected to fail at
//! 100k: each may stack is its own mmap + guard page, and vm.max_map_count
//! (65530) allows ~32k. Workers: GOMAXPROCS.
use gort_bench::{arg_n, procs, report, rss_bytes};
use may::sync::{mpmc, WaitGroup};
use std::time::Duration;

fn park(n: usize) -> (usize, usize) {
    let (gate_tx, gate) = mpmc::channel::<()>();
    let started = WaitGroup::new();
    let before = rss_bytes();
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let (gate, started) = (gate.clone(), started.clone());
            may::go!(move || {
                drop(started);
                let _ = gate.recv();
            })
        })
        .collect();
    started.wait();
    may::coroutine::sleep(Duration::from_millis(100));
    let after = rss_bytes();
    drop(gate_tx);
    for t in tasks {
        t.join().unwrap();
    }
    (before, after)
}

fn main() {
    gort_bench::exit_on_panic();
    let n = arg_n(100_000);
    let procs = procs();
    may::config().set_workers(procs);
    let (before, after) = may::go!(move || {
        park(1000); // warm-up
        park(n)
    })
    .join()
    .unwrap();
    let per = (after as f64 - before as f64) / n as f64;
    report("parked", "may", per, "B/goroutine", procs);
}
