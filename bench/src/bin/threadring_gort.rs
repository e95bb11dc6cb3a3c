//! threadring / gort: the benchmarks game's thread-ring. 503 goroutines in a
//! ring, each linked to the next by an unbuffered channel; a token starting
//! at N is passed around, each goroutine decrementing it, until it reaches
//! 0. Reports ns per hop (N hops). Ps: `GOMAXPROCS`.
use gort_bench::{arg_n, ns_per, report};
use std::time::Instant;

const RING: usize = 503;

#[gort::main]
fn main() {
    let n = arg_n(10_000_000);
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..RING).map(|_| gort::chan::<usize>(0)).unzip();
    let (done_tx, done_rx) = gort::chan::<usize>(0);
    for (i, rx) in rxs.into_iter().enumerate() {
        let out = txs[(i + 1) % RING].clone();
        let done = done_tx.clone();
        gort::go!(move || {
            for t in rx.iter() {
                if t == 0 {
                    done.send(i + 1).unwrap();
                    return;
                }
                out.send(t - 1).unwrap();
            }
        });
    }
    let start = Instant::now();
    txs[0].send(n).unwrap();
    let winner = done_rx.recv().unwrap();
    let elapsed = start.elapsed();
    assert_eq!(winner, n % RING + 1);
    report(
        "threadring",
        "gort",
        ns_per(elapsed, n),
        "ns/hop",
        gort::runtime::gomaxprocs(),
    );
    // The other goroutines stay blocked; main returning ends the process.
}
