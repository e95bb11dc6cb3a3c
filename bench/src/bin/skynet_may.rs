//! skynet / may: atemerev/skynet's shape with coroutines and `may::sync::mpsc`
//! (unbounded: may has no bounded channel). N = 1,000,000 leaves. Expected to
//! fail: each may stack is its own mmap + guard page (2 VMAs), so it runs out
//! at vm.max_map_count (65530) with ~32k live coroutines. Workers: GOMAXPROCS.
//! Reports wall ms and `skynet.rss` (VmHWM).
use gort_bench::{arg_n, max_rss_bytes, procs, report};
use may::sync::mpsc::{channel, Sender};
use std::time::Instant;

fn skynet(c: Sender<usize>, num: usize, size: usize, div: usize) {
    if size == 1 {
        c.send(num).unwrap();
        return;
    }
    let (tx, rx) = channel::<usize>();
    for i in 0..div {
        let sub_num = num + i * (size / div);
        let tx = tx.clone();
        may::go!(move || skynet(tx, sub_num, size / div, div));
    }
    let mut sum = 0;
    for _ in 0..div {
        sum += rx.recv().unwrap();
    }
    c.send(sum).unwrap();
}

fn main() {
    gort_bench::exit_on_panic();
    let n = arg_n(1_000_000);
    let procs = procs();
    may::config().set_workers(procs);
    let elapsed = may::go!(move || {
        let (tx, rx) = channel::<usize>();
        let start = Instant::now();
        may::go!(move || skynet(tx, 0, n, 10));
        let result = rx.recv().unwrap();
        let elapsed = start.elapsed();
        assert_eq!(result, n * (n - 1) / 2);
        elapsed
    })
    .join()
    .unwrap();
    report("skynet", "may", elapsed.as_secs_f64() * 1e3, "ms", procs);
    report(
        "skynet.rss",
        "may",
        max_rss_bytes() as f64 / 1048576.0,
        "MiB",
        procs,
    );
}
