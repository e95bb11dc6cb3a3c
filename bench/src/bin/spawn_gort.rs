//! spawn / gort: the main goroutine spawns N goroutines that each bump a shared
//! atomic and call `wg.Done()`; it then waits on a `gort::sync::WaitGroup`.
//! Reports ns per goroutine (spawn + run + finish). Ps: `GOMAXPROCS` (gort reads it).
use gort::sync::WaitGroup;
use gort_bench::{arg_n, ns_per, report};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Instant;

#[gort::main]
fn main() {
    let n = arg_n(1_000_000);
    let count = Arc::new(AtomicUsize::new(0));
    let wg = WaitGroup::new();
    let start = Instant::now();
    wg.add(n);
    for _ in 0..n {
        let (count, wg) = (count.clone(), wg.clone());
        gort::go!(move || {
            count.fetch_add(1, Relaxed);
            wg.done();
        });
    }
    wg.wait();
    let elapsed = start.elapsed();
    assert_eq!(count.load(Relaxed), n);
    report(
        "spawn",
        "gort",
        ns_per(elapsed, n),
        "ns/goroutine",
        gort::runtime::gomaxprocs(),
    );
}
