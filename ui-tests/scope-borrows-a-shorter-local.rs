// A scoped goroutine may borrow what outlives the scope, not a local of
// the closure that starts it.
fn main() {
    gort::scope(|s| {
        let inner = String::from("too short");
        s.go(|| println!("{inner}"));
    });
}
