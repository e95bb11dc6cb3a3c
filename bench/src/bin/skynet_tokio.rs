//! skynet / tokio: atemerev/skynet's shape with tasks — every task with
//! size > 1 makes an `mpsc::channel(1)` (tokio has no unbuffered channel),
//! spawns 10 children, sums their 10 answers and sends the sum up. N =
//! 1,000,000 leaves (1,111,111 tasks). Runtime: multi-thread, GOMAXPROCS
//! workers (`current_thread` for 1). Reports wall ms and `skynet.rss` (VmHWM).
use gort_bench::{arg_n, max_rss_bytes, procs, report, tokio_rt};
use std::future::Future;
use std::pin::Pin;
use std::time::Instant;
use tokio::sync::mpsc::{channel, Sender};

fn skynet(
    c: Sender<usize>,
    num: usize,
    size: usize,
    div: usize,
) -> Pin<Box<dyn Future<Output = ()> + Send>> {
    Box::pin(async move {
        if size == 1 {
            c.send(num).await.unwrap();
            return;
        }
        let (tx, mut rx) = channel::<usize>(1);
        for i in 0..div {
            let sub_num = num + i * (size / div);
            tokio::spawn(skynet(tx.clone(), sub_num, size / div, div));
        }
        let mut sum = 0;
        for _ in 0..div {
            sum += rx.recv().await.unwrap();
        }
        c.send(sum).await.unwrap();
    })
}

fn main() {
    gort_bench::exit_on_panic();
    let n = arg_n(1_000_000);
    let procs = procs();
    let rt = tokio_rt(procs);
    let elapsed = rt.block_on(async move {
        tokio::spawn(async move {
            let (tx, mut rx) = channel::<usize>(1);
            let start = Instant::now();
            tokio::spawn(skynet(tx, 0, n, 10));
            let result = rx.recv().await.unwrap();
            let elapsed = start.elapsed();
            assert_eq!(result, n * (n - 1) / 2);
            elapsed
        })
        .await
        .unwrap()
    });
    report("skynet", "tokio", elapsed.as_secs_f64() * 1e3, "ms", procs);
    report(
        "skynet.rss",
        "tokio",
        max_rss_bytes() as f64 / 1048576.0,
        "MiB",
        procs,
    );
}
