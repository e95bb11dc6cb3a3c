//! skynet / gort: atemerev/skynet's go/skynet.go — every goroutine with
//! size > 1 makes an unbuffered `chan(0)`, spawns 10 children, sums their 10
//! answers and sends the sum up; a leaf sends its number. N = 1,000,000
//! leaves (1,111,111 goroutines). Reports wall ms, and `skynet.rss`: the peak
//! RSS (VmHWM, MiB) of the whole process. Ps: `GOMAXPROCS`.
use gort::Sender;
use gort_bench::{arg_n, max_rss_bytes, report};
use std::time::Instant;

fn skynet(c: Sender<usize>, num: usize, size: usize, div: usize) {
    if size == 1 {
        c.send(num).unwrap();
        return;
    }
    let (tx, rx) = gort::chan::<usize>(0);
    for i in 0..div {
        let sub_num = num + i * (size / div);
        gort::go!(skynet(tx.clone(), sub_num, size / div, div));
    }
    let mut sum = 0;
    for _ in 0..div {
        sum += rx.recv().unwrap();
    }
    c.send(sum).unwrap();
}

#[gort::main]
fn main() {
    let n = arg_n(1_000_000);
    let (tx, rx) = gort::chan::<usize>(0);
    let start = Instant::now();
    gort::go!(skynet(tx, 0, n, 10));
    let result = rx.recv().unwrap();
    let elapsed = start.elapsed();
    assert_eq!(result, n * (n - 1) / 2);
    let procs = gort::runtime::gomaxprocs();
    report("skynet", "gort", elapsed.as_secs_f64() * 1e3, "ms", procs);
    report(
        "skynet.rss",
        "gort",
        max_rss_bytes() as f64 / 1048576.0,
        "MiB",
        procs,
    );
}
