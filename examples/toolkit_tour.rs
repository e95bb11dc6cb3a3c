// Scoped goroutines that borrow (the book's "Goroutines" chapter), and
// x/sync's `ErrGroup` with a context and weighted `Semaphore` (its
// "ErrGroup and Semaphore" chapter): each listing in a function that `main`
// runs, prints and checks.
//
// Run it: cargo run --example toolkit_tour

use gort::context::{self, Context};
use gort::sync::{ErrGroup, Semaphore, WaitGroup};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

/// A slow operation that gives up when its context does, Go-style.
fn slow_lookup(ctx: &Context, key: &str) -> Result<String, context::Error> {
    gort::select! {
        <-gort::time::after(Duration::from_millis(200)) => Ok(format!("value of {key}")),
        <-ctx.done() => Err(ctx.err().expect("done means cancelled")),
    }
}

/// `gort::scope`: goroutines borrow the caller's data — no `Arc`, no clone.
fn scoped() -> Vec<u64> {
    // ANCHOR: scope
    let inputs = [3u64, 4, 5];
    let mut squares = vec![0u64; inputs.len()];
    // `scope` returns once every goroutine started in it has finished.
    gort::scope(|s| {
        for (x, out) in inputs.iter().zip(squares.iter_mut()) {
            s.go(move || *out = x * x);
        }
    });
    // ANCHOR_END: scope
    squares
}

/// `ErrGroup::with_context`: the first failure cancels the others' context.
fn errgroup() -> (Result<(), String>, usize) {
    // ANCHOR: errgroup
    let (group, ctx) = ErrGroup::with_context(&context::background());
    let gave_up = Arc::new(AtomicUsize::new(0));
    for key in ["a", "b", "bad", "c"] {
        let (ctx, gave_up) = (ctx.clone(), gave_up.clone());
        group.go(move || {
            if key == "bad" {
                return Err(format!("cannot fetch {key}"));
            }
            if slow_lookup(&ctx, key).is_err() {
                gave_up.fetch_add(1, SeqCst); // stopped early: no wasted work
            }
            Ok(())
        });
    }
    // Waits for all four; returns the first error.
    let result = group.wait();
    // ANCHOR_END: errgroup
    (result, gave_up.load(SeqCst))
}

/// A weighted `Semaphore` bounds how much runs at once.
fn bounded() -> usize {
    // ANCHOR: semaphore
    let sem = Arc::new(Semaphore::new(2)); // at most two downloads at a time
    let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let wg = WaitGroup::new();
    for _ in 0..8 {
        let (sem, running, most) = (sem.clone(), running.clone(), most.clone());
        wg.go(move || {
            sem.acquire(1);
            most.fetch_max(running.fetch_add(1, SeqCst) + 1, SeqCst);
            gort::time::sleep(Duration::from_millis(2));
            running.fetch_sub(1, SeqCst);
            sem.release(1);
        });
    }
    wg.wait();
    // ANCHOR_END: semaphore
    most.load(SeqCst)
}

fn main() {
    let squares = scoped();
    println!("scoped goroutines filled a borrowed Vec: {squares:?}");
    assert_eq!(squares, [9, 16, 25]);
    let (result, gave_up) = errgroup();
    println!("errgroup: {result:?}; the other {gave_up} lookups stopped early");
    assert_eq!(result, Err("cannot fetch bad".to_string()));
    assert_eq!(
        gave_up, 3,
        "the other lookups stopped when the group failed"
    );
    let most = bounded();
    println!(
        "semaphore: 8 downloads, never more than 2 at once: {}",
        most <= 2
    );
    assert!(most <= 2);
}
