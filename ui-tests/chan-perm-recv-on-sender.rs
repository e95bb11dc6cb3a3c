// Go's test/chan/perm.go: a send-only channel (`chan<- int`, gort's `Sender`) cannot be
// received from: not plainly, not by ranging over it, not in a select.
fn main() {
    let (tx, _rx) = gort::chan::<i32>(1);
    let _ = tx.recv();
    for _ in &tx {}
    gort::select! {
        _v = <-tx => {}
    }
}
