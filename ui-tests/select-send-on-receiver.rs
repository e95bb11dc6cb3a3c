// A send arm needs a `Sender`: receivers cannot send, as with Go's `<-chan T`.
fn main() {
    let (_tx, rx) = gort::chan::<u8>(1);
    gort::select! {
        rx <- 1 => {}
    }
    let rxs = vec![rx];
    gort::select! {
        r = rxs[0] <- 2 => drop(r),
        default => {}
    }
}
