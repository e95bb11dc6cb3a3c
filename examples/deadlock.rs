// A deadlock, on purpose, to show the report gort prints: main holds a
// lock while it waits for workers that need that lock. Nothing can ever
// move again, so the runtime says so — Go's message, then where each
// goroutine is stuck — and exits with status 2.
//
// Run it: cargo run --example deadlock

// ANCHOR: all
use gort::sync::{Mutex, WaitGroup};
use std::sync::Arc;

#[gort::main]
fn main() {
    let total = Arc::new(Mutex::new(0));
    let wg = WaitGroup::new();
    let sum = total.lock(); // main takes the lock...
    for n in 1..=2 {
        wg.add(1);
        let (total, wg) = (total.clone(), wg.clone());
        gort::go!(move || {
            *total.lock() += n; // ...that each worker needs
            wg.done();
        });
    }
    wg.wait(); // and waits for the workers while still holding it
    println!("total: {}", *sum);
}
// ANCHOR_END: all
