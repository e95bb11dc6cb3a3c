//! buffered / cb: P producer and C consumer OS threads on one
//! crossbeam-channel `bounded(1024)`; N messages in total (each producer sends N/P); the
//! channel disconnects when the last Sender drops. Args: N P C. The process is
//! pinned to `GOMAXPROCS` CPUs. Reports ns per message.
use gort_bench::{arg, ns_per, pin_to_procs, procs, report_with};
use std::time::Instant;

fn main() {
    gort_bench::exit_on_panic();
    let (n, p, c) = (arg(1, 5_000_000), arg(2, 1), arg(3, 1));
    let per = n / p;
    let n = per * p;
    let procs = procs();
    pin_to_procs(procs);
    let start = Instant::now();
    let (tx, rx) = crossbeam_channel::bounded::<usize>(1024);
    let producers: Vec<_> = (0..p)
        .map(|_| {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for j in 0..per {
                    tx.send(j).unwrap();
                }
            })
        })
        .collect();
    drop(tx);
    let consumers: Vec<_> = (0..c)
        .map(|_| {
            let rx = rx.clone();
            std::thread::spawn(move || rx.iter().sum::<usize>())
        })
        .collect();
    drop(rx);
    let sum: usize = consumers.into_iter().map(|t| t.join().unwrap()).sum();
    let elapsed = start.elapsed();
    for t in producers {
        t.join().unwrap();
    }
    assert_eq!(sum, p * (per * (per - 1) / 2));
    report_with(
        "buffered",
        "cb",
        ns_per(elapsed, n),
        "ns/msg",
        procs,
        &format!("n={n}"),
    );
}
