// Pipelines and cancellation, after the Go blog post of that name
// (go.dev/blog/pipelines): a generator feeds numbers to several squarers
// (fan-out); their results are merged into one channel (fan-in); the
// consumer adds them up.
//
// A squarer can fail (the square of a large u32 overflows). On the first
// error the consumer stops reading and closes a `done` channel; every stage
// waits on "send the next value" and "done is closed" at once, with
// `select!`, so each one returns instead of blocking forever on a send
// nobody will receive. The program checks that no goroutine is left behind:
// `num_goroutine()` comes back to where it was.
//
// Run it: cargo run --release --example pipeline
// (NUMBERS=65535 for a longer stream — the largest whose square fits a u32;
// the default is small.)

use std::time::{Duration, Instant};

// ANCHOR: send_or_done
use gort::{Receiver, Sender};

/// Send `v` on `out` unless `done` is closed first. `false` means: stop.
fn send_or_done<T: Send>(out: &Sender<T>, v: T, done: &Receiver<()>) -> bool {
    gort::select! {
        sent = out <- v => sent.is_ok(), // Err: no receiver is left
        <-done => false,                 // a closed channel is always ready
    }
}
// ANCHOR_END: send_or_done

// ANCHOR: stages
/// Stage 1: send `nums`, then close the output (by dropping `out`).
fn generate(done: Receiver<()>, nums: Vec<u32>) -> Receiver<u32> {
    let (out, rx) = gort::chan(0);
    gort::go!(move || {
        for n in nums {
            if !send_or_done(&out, n, &done) {
                return;
            }
        }
    });
    rx
}

/// Stage 2: square what comes in — or report that it can't.
fn sq(done: Receiver<()>, input: Receiver<u32>) -> Receiver<Result<u32, String>> {
    let (out, rx) = gort::chan(0);
    gort::go!(move || {
        for n in input {
            let square = n
                .checked_mul(n)
                .ok_or_else(|| format!("{n}² overflows u32"));
            if !send_or_done(&out, square, &done) {
                return;
            }
        }
    });
    rx
}

/// Fan-in: one goroutine per input forwards to a shared output. Each holds
/// a clone of `out`; when the last one returns, `out` is closed. (In Go,
/// merge needs a WaitGroup and one more goroutine to call `close(out)`.)
fn merge<T: Send + 'static>(done: Receiver<()>, inputs: Vec<Receiver<T>>) -> Receiver<T> {
    let (out, rx) = gort::chan(0);
    for input in inputs {
        let (out, done) = (out.clone(), done.clone());
        gort::go!(move || {
            for v in input {
                if !send_or_done(&out, v, &done) {
                    return;
                }
            }
        });
    }
    rx
}
// ANCHOR_END: stages

// ANCHOR: consumer
/// Sum the squares of `nums` with `workers` squarers; stop at the first error.
fn sum_of_squares(nums: Vec<u32>, workers: usize) -> Result<u64, String> {
    let (done_tx, done) = gort::chan::<()>(0); // never sent on: only closed

    let numbers = generate(done.clone(), nums);
    let squares = (0..workers)
        .map(|_| sq(done.clone(), numbers.clone()))
        .collect();
    let results = merge(done, squares);

    let mut sum = 0;
    for result in &results {
        match result {
            Ok(square) => sum += u64::from(square),
            Err(e) => {
                done_tx.close(); // Go's close(done): every stage stops
                return Err(e);
            }
        }
    }
    // Returning drops `done_tx`, which closes `done` too: a free
    // `defer close(done)`, whichever way the function ends.
    Ok(sum)
}
// ANCHOR_END: consumer

// ANCHOR: leak_check
/// Wait (a little) for the goroutine count to fall back to `baseline`.
fn no_goroutine_left(baseline: usize) {
    let start = Instant::now();
    while gort::runtime::num_goroutine() > baseline {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "leaked {} goroutines",
            gort::runtime::num_goroutine() - baseline
        );
        gort::time::sleep(Duration::from_millis(1));
    }
}
// ANCHOR_END: leak_check

#[gort::main]
fn main() {
    let count: u32 = std::env::var("NUMBERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000)
        .min(65_535); // 65536² would overflow: only the planted error may
    let baseline = gort::runtime::num_goroutine();

    // All good: 1² + 2² + … + count².
    let nums: Vec<u32> = (1..=count).collect();
    let sum = sum_of_squares(nums, 4).expect("no square overflows");
    let n = u64::from(count);
    assert_eq!(sum, n * (n + 1) * (2 * n + 1) / 6);
    println!("sum of squares of 1..={count}: {sum}");
    no_goroutine_left(baseline);

    // One bad number halfway: the first error cancels the whole pipeline.
    let mut nums: Vec<u32> = (1..=count).collect();
    nums.insert(nums.len() / 2, 70_000);
    let err = sum_of_squares(nums, 4).expect_err("70000² overflows");
    assert_eq!(err, "70000² overflows u32");
    println!("stopped at the first error: {err}");
    no_goroutine_left(baseline);
    println!(
        "goroutines: {} before, {} after — nothing leaked",
        baseline,
        gort::runtime::num_goroutine()
    );
}
