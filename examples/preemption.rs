// Taking the CPU back from a goroutine that never yields.
//
// A goroutine gives up its P at checkpoints: channel operations, locks,
// sleeps, I/O, `gort::yield_now()`. A loop that only computes reaches none,
// so on one P (GOMAXPROCS=1) nothing else runs until it ends. Mark the
// function `#[gort::preemptible]` and the runtime can stop it anywhere,
// by signal, once its 10 ms time slice is used up, as Go does.
//
// This program runs on one P: a "ticker" goroutine counts 5 ms ticks while
// another goroutine computes for 200 ms — first in a plain function, then
// in a preemptible one — and prints how many ticks got through. Run it
// optimized (`cargo run --release --example preemption`): in a debug build
// even `wrapping_mul` is a call, and the signal only stops code in the
// preemptible function itself, so it rarely finds it there.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering::SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Computes until `until`: stretches of arithmetic with no call in them,
/// so it never reaches a checkpoint.
fn compute_plain(until: Instant) -> u64 {
    let mut x = 1u64;
    while Instant::now() < until {
        for _ in 0..100_000 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        }
    }
    x
}

/// The same, but the runtime may stop it anywhere in its own code. (Only
/// there: put the attribute on the function that holds the hot loop.)
#[gort::preemptible]
fn compute_preemptible(until: Instant) -> u64 {
    let mut x = 1u64;
    while Instant::now() < until {
        for _ in 0..100_000 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        }
    }
    x
}

/// Count ticks of 5 ms on `ticks` until `stop` is set.
fn ticker(ticks: Arc<AtomicU32>, stop: Arc<AtomicBool>) {
    while !stop.load(SeqCst) {
        gort::time::sleep(Duration::from_millis(5));
        ticks.fetch_add(1, SeqCst);
    }
}

/// Compute for 200 ms beside the ticker; return the ticks meanwhile.
fn ticks_during(preemptible: bool) -> u32 {
    let ticks = Arc::new(AtomicU32::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let t = gort::spawn({
        let (ticks, stop) = (ticks.clone(), stop.clone());
        move || ticker(ticks, stop)
    });
    gort::time::sleep(Duration::from_millis(1)); // the ticker is running
    let before = ticks.load(SeqCst);
    let until = Instant::now() + Duration::from_millis(200);
    let result = if preemptible {
        compute_preemptible(until)
    } else {
        compute_plain(until)
    };
    let during = ticks.load(SeqCst) - before;
    stop.store(true, SeqCst);
    t.join().unwrap();
    assert_ne!(result, 0);
    during
}

#[gort::main]
fn main() {
    let old = gort::runtime::set_gomaxprocs(1);
    let plain = ticks_during(false);
    let preemptible = ticks_during(true);
    gort::runtime::set_gomaxprocs(old);
    println!("ticks during 200 ms of computation, on one P:");
    println!("  plain fn:                   {plain:>3}   (the ticker was starved)");
    println!(
        "  #[gort::preemptible] fn:    {preemptible:>3}   (stopped whenever the ticker was due)"
    );
    // The signal path is x86_64 Linux only; elsewhere a preemptible
    // function is checked only at its entry, which this loop never revisits.
    if cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        assert!(
            preemptible > plain,
            "preemption should let the ticker run ({preemptible} vs {plain})"
        );
    }
}
