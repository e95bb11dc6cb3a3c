//! buffered / tokio: 1 producer task and 1 consumer task on
//! `mpsc::channel(1024)`; N messages. tokio's mpsc has a single consumer, so
//! C > 1 (the 4P4C row) is skipped. Runtime: multi-thread, GOMAXPROCS workers
//! (`current_thread` for 1). Reports ns per message.
use gort_bench::{arg, ns_per, procs, report, tokio_rt};
use std::time::Instant;
use tokio::sync::mpsc;

fn main() {
    gort_bench::exit_on_panic();
    let (n, p, c) = (arg(1, 5_000_000), arg(2, 1), arg(3, 1));
    if c != 1 {
        gort_bench::skip("tokio mpsc has a single consumer");
    }
    let per = n / p;
    let n = per * p;
    let procs = procs();
    let rt = tokio_rt(procs);
    let elapsed = rt.block_on(async move {
        tokio::spawn(async move {
            let start = Instant::now();
            let (tx, mut rx) = mpsc::channel::<usize>(1024);
            for _ in 0..p {
                let tx = tx.clone();
                tokio::spawn(async move {
                    for j in 0..per {
                        tx.send(j).await.unwrap();
                    }
                });
            }
            drop(tx);
            let consumer = tokio::spawn(async move {
                let mut sum = 0;
                while let Some(v) = rx.recv().await {
                    sum += v;
                }
                sum
            });
            let sum = consumer.await.unwrap();
            let elapsed = start.elapsed();
            assert_eq!(sum, p * (per * (per - 1) / 2));
            elapsed
        })
        .await
        .unwrap()
    });
    report("buffered", "tokio", ns_per(elapsed, n), "ns/msg", procs);
}
