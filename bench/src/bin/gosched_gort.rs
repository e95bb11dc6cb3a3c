//! gosched / gort: the Gosched switch on one P. Two goroutines each call
//! `gort::yield_now()` N times while main waits on a WaitGroup; run with
//! `GOMAXPROCS=1` (run.sh sets it). Reports ns per yield (total 2N yields).
use gort::sync::WaitGroup;
use gort_bench::{arg_n, ns_per, report};
use std::time::Instant;

#[gort::main]
fn main() {
    let n = arg_n(1_000_000);
    let wg = WaitGroup::new();
    let start = Instant::now();
    wg.add(2);
    for _ in 0..2 {
        let wg = wg.clone();
        gort::go!(move || {
            for _ in 0..n {
                gort::yield_now();
            }
            wg.done();
        });
    }
    wg.wait();
    let elapsed = start.elapsed();
    report(
        "gosched",
        "gort",
        ns_per(elapsed, 2 * n),
        "ns/yield",
        gort::runtime::gomaxprocs(),
    );
}
