//! threadring / tokio: the benchmarks game's thread-ring with 503 tasks
//! linked by `mpsc::channel(1)` (tokio has no unbuffered channel; one token
//! in flight, so the capacity does not change the shape). Reports ns per
//! hop (N hops). Runtime: `current_thread` for GOMAXPROCS=1, else
//! multi-thread with GOMAXPROCS workers.
use gort_bench::{arg_n, ns_per, procs, report, tokio_rt};
use std::time::Instant;
use tokio::sync::mpsc;

const RING: usize = 503;

fn main() {
    gort_bench::exit_on_panic();
    let n = arg_n(10_000_000);
    let procs = procs();
    let rt = tokio_rt(procs);
    let (elapsed, winner) = rt.block_on(async move {
        tokio::spawn(async move {
            let (txs, rxs): (Vec<_>, Vec<_>) = (0..RING).map(|_| mpsc::channel::<usize>(1)).unzip();
            let (done_tx, mut done_rx) = mpsc::channel::<usize>(1);
            for (i, mut rx) in rxs.into_iter().enumerate() {
                let out = txs[(i + 1) % RING].clone();
                let done = done_tx.clone();
                tokio::spawn(async move {
                    while let Some(t) = rx.recv().await {
                        if t == 0 {
                            done.send(i + 1).await.unwrap();
                            return;
                        }
                        out.send(t - 1).await.unwrap();
                    }
                });
            }
            let start = Instant::now();
            txs[0].send(n).await.unwrap();
            let winner = done_rx.recv().await.unwrap();
            (start.elapsed(), winner)
        })
        .await
        .unwrap()
    });
    assert_eq!(winner, n % RING + 1);
    report("threadring", "tokio", ns_per(elapsed, n), "ns/hop", procs);
    std::process::exit(0); // the other tasks stay blocked
}
