//! select2 / cb: one OS thread runs crossbeam-channel's `select!` over two
//! `bounded(0)` channels, each fed by its own producer thread (N/2 values
//! each). The process is pinned to `GOMAXPROCS` CPUs. Blocking hand-offs
//! between threads cost a futex wake each (~20 µs on the project's VM), so
//! this runs at most THREAD_N selects (printed as `n=`). Reports ns per select.
use crossbeam_channel::{bounded, select};
use gort_bench::{arg_n, ns_per, pin_to_procs, procs, report_with};
use std::time::Instant;

const THREAD_N: usize = 200_000;

fn main() {
    gort_bench::exit_on_panic();
    let half = arg_n(2_000_000).min(THREAD_N) / 2;
    let n = 2 * half;
    let procs = procs();
    pin_to_procs(procs);
    let (a_tx, a) = bounded::<usize>(0);
    let (b_tx, b) = bounded::<usize>(0);
    let start = Instant::now();
    // The senders stay alive in main: a producer's drop would disconnect its
    // channel, and a disconnected channel is always ready in a select.
    let producers: Vec<_> = [a_tx.clone(), b_tx.clone()]
        .into_iter()
        .map(|tx| {
            std::thread::spawn(move || {
                for i in 0..half {
                    tx.send(i).unwrap();
                }
            })
        })
        .collect();
    let (mut sum, mut na) = (0, 0);
    for _ in 0..n {
        select! {
            recv(a) -> v => { sum += v.unwrap(); na += 1; }
            recv(b) -> v => { sum += v.unwrap(); }
        }
    }
    let elapsed = start.elapsed();
    for t in producers {
        t.join().unwrap();
    }
    assert_eq!((sum, na), (2 * (half * (half - 1) / 2), half));
    report_with(
        "select2",
        "cb",
        ns_per(elapsed, n),
        "ns/select",
        procs,
        &format!("n={n}"),
    );
}
