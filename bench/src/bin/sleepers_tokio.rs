//! sleepers / tokio: N tasks (default 1,000,000) each `tokio::time::sleep` a
//! pseudo-random 0–1 s (task i sleeps splitmix64(i) mod 1,000,000 µs, as in
//! go/sleepers.go), spawned from a worker task; a "remaining" counter + a
//! `Notify` wakes the spawner when the last one ends. Multi-thread runtime,
//! GOMAXPROCS workers. Reports wall ms and `sleepers.rss` (VmHWM, MiB).
use gort_bench::{arg_n, max_rss_bytes, procs, report, sleep_for};
use std::sync::atomic::{AtomicUsize, Ordering::AcqRel};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::Notify;

fn main() {
    gort_bench::exit_on_panic();
    let n = arg_n(1_000_000);
    let procs = procs();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(procs)
        .enable_time()
        .build()
        .unwrap();
    let elapsed = rt.block_on(async move {
        tokio::spawn(async move {
            let remaining = Arc::new(AtomicUsize::new(n));
            let done = Arc::new(Notify::new());
            let start = Instant::now();
            for i in 0..n as u64 {
                let (remaining, done) = (remaining.clone(), done.clone());
                tokio::spawn(async move {
                    tokio::time::sleep(sleep_for(i)).await;
                    if remaining.fetch_sub(1, AcqRel) == 1 {
                        done.notify_one();
                    }
                });
            }
            done.notified().await;
            start.elapsed()
        })
        .await
        .unwrap()
    });
    report(
        "sleepers",
        "tokio",
        elapsed.as_secs_f64() * 1e3,
        "ms",
        procs,
    );
    report(
        "sleepers.rss",
        "tokio",
        max_rss_bytes() as f64 / 1048576.0,
        "MiB",
        procs,
    );
}
