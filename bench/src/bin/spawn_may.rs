//! spawn / may: a coroutine (`GOMAXPROCS` workers, default 2) spawns N
//! coroutines that each bump a shared atomic and decrement a "remaining"
//! counter; the last one fires a `may::sync::SyncFlag` the spawner waits on.
//! (`may::sync::WaitGroup` is Mutex+Condvar based, so the counter is cheaper.)
//! Reports ns per coroutine. Spawning is `unsafe` in may (`go!` wraps it).
use gort_bench::{arg_n, ns_per, procs, report};
use may::sync::SyncFlag;
use std::sync::atomic::{AtomicUsize, Ordering::*};
use std::sync::Arc;
use std::time::Instant;

fn main() {
    gort_bench::exit_on_panic();
    let n = arg_n(1_000_000);
    let procs = procs();
    may::config().set_workers(procs);
    // Spawn from inside a coroutine, as Go's main goroutine does.
    let elapsed = may::go!(move || {
        let count = Arc::new(AtomicUsize::new(0));
        let remaining = Arc::new(AtomicUsize::new(n));
        let done = Arc::new(SyncFlag::new());
        let start = Instant::now();
        for _ in 0..n {
            let (count, remaining, done) = (count.clone(), remaining.clone(), done.clone());
            may::go!(move || {
                count.fetch_add(1, Relaxed);
                if remaining.fetch_sub(1, AcqRel) == 1 {
                    done.fire();
                }
            });
        }
        done.wait();
        let elapsed = start.elapsed();
        assert_eq!(count.load(Relaxed), n);
        elapsed
    })
    .join()
    .unwrap();
    report("spawn", "may", ns_per(elapsed, n), "ns/goroutine", procs);
}
