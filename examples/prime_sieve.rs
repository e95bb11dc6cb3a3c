// Go's concurrent prime sieve: a daisy chain of filter goroutines over
// unbuffered channels. A generator sends 2, 3, 4, …; each prime found gets
// its own filter goroutine, which passes on only the numbers it does not
// divide. The first number to come out of the chain is always the next prime.
//
// Go's version leaves the whole chain blocked when main stops reading. In
// gort, dropping the last Receiver closes a channel, so when main lets go of
// the end of the chain, each goroutine's next send fails, it returns and
// drops its own Receiver, and the chain unwinds back to the generator. A
// WaitGroup shows that it does.
//
// Run it: cargo run --release --example prime_sieve
// (PRIMES=2000 prints more; the default is 100.)

use gort::sync::WaitGroup;

// ANCHOR: sieve
use gort::{Receiver, Sender};

/// Send 2, 3, 4, … to `ch` until nobody is listening.
fn generate(ch: Sender<u64>, wg: WaitGroup) {
    for i in 2.. {
        if ch.send(i).is_err() {
            break; // the receiver is gone: stop
        }
    }
    wg.done();
}

/// Copy the numbers from `input` to `output`, dropping those `prime` divides.
fn filter(input: Receiver<u64>, output: Sender<u64>, prime: u64, wg: WaitGroup) {
    for i in input {
        if i % prime != 0 && output.send(i).is_err() {
            break;
        }
    }
    wg.done();
}

/// The first `n` primes.
fn primes(n: usize, wg: &WaitGroup) -> Vec<u64> {
    let (tx, mut ch) = gort::chan(0);
    wg.add(1);
    gort::go!(generate(tx, wg.clone()));
    let mut found = Vec::with_capacity(n);
    for _ in 0..n {
        let prime = ch.recv().unwrap();
        found.push(prime);
        let (tx1, ch1) = gort::chan(0);
        wg.add(1);
        gort::go!(filter(ch, tx1, prime, wg.clone()));
        ch = ch1;
    }
    found // `ch`, the end of the chain, is dropped here: the chain unwinds
}
// ANCHOR_END: sieve

/// The same primes, the boring way.
fn primes_by_trial_division(n: usize) -> Vec<u64> {
    let mut found: Vec<u64> = Vec::with_capacity(n);
    let mut candidate = 2;
    while found.len() < n {
        if found.iter().all(|p| candidate % p != 0) {
            found.push(candidate);
        }
        candidate += 1;
    }
    found
}

#[gort::main]
fn main() {
    let n = std::env::var("PRIMES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let wg = WaitGroup::new();
    let found = primes(n, &wg);
    for row in found.chunks(10) {
        let row: Vec<String> = row.iter().map(|p| format!("{p:5}")).collect();
        println!("{}", row.join(""));
    }
    assert_eq!(found, primes_by_trial_division(n));
    wg.wait(); // every filter and the generator have returned
    println!(
        "the first {n} primes, checked; all {} goroutines of the chain have exited",
        n + 1
    );
}
