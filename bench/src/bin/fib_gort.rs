//! fib / gort: what a `#[gort::preemptible]` checkpoint costs. Recursive
//! Fibonacci, plain and annotated (a relaxed load and a compare at each
//! call's entry, and the function kept out of line), run alternately in
//! one goroutine; reports ns per call of the annotated one (`fib`) and of
//! the plain one (`fib.plain`). go/fib.go is Go's, whose every call
//! checks its stack bound.
use gort_bench::{arg_n, report};
use std::hint::black_box;
use std::time::Instant;

#[inline(never)]
fn fib_plain(n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    fib_plain(n - 1) + fib_plain(n - 2)
}

#[gort::preemptible]
fn fib_preemptible(n: u64) -> u64 {
    if n < 2 {
        return n;
    }
    fib_preemptible(n - 1) + fib_preemptible(n - 2)
}

fn calls(n: u64) -> u64 {
    let (mut a, mut b) = (1u64, 1u64); // calls(0) = calls(1) = 1
    for _ in 1..n {
        (a, b) = (b, a + b + 1);
    }
    b
}

#[gort::main]
fn main() {
    let n = arg_n(32) as u64;
    let (mut plain, mut annotated) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        let t = Instant::now();
        black_box(fib_plain(black_box(n)));
        plain.push(t.elapsed().as_nanos() as f64 / calls(n) as f64);
        let t = Instant::now();
        black_box(fib_preemptible(black_box(n)));
        annotated.push(t.elapsed().as_nanos() as f64 / calls(n) as f64);
    }
    plain.sort_by(f64::total_cmp);
    annotated.sort_by(f64::total_cmp);
    let procs = gort::runtime::gomaxprocs();
    report("fib", "gort", annotated[2], "ns/call", procs);
    report("fib.plain", "gort", plain[2], "ns/call", procs);
}
