// Scoped goroutines borrow like threads in std::thread::scope: one that
// mutates a local excludes every other use of it while the scope runs.
fn main() {
    let mut seen = Vec::new();
    gort::scope(|s| {
        s.go(|| seen.push(1));
        seen.push(2);
    });
}
