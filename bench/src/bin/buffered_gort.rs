//! buffered / gort: P producers and C consumers on one `chan(1024)`; N
//! messages in total (each producer sends N/P). The channel closes when the
//! last producer's Sender drops; consumers iterate until then. run.sh runs
//! 1P1C and 4P4C (args: N P C). Reports ns per message. Ps: `GOMAXPROCS`.
use gort::sync::WaitGroup;
use gort_bench::{arg, ns_per, report};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Instant;

#[gort::main]
fn main() {
    let (n, p, c) = (arg(1, 5_000_000), arg(2, 1), arg(3, 1));
    let per = n / p;
    let n = per * p;
    let total = Arc::new(AtomicUsize::new(0));
    let cons = WaitGroup::new();
    let start = Instant::now();
    let (tx, rx) = gort::chan::<usize>(1024);
    for _ in 0..p {
        let tx = tx.clone();
        gort::go!(move || {
            for j in 0..per {
                tx.send(j).unwrap();
            }
        });
    }
    drop(tx);
    for _ in 0..c {
        let (rx, total) = (rx.clone(), total.clone());
        cons.go(move || {
            let mut sum = 0;
            for v in rx.iter() {
                sum += v;
            }
            total.fetch_add(sum, Relaxed);
        });
    }
    drop(rx);
    cons.wait();
    let elapsed = start.elapsed();
    assert_eq!(total.load(Relaxed), p * (per * (per - 1) / 2));
    report(
        "buffered",
        "gort",
        ns_per(elapsed, n),
        "ns/msg",
        gort::runtime::gomaxprocs(),
    );
}
