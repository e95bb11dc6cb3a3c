// Context and cancellation, Go-style: a deadline for a request, one cancel
// that stops a whole tree of goroutines, values found by type, and the
// context-aware channel operations. The book's "Context and cancellation"
// chapter shows each part; tests/book.rs checks what it prints.

use gort::context::{self, Context, Error};
use gort::sync::WaitGroup;
use gort::time::{after, sleep, Duration};
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::sync::Arc;

// ANCHOR: handler
/// A request handler: does 100 ms of work unless its context ends first.
fn handle(ctx: &Context) -> Result<&'static str, Error> {
    gort::select! {
        <-after(Duration::from_millis(100)) => Ok("response"),
        <-ctx.done() => Err(ctx.err().expect("done means it has an error")),
    }
}

fn deadlines() {
    let root = context::background();
    let (ctx, cancel) = context::with_timeout(&root, Duration::from_millis(500));
    println!("with 500 ms to spare: {:?}", handle(&ctx));
    cancel.cancel(); // Go's `defer cancel()`: release the timer now

    let (ctx, cancel) = context::with_timeout(&root, Duration::from_millis(10));
    match handle(&ctx) {
        Ok(r) => println!("unexpected: {r}"),
        Err(e) => println!("with 10 ms: {e}"),
    }
    cancel.cancel();
}
// ANCHOR_END: handler

// ANCHOR: tree
/// One cancel stops every goroutine below it, however deep.
fn cancel_a_tree() {
    let (ctx, cancel) = context::with_cancel(&context::background());
    let stopped = Arc::new(AtomicU32::new(0));
    let wg = WaitGroup::new();
    let mut team_cancels = Vec::new();
    for _team in 0..3 {
        // Each team gets a child context (its own cancel could stop just
        // that team); each worker waits on the team's.
        let (team_ctx, team_cancel) = context::with_cancel(&ctx);
        team_cancels.push(team_cancel);
        for _ in 0..4 {
            let (ctx, stopped) = (team_ctx.clone(), stopped.clone());
            wg.go(move || {
                loop {
                    gort::select! {
                        <-ctx.done() => break,
                        <-after(Duration::from_millis(5)) => {} // a unit of work
                    }
                }
                stopped.fetch_add(1, SeqCst);
            });
        }
    }
    sleep(Duration::from_millis(20));
    cancel.cancel(); // the root: every team, every worker
    wg.wait();
    drop(team_cancels);
    println!(
        "one cancel stopped {} workers in 3 teams",
        stopped.load(SeqCst)
    );
}
// ANCHOR_END: tree

// ANCHOR: values
/// Values are looked up by type: wrap yours in a type of your own.
#[derive(Debug)]
struct RequestId(u64);

fn values() {
    let ctx = context::with_value(&context::background(), RequestId(42));
    let (ctx, cancel) = context::with_cancel(&ctx); // values pass through
    log(&ctx, "handling");
    cancel.cancel();
}

fn log(ctx: &Context, what: &str) {
    match ctx.value::<RequestId>() {
        Some(id) => println!("[request {}] {what}", id.0),
        None => println!("[no request] {what}"),
    }
}
// ANCHOR_END: values

// ANCHOR: channels
/// Channel operations that give up when the context ends.
fn channel_operations() {
    let (ctx, cancel) = context::with_cancel(&context::background());
    let (tx, rx) = gort::chan::<u32>(0);
    let _keep_open = rx.clone(); // so only the context can end the send below
    let c = ctx.clone();
    let waiter = gort::spawn(move || rx.recv_ctx(&c));
    sleep(Duration::from_millis(10));
    cancel.cancel();
    println!(
        "recv_ctx after cancel: {:?}",
        waiter.join().unwrap().map_err(|e| e.to_string())
    );
    match tx.send_ctx(7, &ctx) {
        Ok(()) => println!("sent"),
        Err(e) => println!("send_ctx: {e}; the value comes back: {}", e.into_inner()),
    }
}
// ANCHOR_END: channels

#[gort::main]
fn main() {
    deadlines();
    cancel_a_tree();
    values();
    channel_operations();
}
