//! sleepers / gort: N goroutines (default 1,000,000) each sleep a
//! pseudo-random 0–1 s with `gort::time::sleep` (goroutine i sleeps
//! splitmix64(i) mod 1,000,000 µs, as in go/sleepers.go), main waits on a
//! `WaitGroup`. Measures the timer heap and mass parking: ideal wall ~1 s.
//! Reports wall ms and `sleepers.rss`: peak RSS (VmHWM, MiB). Ps: `GOMAXPROCS`.
use gort::sync::WaitGroup;
use gort_bench::{arg_n, max_rss_bytes, report, sleep_for};
use std::time::Instant;

fn sleeper(i: u64, wg: WaitGroup) {
    gort::time::sleep(sleep_for(i));
    wg.done();
}

#[gort::main]
fn main() {
    let n = arg_n(1_000_000);
    let wg = WaitGroup::new();
    let start = Instant::now();
    wg.add(n);
    for i in 0..n as u64 {
        gort::go!(sleeper(i, wg.clone()));
    }
    wg.wait();
    let elapsed = start.elapsed();
    let procs = gort::runtime::gomaxprocs();
    report("sleepers", "gort", elapsed.as_secs_f64() * 1e3, "ms", procs);
    report(
        "sleepers.rss",
        "gort",
        max_rss_bytes() as f64 / 1048576.0,
        "MiB",
        procs,
    );
}
