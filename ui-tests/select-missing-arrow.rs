// An arm's operation and its body are separated by `=>`.
fn main() {
    let (_tx, rx) = gort::chan::<u8>(1);
    let (_tx2, rx2) = gort::chan::<u8>(1);
    gort::select! {
        <-rx { println!("rx") }
        <-rx2 => {}
    }
    gort::select! {
        default { println!("default") }
    }
    gort::select! {
        <-rx
    }
}
