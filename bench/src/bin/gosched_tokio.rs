//! gosched / tokio: the yield switch on one thread. A current_thread runtime
//! runs two tasks that each call `tokio::task::yield_now().await` N times.
//! Reports ns per yield (total 2N yields). Always one thread (procs=1).
use gort_bench::{arg_n, ns_per, report};
use std::time::Instant;

fn main() {
    gort_bench::exit_on_panic();
    let n = arg_n(1_000_000);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let elapsed = rt.block_on(async move {
        let start = Instant::now();
        let tasks: Vec<_> = (0..2)
            .map(|_| {
                tokio::spawn(async move {
                    for _ in 0..n {
                        tokio::task::yield_now().await;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        start.elapsed()
    });
    report("gosched", "tokio", ns_per(elapsed, 2 * n), "ns/yield", 1);
}
