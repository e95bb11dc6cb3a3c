//! spawn / tokio: a task on a multi-thread runtime (`GOMAXPROCS` workers,
//! default 2) spawns N tasks that each bump a shared atomic and decrement a
//! "remaining" counter; the last one fires a `Notify` the spawner awaits
//! (tokio's cheapest WaitGroup). Reports ns per task.
use gort_bench::{arg_n, ns_per, procs, report};
use std::sync::atomic::{AtomicUsize, Ordering::*};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::Notify;

fn main() {
    gort_bench::exit_on_panic();
    let n = arg_n(1_000_000);
    let procs = procs();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(procs)
        .build()
        .unwrap();
    // Spawn from inside a worker (as Go's main goroutine does), not from block_on.
    let elapsed = rt.block_on(async move {
        tokio::spawn(async move {
            let count = Arc::new(AtomicUsize::new(0));
            let remaining = Arc::new(AtomicUsize::new(n));
            let done = Arc::new(Notify::new());
            let start = Instant::now();
            for _ in 0..n {
                let (count, remaining, done) = (count.clone(), remaining.clone(), done.clone());
                tokio::spawn(async move {
                    count.fetch_add(1, Relaxed);
                    if remaining.fetch_sub(1, AcqRel) == 1 {
                        done.notify_one(); // stores a permit if the waiter is not there yet
                    }
                });
            }
            done.notified().await;
            let elapsed = start.elapsed();
            assert_eq!(count.load(Relaxed), n);
            elapsed
        })
        .await
        .unwrap()
    });
    report("spawn", "tokio", ns_per(elapsed, n), "ns/goroutine", procs);
}
