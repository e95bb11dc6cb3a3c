// A goroutine that recurses without end, to show what gort prints when a
// goroutine runs off its stack: a Go-style fatal error naming the goroutine
// and the stack size, and exit status 2 — not a bare segmentation fault.
//
// Run it: cargo run --example stack_overflow
// (GORT_STACK_SIZE=300M gives every goroutine a stack big enough for it.)

// ANCHOR: all
/// Counts down from `n` the slow way: one stack frame per step.
fn depth(n: u64) -> u64 {
    if n == 0 {
        return 0;
    }
    let frame = std::hint::black_box([n; 32]); // 256 bytes of locals
    1 + depth(n - 1) + frame[0] - n
}

#[gort::main]
fn main() {
    let shallow = gort::spawn(|| depth(100)).join().unwrap();
    println!("100 frames deep: fine ({shallow})");
    let deep = gort::spawn(|| depth(1_000_000)).join();
    println!("a million frames deep: {deep:?}"); // needs GORT_STACK_SIZE=300M
}
// ANCHOR_END: all
