// A goroutine takes what it captures: the spawner cannot keep using it, by move or by borrow.
fn main() {
    let mut v = Vec::new();
    gort::go!(move || v.push(1));
    v.push(2);

    let mut w = Vec::new();
    gort::go!(|| w.push(1));
    w.push(2);
}
