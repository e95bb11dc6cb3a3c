// `default` has no result to bind.
fn main() {
    let (_tx, rx) = gort::chan::<u8>(1);
    gort::select! {
        v = <-rx => drop(v),
        d = default => {}
    }
}
