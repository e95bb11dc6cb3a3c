// Each arm is a channel operation written with Go's `<-`, or `default`.
fn main() {
    let (tx, rx) = gort::chan::<u8>(1);
    let (x, y) = (1, 2);
    gort::select! {
        rx => {}
    }
    gort::select! {
        x == y => {}
    }
    gort::select! {
        v = rx => drop(v),
    }
    gort::select! {
        tx.send(1) => {}
    }
    gort::select! {
        => {}
    }
}
