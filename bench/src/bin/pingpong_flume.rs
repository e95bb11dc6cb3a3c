//! pingpong / flume: ping-pong between two OS threads over flume `bounded(0)`
//! (rendezvous) each way, the reference for blocking hand-offs between threads.
//! The process is pinned to `GOMAXPROCS` CPUs. A blocked thread costs a futex
//! sleep/wake (~20 µs on the project's VM), so this runs at most THREAD_N
//! round trips (the N it ran is printed as `n=`). Reports ns per round trip.
use gort_bench::{arg_n, ns_per, pin_to_procs, procs, report_with};
use std::time::Instant;

const THREAD_N: usize = 30_000;

fn main() {
    gort_bench::exit_on_panic();
    let n = arg_n(1_000_000).min(THREAD_N);
    let procs = procs();
    pin_to_procs(procs);
    let (ping_tx, ping_rx) = flume::bounded::<usize>(0);
    let (pong_tx, pong_rx) = flume::bounded::<usize>(0);
    let echo = std::thread::spawn(move || {
        for v in ping_rx.iter() {
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
    report_with(
        "pingpong",
        "flume",
        ns_per(elapsed, n),
        "ns/roundtrip",
        procs,
        &format!("n={n}"),
    );
}
