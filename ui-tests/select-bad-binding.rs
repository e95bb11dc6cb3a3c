// A case's result is bound to a name or `_`, with `=`.
fn main() {
    let (tx, rx) = gort::chan::<u8>(1);
    gort::select! {
        Ok(v) = <-rx => drop(v),
        (a, b) = tx <- 1 => {}
    }
    gort::select! {
        v := <-rx => drop(v),
    }
}
