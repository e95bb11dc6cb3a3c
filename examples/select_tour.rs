// The listings of the book's "select!" chapter (book/src/select.md), each
// in a function that `main` runs and then checks: the arm shapes, select!
// as an expression, random choice, `break` out of a loop, non-blocking
// sends, timeouts and deadlines, and `Option` as Go's nil channel.
//
// Run it: cargo run --example select_tour

use gort::{Receiver, Sender};
use std::time::Instant;

/// The chapter's first listing: every kind of arm in one `select!`.
/// Nothing is ready here, so `default` runs and nothing is sent or received.
fn arms() {
    use gort::time::Duration;
    let (_in1, rx1) = gort::chan::<i32>(0); // open, but nothing is sent
    let (_in2, rx2) = gort::chan::<i32>(0);
    let (tx, out) = gort::chan::<i32>(0); // nobody receives: a send can't go ahead
    let (tx2, out2) = gort::chan::<String>(0);
    let msg = String::from("hello");

    // ANCHOR: arms
    gort::select! {
        v = <-rx1 => println!("from rx1: {v:?}"), // v: Result<T, RecvError>
        <-rx2 => println!("something on rx2"),    // the value is dropped
        tx <- 42 => println!("sent"),             // a send
        r = tx2 <- msg => println!("{r:?}"),      // r: Result<(), SendError<T>>
        <-gort::time::after(Duration::from_secs(1)) => println!("timed out"),
        default => println!("nothing was ready"),
    }
    // ANCHOR_END: arms

    // `default` ran: no send went through, and the channels are as they were.
    assert!(out.try_recv().is_err());
    assert!(out2.try_recv().is_err());
}

/// `select!` is an expression: its value is the value of the arm that ran.
fn poll(rx: &Receiver<i32>) -> Option<i32> {
    // ANCHOR: value
    let got = gort::select! {
        v = <-rx => v.ok(),
        default => None, // nothing ready: don't wait
    };
    // ANCHOR_END: value
    got
}

fn value() {
    let (tx, rx) = gort::chan::<i32>(1);
    assert_eq!(poll(&rx), None, "empty: default");
    tx.send(7).unwrap();
    assert_eq!(poll(&rx), Some(7), "a value is waiting: the receive arm");
    drop(tx);
    assert_eq!(poll(&rx), None, "closed: the receive arm, with Err");
}

/// Two arms that are always ready are each chosen about half the time.
fn random_choice() {
    // ANCHOR: random
    let (tx, rx) = gort::chan::<()>(0);
    drop(tx); // closed: a receive is always ready
    let (mut left, mut right) = (0, 0);
    for _ in 0..1000 {
        gort::select! {
            <-rx => left += 1,
            <-rx => right += 1,
        }
    }
    println!("1000 selects, both arms ready: {left} left, {right} right");
    // ANCHOR_END: random
    assert_eq!(left + right, 1000);
    // Binomial(1000, ½): 300 is more than 12 standard deviations away.
    assert!(left > 300 && right > 300, "not uniform: {left} / {right}");
}

/// `break` in an arm leaves the enclosing loop.
fn break_out() {
    let (tx, rx) = gort::chan::<i32>(0);
    let (times_up, deadline) = gort::chan::<()>(0);
    gort::go!(move || {
        for v in 1..=3 {
            tx.send(v).unwrap();
        }
        // Unbuffered: each value above was received before this send starts,
        // and `tx` stays open until main has taken the deadline.
        times_up.send(()).unwrap();
    });
    let mut total = 0;

    // ANCHOR: break
    loop {
        gort::select! {
            v = <-rx => total += v.unwrap(),
            <-deadline => break, // out of the loop
        }
    }
    // ANCHOR_END: break

    assert_eq!(total, 6);
}

/// A non-blocking send: `default` runs when there is no room.
fn offer(results: &Sender<i32>, value: i32) -> bool {
    // ANCHOR: try_send
    let sent = gort::select! {
        results <- value => true,
        default => false, // no room: drop it, count it, try later…
    };
    // ANCHOR_END: try_send
    sent
}

fn non_blocking_send() {
    let (results, collected) = gort::chan::<i32>(1);
    assert!(offer(&results, 1), "room for one");
    assert!(!offer(&results, 2), "full: default");
    assert_eq!(collected.try_recv(), Ok(1));
    assert!(collected.try_recv().is_err(), "2 was dropped");
}

/// Wait for a reply, but not longer than 10 ms.
fn wait_for_reply(replies: &Receiver<String>) {
    // ANCHOR: timeout
    use gort::time::{after, Duration};

    gort::select! {
        v = <-replies => println!("got {v:?}"),
        <-after(Duration::from_millis(10)) => println!("timed out"),
    }
    // ANCHOR_END: timeout
}

fn timeout() {
    let (tx, replies) = gort::chan::<String>(1);
    tx.send("pong".to_string()).unwrap();
    wait_for_reply(&replies); // a reply is waiting: got it
    assert!(replies.try_recv().is_err(), "the reply was taken");

    let start = Instant::now();
    wait_for_reply(&replies); // nothing comes: timed out
    assert!(start.elapsed().as_millis() >= 10);
    drop(tx);
}

/// One timer made before the loop: a deadline for the whole loop.
fn deadline() {
    use gort::time::{after, Duration};
    let (tx, rx) = gort::chan::<i32>(0);
    gort::go!(move || {
        // One value a millisecond, until the receiver is gone.
        while tx.send(1).is_ok() {
            gort::time::sleep(Duration::from_millis(1));
        }
    });
    let mut got = rx.recv().unwrap(); // the first value, before the clock starts
    let start = Instant::now();

    // ANCHOR: deadline
    let deadline = after(Duration::from_millis(20));
    loop {
        gort::select! {
            v = <-rx => got += v.unwrap(),
            <-deadline => break, // 20 ms after the loop began
        }
    }
    // ANCHOR_END: deadline

    assert!(
        start.elapsed().as_millis() >= 20,
        "the loop ran until the deadline"
    );
    println!("{got} values before the deadline");
    drop(rx); // the sender's next send fails, and it returns
}

/// Merge two channels until both are closed, switching off each as it closes.
fn merge(a: Receiver<i32>, b: Receiver<i32>) -> Vec<i32> {
    let mut out = Vec::new();

    // ANCHOR: nil_channels
    let (mut a, mut b) = (Some(a), Some(b)); // Option<Receiver<i32>>
    while a.is_some() || b.is_some() {
        gort::select! {
            v = <-a => match v {
                Ok(v) => out.push(v),
                Err(_) => a = None, // closed: never select it again
            },
            v = <-b => match v {
                Ok(v) => out.push(v),
                Err(_) => b = None,
            },
        }
    }
    // ANCHOR_END: nil_channels

    out
}

fn nil_channels() {
    let (ta, a) = gort::chan::<i32>(0);
    let (tb, b) = gort::chan::<i32>(0);
    gort::go!(move || (1..=3).for_each(|v| ta.send(v).unwrap()));
    gort::go!(move || (10..=15).for_each(|v| tb.send(v).unwrap()));
    let mut out = merge(a, b);
    out.sort_unstable();
    assert_eq!(out, [1, 2, 3, 10, 11, 12, 13, 14, 15]);
}

/// Wait (a little) for the goroutine count to fall back to `baseline`.
fn no_goroutine_left(baseline: usize) {
    let start = Instant::now();
    while gort::runtime::num_goroutine() > baseline {
        assert!(
            start.elapsed().as_secs() < 5,
            "leaked {} goroutines",
            gort::runtime::num_goroutine() - baseline
        );
        gort::time::sleep(std::time::Duration::from_millis(1));
    }
}

fn main() {
    gort::run(|| {
        let baseline = gort::runtime::num_goroutine();
        arms();
        value();
        random_choice();
        break_out();
        non_blocking_send();
        timeout();
        deadline();
        nil_channels();
        no_goroutine_left(baseline);
        println!("select tour: ok");
    });
}
