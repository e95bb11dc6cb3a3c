// A `go!` goroutine returns nothing: in all three forms, a value it would
// return (a `Result` above all) is an error that points to `gort::spawn`,
// instead of being dropped silently.
fn fetch() -> Result<u32, String> {
    Ok(1)
}

fn main() {
    gort::go!(fetch());
    gort::go!(|| fetch());
    gort::go!({ fetch() });
    // Fine: nothing returned, dropped on purpose, or never returning.
    gort::go!({
        let _ = fetch();
    });
    gort::go!(|| loop {
        gort::yield_now();
    });
}
