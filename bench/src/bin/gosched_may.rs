//! gosched / may: the yield switch on one worker. Two coroutines each call
//! `may::coroutine::yield_now()` N times; the main thread joins them.
//! Workers: `GOMAXPROCS` (run.sh sets 1). Reports ns per yield (total 2N).
use gort_bench::{arg_n, ns_per, procs, report};
use std::time::Instant;

fn main() {
    gort_bench::exit_on_panic();
    let n = arg_n(1_000_000);
    let procs = procs();
    may::config().set_workers(procs);
    let elapsed = may::go!(move || {
        let start = Instant::now();
        let tasks: Vec<_> = (0..2)
            .map(|_| {
                may::go!(move || {
                    for _ in 0..n {
                        may::coroutine::yield_now();
                    }
                })
            })
            .collect();
        for t in tasks {
            t.join().unwrap();
        }
        start.elapsed()
    })
    .join()
    .unwrap();
    report("gosched", "may", ns_per(elapsed, 2 * n), "ns/yield", procs);
}
