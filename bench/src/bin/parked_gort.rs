//! parked / gort: memory per parked goroutine. After a warm-up (1,000
//! goroutines parked and released), read RSS (/proc/self/statm), spawn N
//! goroutines that each signal a WaitGroup and then block receiving on a
//! shared unbuffered channel, wait until all have signalled (+100 ms to
//! settle), read RSS again, then close the channel and wait for all to exit.
//! Reports (RSS after - RSS before) / N in bytes. Ps: `GOMAXPROCS`.
use gort::sync::WaitGroup;
use gort_bench::{arg_n, report, rss_bytes};
use std::time::Duration;

fn park(n: usize) -> (usize, usize) {
    let (gate_tx, gate) = gort::chan::<()>(0);
    let (started, done) = (WaitGroup::new(), WaitGroup::new());
    let before = rss_bytes();
    started.add(n);
    for _ in 0..n {
        let (gate, started) = (gate.clone(), started.clone());
        done.go(move || {
            started.done();
            let _ = gate.recv();
        });
    }
    started.wait();
    gort::time::sleep(Duration::from_millis(100));
    let after = rss_bytes();
    gate_tx.close();
    done.wait();
    (before, after)
}

#[gort::main]
fn main() {
    let n = arg_n(100_000);
    park(1000); // warm-up
    let (before, after) = park(n);
    let per = (after as f64 - before as f64) / n as f64;
    report(
        "parked",
        "gort",
        per,
        "B/goroutine",
        gort::runtime::gomaxprocs(),
    );
}
