// Hello, goroutines: the first program of the gort book.
//
// `#[gort::main]` runs `main` as goroutine 1. `go!` starts more; a
// `WaitGroup` waits for them, because — as in Go — the program ends when
// main returns, whatever other goroutines are doing.
//
// Run it: cargo run --example hello

// ANCHOR: all
use gort::sync::WaitGroup;

fn greet(name: &str, wg: WaitGroup) {
    println!(
        "hello, {name}, from goroutine {}",
        gort::runtime::goroutine_id()
    );
    wg.done();
}

#[gort::main]
fn main() {
    let wg = WaitGroup::new();
    for name in ["gopher", "crab", "world"] {
        wg.add(1);
        // Like Go's `go greet(name, &wg)`: the arguments are evaluated
        // here, now; the call runs in a new goroutine.
        gort::go!(greet(name, wg.clone()));
    }
    wg.wait();
    println!(
        "all greeted; main is goroutine {}",
        gort::runtime::goroutine_id()
    );
}
// ANCHOR_END: all
