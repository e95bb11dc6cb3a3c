// Go's concurrency toolkit beyond goroutines and channels, as gort spells
// it — each listing in a function that `main` runs and then checks:
// `context` (timeouts, cancellation down a tree, values), scoped
// goroutines that borrow, `ErrGroup` with a context, a weighted
// `Semaphore`, the channel rules that bite (a channel closes when its last
// `Sender` drops, and a closed channel is always ready in `select!`) and a
// ticker stopped from its own select loop. The book's "Beyond channels"
// chapter (book/src/toolkit.md) includes these listings.
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

/// `with_timeout`: the lookup takes 200 ms, the caller allows 20.
fn timeout() -> Result<String, context::Error> {
    // ANCHOR: timeout
    let (ctx, cancel) = context::with_timeout(&context::background(), Duration::from_millis(20));
    let result = slow_lookup(&ctx, "user:42");
    // Release the timer now (Go: `defer cancel()`).
    cancel.cancel();
    // ANCHOR_END: timeout
    result
}

/// Cancelling a parent reaches every descendant, however deep, and their
/// goroutines; values travel down the same tree, found by type.
fn cancel_tree() -> usize {
    #[derive(Debug)]
    struct RequestId(u32);
    // ANCHOR: tree
    let (request, cancel_request) = context::with_cancel(&context::background());
    let request = context::with_value(&request, RequestId(7));
    let stopped = Arc::new(AtomicUsize::new(0));
    let wg = WaitGroup::new();
    for part in 0..3 {
        let (sub, _cancel_sub) = context::with_cancel(&request);
        let stopped = stopped.clone();
        wg.go(move || {
            let id = sub.value::<RequestId>().expect("set by the request");
            let _ = sub.done().recv(); // wait for cancellation
            println!("part {part} of request {} stopped: {:?}", id.0, sub.err());
            stopped.fetch_add(1, SeqCst);
        });
    }
    cancel_request.cancel();
    wg.wait();
    // ANCHOR_END: tree
    stopped.load(SeqCst)
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

/// The channel rules that surprise Go programmers.
fn closing() -> Vec<u32> {
    // ANCHOR: closing
    let (_, rx) = gort::chan::<u32>(0); // the only Sender is dropped at once...
    assert!(rx.recv().is_err()); // ...so the channel is closed: no blocking

    let (tx, rx) = gort::chan::<u32>(4);
    gort::go!(move || {
        for v in [1, 2, 3] {
            tx.send(v).unwrap();
        }
    }); // the goroutine ends, tx drops: closed once drained
    let mut rx = Some(rx);
    let mut got = Vec::new();
    loop {
        gort::select! {
            v = <-rx.as_ref() => match v {
                Ok(v) => got.push(v),
                Err(_) => rx = None, // closed: always ready, so switch the arm off
            },
            <-gort::time::after(Duration::from_millis(30)) => break,
        }
    }
    // ANCHOR_END: closing
    got
}

/// A ticker stopped by the very goroutine that selects on it.
fn ticker_loop() -> u32 {
    let (quit_tx, quit) = gort::chan::<()>(0);
    gort::go!(move || {
        gort::time::sleep(Duration::from_millis(25));
        quit_tx.send(()).unwrap();
    });
    let mut refreshed = 0;
    // ANCHOR: ticker
    let ticker = gort::time::Ticker::new(Duration::from_millis(5));
    loop {
        gort::select! {
            <-&ticker => refreshed += 1,
            <-&quit => {
                ticker.stop();
                break;
            }
        }
    }
    // ANCHOR_END: ticker
    refreshed
}

#[gort::main]
fn main() {
    assert_eq!(timeout(), Err(context::Error::DeadlineExceeded));
    assert_eq!(cancel_tree(), 3);
    assert_eq!(scoped(), [9, 16, 25]);
    let (result, gave_up) = errgroup();
    assert_eq!(result, Err("cannot fetch bad".to_string()));
    assert_eq!(
        gave_up, 3,
        "the other lookups stopped when the group failed"
    );
    assert!(bounded() <= 2);
    assert_eq!(closing(), [1, 2, 3]);
    assert!(ticker_loop() >= 1, "the ticker never ticked");
    println!("toolkit tour: all checks passed");
}
