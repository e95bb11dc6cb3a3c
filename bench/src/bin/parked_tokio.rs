//! parked / tokio: memory per parked task. After a warm-up (1,000 tasks parked
//! and released), read RSS (/proc/self/statm), spawn N tasks that each bump a
//! counter and then wait on a shared `watch` channel, wait until all have
//! started (+100 ms to settle), read RSS again, then release them and wait
//! for all to exit. Reports (RSS after - RSS before) / N in bytes.
//! Runtime: multi-thread, GOMAXPROCS workers (`current_thread` for 1).
use gort_bench::{arg_n, procs, report, rss_bytes};
use std::sync::atomic::{AtomicUsize, Ordering::*};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Notify};

async fn park(n: usize) -> (usize, usize) {
    let (gate_tx, gate) = watch::channel(false);
    let started = Arc::new(AtomicUsize::new(0));
    let all_started = Arc::new(Notify::new());
    let before = rss_bytes();
    let mut tasks = Vec::with_capacity(n);
    for _ in 0..n {
        let (mut gate, started, all_started) = (gate.clone(), started.clone(), all_started.clone());
        tasks.push(tokio::spawn(async move {
            if started.fetch_add(1, AcqRel) + 1 == n {
                all_started.notify_one();
            }
            let _ = gate.wait_for(|open| *open).await;
        }));
    }
    all_started.notified().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let after = rss_bytes();
    gate_tx.send(true).unwrap();
    for t in tasks {
        t.await.unwrap();
    }
    (before, after)
}

fn main() {
    gort_bench::exit_on_panic();
    let n = arg_n(100_000);
    let procs = procs();
    let rt = if procs == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(procs)
            .enable_time()
            .build()
    }
    .unwrap();
    let (before, after) = rt.block_on(async move {
        tokio::spawn(async move {
            park(1000).await; // warm-up
            park(n).await
        })
        .await
        .unwrap()
    });
    let per = (after as f64 - before as f64) / n as f64;
    report("parked", "tokio", per, "B/goroutine", procs);
}
