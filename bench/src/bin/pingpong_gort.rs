//! pingpong / gort: unbuffered (`chan(0)`) ping-pong between two goroutines.
//! main sends i on `ping`, an echo goroutine sends it back (+1) on `pong`;
//! N round trips. Reports ns per round trip. Ps: `GOMAXPROCS`.
use gort_bench::{arg_n, ns_per, report};
use std::time::Instant;

#[gort::main]
fn main() {
    let n = arg_n(1_000_000);
    let (ping_tx, ping_rx) = gort::chan::<usize>(0);
    let (pong_tx, pong_rx) = gort::chan::<usize>(0);
    gort::go!(move || {
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
    assert_eq!(sum, n * (n - 1) / 2 + n);
    report(
        "pingpong",
        "gort",
        ns_per(elapsed, n),
        "ns/roundtrip",
        gort::runtime::gomaxprocs(),
    );
}
