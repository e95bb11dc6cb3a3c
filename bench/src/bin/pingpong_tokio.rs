//! pingpong / tokio: ping-pong between two tasks over `mpsc::channel(1)` each
//! way (tokio has no unbuffered channel; with one message in flight per
//! direction the capacity does not change the shape). N round trips.
//! Runtime: `current_thread` for GOMAXPROCS=1, else multi-thread with
//! GOMAXPROCS workers; both tasks are spawned (neither runs in `block_on`).
use gort_bench::{arg_n, ns_per, procs, report, tokio_rt};
use std::time::Instant;
use tokio::sync::mpsc;

fn main() {
    gort_bench::exit_on_panic();
    let n = arg_n(1_000_000);
    let procs = procs();
    let rt = tokio_rt(procs);
    let elapsed = rt.block_on(async move {
        tokio::spawn(async move {
            let (ping_tx, mut ping_rx) = mpsc::channel::<usize>(1);
            let (pong_tx, mut pong_rx) = mpsc::channel::<usize>(1);
            tokio::spawn(async move {
                while let Some(v) = ping_rx.recv().await {
                    pong_tx.send(v + 1).await.unwrap();
                }
            });
            let start = Instant::now();
            let mut sum = 0;
            for i in 0..n {
                ping_tx.send(i).await.unwrap();
                sum += pong_rx.recv().await.unwrap();
            }
            let elapsed = start.elapsed();
            assert_eq!(sum, n * (n - 1) / 2 + n);
            elapsed
        })
        .await
        .unwrap()
    });
    report(
        "pingpong",
        "tokio",
        ns_per(elapsed, n),
        "ns/roundtrip",
        procs,
    );
}
