// Producers and consumers over a channel: 1:1, N:1 and N:M.
//
// Every producer sends numbered messages; every consumer ranges over the
// channel (Go's `for v := range ch`) until it is closed and drained. The
// program checks that each message arrived exactly once, whatever the mix.
//
// It shows the two ways a channel closes:
// * explicitly, with `tx.close()` — Go's `close(ch)`;
// * by itself, when the last `Sender` is dropped — so N producers need no
//   WaitGroup-and-closer goroutine: each one drops its clone when it is done.
//
// Run it: cargo run --release --example producer_consumer
// (MESSAGES=1000000 sends more; the default is small so the test is quick.)

use gort::{Receiver, Sender};
use std::time::Instant;

// ANCHOR: one_to_one
/// 1:1 — one producer, one consumer, unbuffered: every send waits for the
/// matching receive, as in Go.
fn one_to_one(n: u64) -> Vec<u64> {
    let (tx, rx) = gort::chan::<u64>(0);
    gort::go!(move || {
        for i in 0..n {
            tx.send(i).unwrap(); // Err only if the channel were closed
        }
        tx.close(); // Go's close(ch): the consumer's loop ends after the last value
    });
    rx.iter().collect() // Go's `for v := range ch { … }`
}
// ANCHOR_END: one_to_one

// ANCHOR: many
/// Producer `id` sends `n` messages, numbered so that each is unique.
/// Dropping `tx` at the end is how it says "I'm done".
fn produce(id: u64, n: u64, tx: Sender<u64>) {
    for i in 0..n {
        tx.send(id * n + i).unwrap();
    }
}

/// A consumer takes messages until the channel is closed and drained, and
/// returns what it got.
fn consume(rx: Receiver<u64>) -> Vec<u64> {
    rx.into_iter().collect()
}

/// N:M — `producers` goroutines send into one buffered channel, `consumers`
/// goroutines receive from it. Each value goes to exactly one receiver.
fn many_to_many(producers: u64, consumers: usize, n: u64, cap: usize) -> Vec<Vec<u64>> {
    let (tx, rx) = gort::chan::<u64>(cap);
    for id in 0..producers {
        gort::go!(produce(id, n, tx.clone())); // each producer owns a Sender
    }
    drop(tx); // main's own Sender: now the producers hold the only ones

    let handles: Vec<_> = (0..consumers)
        .map(|_| {
            let rx = rx.clone();
            gort::spawn(move || consume(rx)) // spawn keeps the result
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}
// ANCHOR_END: many

/// Every number in `0..total` exactly once?
fn check_exactly_once(mut got: Vec<u64>, total: u64) {
    got.sort_unstable();
    assert_eq!(got.len() as u64, total, "lost or duplicated messages");
    assert!(got.iter().copied().eq(0..total), "wrong messages");
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

// ANCHOR: capacity
/// 1:1 throughput for one capacity: nanoseconds per message.
fn ns_per_message(cap: usize, n: u64) -> f64 {
    let (tx, rx) = gort::chan::<u64>(cap);
    let start = Instant::now();
    gort::go!(move || {
        for i in 0..n {
            tx.send(i).unwrap();
        }
    });
    let sum: u64 = rx.iter().sum();
    assert_eq!(sum, n * (n - 1) / 2);
    start.elapsed().as_nanos() as f64 / n as f64
}
// ANCHOR_END: capacity

#[gort::main]
fn main() {
    let total = env_or("MESSAGES", 20_000);

    // ANCHOR: capacity_table
    println!("capacity   ns per message (1 producer, 1 consumer)");
    for cap in [0, 1, 64, 1024] {
        println!("{cap:>8}   {:>6.1}", ns_per_message(cap, total));
    }
    // ANCHOR_END: capacity_table

    let start = Instant::now();
    let got = one_to_one(total);
    // One producer, one consumer: the order is kept, too.
    assert!(got.iter().copied().eq(0..total));
    println!(
        "1:1  {total} messages, in order, in {:.1} ms",
        start.elapsed().as_secs_f64() * 1e3
    );

    for (producers, consumers, cap) in [(4, 1, 0), (4, 3, 16), (8, 8, 128)] {
        let start = Instant::now();
        let per_consumer = many_to_many(producers, consumers, total / producers, cap);
        // Which consumer gets a message is up to the scheduler: in a short
        // run, one that is already running may take nearly all of them (as
        // in Go); with MESSAGES=1000000 the counts even out.
        let counts: Vec<usize> = per_consumer.iter().map(Vec::len).collect();
        let received = per_consumer.concat();
        check_exactly_once(received, total / producers * producers);
        println!(
            "{producers}:{consumers}  cap {cap:3}: each message exactly once; per consumer {counts:?}; {:.1} ms",
            start.elapsed().as_secs_f64() * 1e3
        );
    }
}
