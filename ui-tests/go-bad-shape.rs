// `go!` takes a call, a closure or a block; nothing else.
fn work() {}

fn main() {
    let job = work;
    gort::go!(job);
    gort::go!(work);
    gort::go!(42);
    gort::go!();
    gort::go!(work, 1, 2);
    gort::go!(async { work() });
}
