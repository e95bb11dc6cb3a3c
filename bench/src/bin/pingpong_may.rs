//! pingpong / may: ping-pong between two coroutines over `may::sync::mpsc`
//! (unbounded: may has no bounded channel; with one message in flight per
//! direction that does not change the shape). N round trips.
//! Workers: `GOMAXPROCS`.
use gort_bench::{arg_n, ns_per, procs, report};
use may::sync::mpsc;
use std::time::Instant;

fn main() {
    gort_bench::exit_on_panic();
    let n = arg_n(1_000_000);
    let procs = procs();
    may::config().set_workers(procs);
    let elapsed = may::go!(move || {
        let (ping_tx, ping_rx) = mpsc::channel::<usize>();
        let (pong_tx, pong_rx) = mpsc::channel::<usize>();
        let echo = may::go!(move || {
            while let Ok(v) = ping_rx.recv() {
                pong_tx.send(v + 1).unwrap();
            }
        });
        let start = Instant::now();
        let mut sum = 0;
        for i in 0..n {
            ping_tx.send(i).unwrap();
            sum += pong_rx.recv().unwrap();
        }
        let elapsed = start.elapsed();
        drop(ping_tx);
        echo.join().unwrap();
        assert_eq!(sum, n * (n - 1) / 2 + n);
        elapsed
    })
    .join()
    .unwrap();
    report("pingpong", "may", ns_per(elapsed, n), "ns/roundtrip", procs);
}
