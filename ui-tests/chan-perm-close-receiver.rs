// Go's test/chan/perm.go: a receive-only channel (`<-chan int`, gort's `Receiver`) cannot
// be closed; only a sender closes.
fn main() {
    let (_tx, rx) = gort::chan::<i32>(0);
    rx.close();
}
