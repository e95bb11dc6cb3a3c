// A send's value has the channel's element type.
fn main() {
    let (tx, _rx) = gort::chan::<u32>(1);
    gort::select! {
        tx <- "five" => {}
    }
    gort::select! {
        r = tx <- String::from("five") => drop(r),
        default => {}
    }
}
