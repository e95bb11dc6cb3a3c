// A `select!` has at most one `default` arm.
fn main() {
    let (_tx, rx) = gort::chan::<u8>(1);
    gort::select! {
        default => {}
        <-rx => {}
        default => {}
    }
}
