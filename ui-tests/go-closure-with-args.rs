// A goroutine closure takes no arguments.
fn main() {
    gort::go!(|x: u32| println!("{x}"));
    gort::go!(move |a, b| drop((a, b)));
}
