// Go's test/chan/perm.go: a receive-only channel (`<-chan int`, gort's `Receiver`) cannot
// be sent on, in a plain send or in a select.
fn main() {
    let (_tx, rx) = gort::chan::<i32>(1);
    rx.send(0);
    gort::select! {
        rx <- 0 => {}
    }
}
