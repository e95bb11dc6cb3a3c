// What a goroutine dump looks like: four goroutines stuck in four ways —
// on a channel, on a lock, asleep, and inside a blocking call — and main
// printing `gort::runtime::stack()`, the same list that Ctrl-\ (SIGQUIT)
// and the deadlock report print. (Returning from main ends the program,
// blocking call and all.)
//
// Run it: cargo run --example goroutine_dump

// ANCHOR: all
use gort::sync::Mutex;
use gort::time::{sleep, Duration};
use std::sync::Arc;

#[gort::main]
fn main() {
    let (tx, rx) = gort::chan::<u32>(0);
    gort::go!(move || {
        let _ = rx.recv(); // nobody sends yet
    });

    let total = Arc::new(Mutex::new(0));
    let held = total.lock(); // main holds the lock...
    let wanted = total.clone();
    gort::go!(move || *wanted.lock() += 1); // ...that this one wants

    gort::go!(sleep(Duration::from_secs(3600)));

    gort::go!(move || {
        gort::syscall(|| std::thread::sleep(std::time::Duration::from_secs(10)));
    });

    // Wait until all four are stuck: three parked, one in the call.
    let mut dump = gort::runtime::stack();
    while dump.matches("blocked at").count() < 3 || !dump.contains("[syscall]") {
        sleep(Duration::from_millis(10));
        dump = gort::runtime::stack();
    }
    print!("{dump}");

    drop(held);
    tx.send(1).unwrap();
}
// ANCHOR_END: all
