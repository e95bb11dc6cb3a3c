//! preemptwake / gort: how late a sleeping goroutine wakes beside a hog. On
//! one P (run.sh sets `GOMAXPROCS=1`) a goroutine spins in a
//! `#[gort::preemptible]` loop that calls nothing (the runtime stops it by
//! signal); main sleeps 1 ms N times and records how much later than asked
//! each sleep ended. Reports the median oversleep and, as
//! `preemptwake.worst`, the largest (go/preemptwake.go does the same).
use gort_bench::{arg_n, report};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[gort::preemptible]
fn hog(stop: &AtomicBool) -> u64 {
    let mut x = 1u64;
    while !stop.load(Relaxed) {
        x = x.wrapping_mul(3).wrapping_add(1);
    }
    x
}

#[gort::main]
fn main() {
    let n = arg_n(200);
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    let h = gort::spawn(move || hog(&s));
    gort::yield_now();
    let mut late = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        gort::time::sleep(Duration::from_millis(1));
        late.push((t.elapsed() - Duration::from_millis(1)).as_nanos() as f64 / 1e3);
    }
    stop.store(true, Relaxed);
    h.join().unwrap();
    late.sort_by(f64::total_cmp);
    let procs = gort::runtime::gomaxprocs();
    report("preemptwake", "gort", late[n / 2], "us", procs);
    report("preemptwake.worst", "gort", late[n - 1], "us", procs);
}
