//! select2 / tokio: one task `tokio::select!`s over two `mpsc::channel(1)`
//! receivers (tokio has no unbuffered channel), each fed by its own producer
//! task (N/2 values each); N selects in total. Runtime: multi-thread with
//! GOMAXPROCS workers (`current_thread` for 1). Reports ns per select.
use gort_bench::{arg_n, ns_per, procs, report, tokio_rt};
use std::time::Instant;
use tokio::sync::mpsc;

fn main() {
    gort_bench::exit_on_panic();
    let half = arg_n(2_000_000) / 2;
    let n = 2 * half;
    let procs = procs();
    let rt = tokio_rt(procs);
    let elapsed = rt.block_on(async move {
        tokio::spawn(async move {
            let (a_tx, mut a) = mpsc::channel::<usize>(1);
            let (b_tx, mut b) = mpsc::channel::<usize>(1);
            let start = Instant::now();
            // The senders stay alive in main: a producer's drop would close its
            // channel, and a closed channel is always ready in a select (Go's
            // producers do not close theirs either).
            for tx in [a_tx.clone(), b_tx.clone()] {
                tokio::spawn(async move {
                    for i in 0..half {
                        tx.send(i).await.unwrap();
                    }
                });
            }
            let (mut sum, mut na) = (0, 0);
            for _ in 0..n {
                tokio::select! {
                    Some(v) = a.recv() => { sum += v; na += 1; }
                    Some(v) = b.recv() => { sum += v; }
                }
            }
            let elapsed = start.elapsed();
            assert_eq!((sum, na), (2 * (half * (half - 1) / 2), half));
            elapsed
        })
        .await
        .unwrap()
    });
    report("select2", "tokio", ns_per(elapsed, n), "ns/select", procs);
}
