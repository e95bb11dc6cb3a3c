// The short listings of the book's "Channels" chapter, each run by `main`
// and checked: a first channel, directions as types, and errors that give
// the value back.
//
// Run it: cargo run --example channels_tour

use gort::{Receiver, Sender};

/// The chapter's opening listing: one value over an unbuffered channel.
fn first_channel() {
    // ANCHOR: first_channel
    let (tx, rx) = gort::chan::<String>(0); // Go: ch := make(chan string)
    gort::go!(move || {
        tx.send("ping".to_string()).unwrap(); // Go: ch <- "ping"
    });
    let msg = rx.recv().unwrap(); // Go: msg := <-ch
    assert_eq!(msg, "ping");
    // ANCHOR_END: first_channel
}

// ANCHOR: directions
fn produce(out: Sender<i32>) {
    // Go: func produce(out chan<- int)
    for i in 1..=3 {
        out.send(i).unwrap();
    }
} // `out` is dropped here: the last Sender, so the channel closes

fn consume(input: Receiver<i32>) -> i32 {
    // Go: func consume(in <-chan int)
    input.iter().sum()
}
// ANCHOR_END: directions

fn directions() {
    let (tx, rx) = gort::chan::<i32>(0);
    gort::go!(produce(tx));
    assert_eq!(consume(rx), 6);
}

fn errors() {
    // ANCHOR: errors
    use gort::chan::{SendError, TrySendError};

    let (tx, rx) = gort::chan::<String>(1);
    tx.send("first".to_string()).unwrap();
    match tx.try_send("second".to_string()) {
        Err(TrySendError::Full(v)) => println!("no room for {v:?}"), // v is ours again
        _ => unreachable!(),
    }
    tx.close();
    let Err(SendError(late)) = tx.send("late".to_string()) else {
        unreachable!()
    };
    assert_eq!(rx.recv().as_deref(), Ok("first")); // buffered values still arrive
    assert!(rx.recv().is_err()); // then: closed
                                 // the failed send handed its value back:
    assert_eq!(late, "late");
    // ANCHOR_END: errors
}

#[gort::main]
fn main() {
    first_channel();
    directions();
    errors();
    println!("channels tour: ok");
}
