//! select2 / gort: one goroutine `select!`s over two unbuffered channels, each
//! fed by its own producer goroutine (N/2 values each); N selects in total.
//! Reports ns per select. Ps: `GOMAXPROCS`.
use gort_bench::{arg_n, ns_per, report};
use std::time::Instant;

#[gort::main]
fn main() {
    let half = arg_n(2_000_000) / 2;
    let n = 2 * half;
    let (a_tx, a) = gort::chan::<usize>(0);
    let (b_tx, b) = gort::chan::<usize>(0);
    let start = Instant::now();
    // The senders stay alive in main: a producer's drop would close its
    // channel, and a closed channel is always ready in a select (Go's
    // producers do not close theirs either).
    for tx in [a_tx.clone(), b_tx.clone()] {
        gort::go!(move || {
            for i in 0..half {
                tx.send(i).unwrap();
            }
        });
    }
    let (mut sum, mut na) = (0, 0);
    for _ in 0..n {
        gort::select! {
            v = <-a => { sum += v.unwrap(); na += 1; }
            v = <-b => { sum += v.unwrap(); }
        }
    }
    let elapsed = start.elapsed();
    assert_eq!((sum, na), (2 * (half * (half - 1) / 2), half));
    report(
        "select2",
        "gort",
        ns_per(elapsed, n),
        "ns/select",
        gort::runtime::gomaxprocs(),
    );
}
