// A scoped goroutine's handle borrows the scope: it cannot leave it, since
// the scope ends only when its goroutines have.
fn main() {
    let handle = gort::scope(|s| s.spawn(|| 1));
    let _ = handle.join();
}
