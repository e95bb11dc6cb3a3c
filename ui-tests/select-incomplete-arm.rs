// A receive names its channel; a send names its channel and its value.
fn main() {
    let (tx, _rx) = gort::chan::<u8>(1);
    gort::select! {
        <- => {}
        tx <- => {}
        v = => {}
    }
}
