// Time, Go-style: sleeping, timeouts, deadlines, timers, tickers and rate
// limiting, each a short function (the book's "Time" chapter shows them one
// by one). What it prints is checked against the chapter by tests/book.rs,
// so it prints facts, not timings that vary from run to run.

use gort::time::{after, after_func, sleep, Duration, Instant, Ticker, Timer};

/// `sleep` parks the goroutine; its thread runs others meanwhile.
fn sleeping() {
    // ANCHOR: sleep
    let start = Instant::now();
    sleep(Duration::from_millis(20));
    println!(
        "slept at least 20 ms: {}",
        start.elapsed() >= Duration::from_millis(20)
    );
    // ANCHOR_END: sleep
}

/// A per-operation timeout: `after(d)` is a channel that delivers once, `d`
/// from now. Each pass of the loop makes a new one.
fn per_operation_timeout() {
    // ANCHOR: timeout
    let (tx, rx) = gort::chan::<&str>(0);
    gort::go!(move || {
        sleep(Duration::from_millis(50)); // a slow answer
        let _ = tx.send("result");
    });
    gort::select! {
        v = <-rx => println!("got {}", v.unwrap()),
        <-after(Duration::from_millis(10)) => println!("timeout after 10 ms"),
    }
    // ANCHOR_END: timeout
}

/// A peer that sends 20 messages 5 ms apart, then falls silent (keeping
/// the channel open) for 500 ms.
fn chatty_peer() -> gort::Receiver<u32> {
    let (tx, rx) = gort::chan::<u32>(0);
    gort::go!(move || {
        for i in 0..20 {
            sleep(Duration::from_millis(5));
            if tx.send(i).is_err() {
                return; // the listener hung up
            }
        }
        sleep(Duration::from_millis(500));
    });
    rx
}

/// A timeout made inside the loop is an idle timeout: it restarts at every
/// message, so it ends the loop only once the peer falls silent.
fn idle_timeout() {
    let rx = chatty_peer();
    let start = Instant::now();
    // ANCHOR: idle
    let mut received = 0;
    loop {
        gort::select! {
            _ = <-rx => received += 1,
            <-after(Duration::from_millis(200)) => break, // 200 ms of silence
        }
    }
    // ANCHOR_END: idle
    println!(
        "idle timeout: all 20 messages: {}, then 200 ms of silence: {}",
        received == 20,
        start.elapsed() >= Duration::from_millis(300)
    );
}

/// A deadline for a whole conversation: one `after` made before the loop.
fn whole_conversation_deadline() {
    let rx = chatty_peer();
    let start = Instant::now();
    // ANCHOR: deadline
    let deadline = after(Duration::from_millis(60)); // made once
    let mut received = 0;
    loop {
        gort::select! {
            _ = <-rx => received += 1,
            <-deadline => break, // 60 ms after the start, however chatty
        }
    }
    // ANCHOR_END: deadline
    println!(
        "deadline: over after 60 ms: {}, with only some messages: {}",
        start.elapsed() >= Duration::from_millis(60),
        (1..20).contains(&received)
    );
}

/// A `Timer` can be stopped before it fires, or reset to fire later.
fn timers() {
    // ANCHOR: timer
    let timer = Timer::new(Duration::from_millis(500));
    println!("stopped before firing: {}", timer.stop());
    timer.reset(Duration::from_millis(5));
    let fired = timer.receiver().recv().is_ok();
    println!("fired after reset: {fired}");

    let (tx, rx) = gort::chan::<&str>(1);
    after_func(Duration::from_millis(5), move || {
        tx.send("after_func ran in its own goroutine").unwrap();
    });
    println!("{}", rx.recv().unwrap());
    // ANCHOR_END: timer
}

/// A `Ticker` delivers every `d` until stopped; select on it by reference.
fn tickers() {
    // ANCHOR: ticker
    let ticker = Ticker::new(Duration::from_millis(5));
    let stop = after(Duration::from_millis(32));
    let mut ticks = 0;
    loop {
        gort::select! {
            <-&ticker => ticks += 1,
            <-stop => {
                ticker.stop();
                break;
            }
        }
    }
    println!(
        "ticked, never more than once per 5 ms: {}",
        ticks <= 7 // 32 ms / 5 ms, and one to spare
    );
    // ANCHOR_END: ticker
}

/// Rate limiting (Go by Example): handle one request per tick; then allow
/// bursts of three by keeping a buffered channel topped up from a ticker.
fn rate_limiting() {
    // ANCHOR: rate
    let (req_tx, requests) = gort::chan::<u32>(5);
    for id in 1..=5 {
        req_tx.send(id).unwrap();
    }
    drop(req_tx);
    let limiter = Ticker::new(Duration::from_millis(10));
    let start = Instant::now();
    for id in requests.iter() {
        limiter.recv(); // wait for the next tick
        let _ = id;
    }
    // Five requests, one per 10 ms tick: at least 50 ms.
    println!(
        "5 steady requests took 50 ms or more: {}",
        start.elapsed() >= Duration::from_millis(50)
    );

    let (burst_tx, bursty) = gort::chan::<Instant>(3);
    for _ in 0..3 {
        burst_tx.send(Instant::now()).unwrap(); // a burst of 3 allowed at once
    }
    gort::go!(move || {
        let refill = Ticker::new(Duration::from_millis(10));
        loop {
            let t = refill.recv();
            if burst_tx.send(t).is_err() {
                return;
            }
        }
    });
    let start = Instant::now();
    let mut at = Vec::new();
    for _ in 0..5 {
        bursty.recv().unwrap();
        at.push(start.elapsed());
    }
    let burst_fast = at[2] < Duration::from_millis(10);
    let then_paced = at[4] >= Duration::from_millis(15);
    println!("first 3 at once: {burst_fast}, the rest paced by the ticker: {then_paced}");
    // ANCHOR_END: rate
}

#[gort::main]
fn main() {
    sleeping();
    per_operation_timeout();
    idle_timeout();
    whole_conversation_deadline();
    timers();
    tickers();
    rate_limiting();
}
