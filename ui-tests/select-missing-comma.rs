// An arm whose body is an expression, not a block, ends with `,`.
fn main() {
    let (_tx, rx) = gort::chan::<u8>(1);
    let n = gort::select! {
        <-rx => 1
        default => 2
    };
    let _ = n;
}
