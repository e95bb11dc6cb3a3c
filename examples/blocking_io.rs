// Blocking calls and the runtime: why `gort::syscall` exists.
//
// A goroutine that makes a call which blocks in the kernel — a slow disk
// read, `std::thread::sleep`, a C library call — blocks its thread, and
// with it the P that thread holds: the goroutines queued on that P wait.
// With one P (GOMAXPROCS=1), everything waits. Wrapping the call in
// `gort::syscall(|| ...)` lets the runtime hand the P to another thread
// while the call blocks, as Go does for every system call; `gort::fs`
// does this for file operations.
//
// This program runs on one P: a "ticker" goroutine counts 5 ms ticks
// while another goroutine makes five 40 ms blocking calls — first plainly,
// then inside `gort::syscall` — and prints how many ticks got through.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

/// Stands in for a slow device read: blocks the thread for 40 ms.
fn slow_read() -> usize {
    std::thread::sleep(Duration::from_millis(40));
    4096
}

/// Count ticks of 5 ms on `ticks` until `stop` is set.
fn ticker(ticks: Arc<AtomicU32>, stop: Arc<AtomicBool>) {
    while !stop.load(SeqCst) {
        gort::time::sleep(Duration::from_millis(5));
        ticks.fetch_add(1, SeqCst);
    }
}

/// Run five slow reads (wrapped or not) beside the ticker; return the
/// ticks that got through meanwhile.
fn ticks_during(wrapped: bool) -> u32 {
    let ticks = Arc::new(AtomicU32::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let t = gort::spawn({
        let (ticks, stop) = (ticks.clone(), stop.clone());
        move || ticker(ticks, stop)
    });
    gort::time::sleep(Duration::from_millis(1)); // the ticker is running
    let before = ticks.load(SeqCst);
    let mut bytes = 0;
    for _ in 0..5 {
        bytes += if wrapped {
            gort::syscall(slow_read) // the P goes to another thread meanwhile
        } else {
            slow_read() // holds the only P: the ticker cannot run
        };
    }
    let during = ticks.load(SeqCst) - before;
    stop.store(true, SeqCst);
    t.join().unwrap();
    assert_eq!(bytes, 5 * 4096);
    during
}

#[gort::main]
fn main() {
    let old = gort::runtime::set_gomaxprocs(1);
    let plain = ticks_during(false);
    let wrapped = ticks_during(true);
    gort::runtime::set_gomaxprocs(old);
    println!("ticks during 200 ms of blocking calls, on one P:");
    println!("  plain std call:        {plain:>3}   (the ticker was stalled)");
    println!("  inside gort::syscall:  {wrapped:>3}   (the P was handed off)");
    assert!(
        wrapped > plain,
        "handing the P off should let the ticker run ({wrapped} vs {plain})"
    );
}
