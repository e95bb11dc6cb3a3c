// Every shape `go!` accepts compiles, warning-free.
#![deny(warnings)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

static STARTED: AtomicUsize = AtomicUsize::new(0);

fn work(_data: Vec<u8>, _name: &'static str) {}

fn fallible() -> Result<(), String> {
    Ok(())
}

fn apply(f: impl Fn(u32) -> u32) {
    assert_eq!(f(1), 2);
}

struct Server;

impl Server {
    fn serve(&self, _port: u16) {}
}

macro_rules! spawn {
    ($e:expr) => {
        gort::go!($e)
    };
}

#[gort::main]
fn main() {
    // Calls: the arguments are evaluated here, the call runs in the goroutine.
    gort::go!(work(vec![1], "call"));
    let data = vec![2];
    gort::go!(work(data, "moves its argument"));
    gort::go!({
        let _ = fallible(); // a result is dropped on purpose (go! refuses to lose one)
    });
    gort::go!(apply(|x| x + 1)); // a closure argument is built in the goroutine
    gort::go!((work)(Vec::new(), "parenthesized callee"));
    let handlers: [fn(); 1] = [|| {}];
    gort::go!(handlers[0]()); // a computed callee
    gort::go!(std::thread::sleep(std::time::Duration::ZERO));
    // Method calls: a static receiver is borrowed, a local one moved, a computed one evaluated.
    gort::go!(STARTED.store(1, Ordering::SeqCst));
    let server = Arc::new(Server);
    gort::go!(server.clone().serve(80));
    gort::go!(server.serve(8080));
    // Closures and blocks.
    let name = String::from("gopher");
    gort::go!(move || println!("hello, {name}"));
    gort::go!(|| ());
    gort::go!({
        work(Vec::new(), "block");
    });
    // From a macro_rules! macro, and as an expression of type ().
    spawn!(work(Vec::new(), "from a macro"));
    let () = gort::go!(work(Vec::new(), "expression"));
    gort::go!(work(Vec::new(), "trailing comma"),);
}
