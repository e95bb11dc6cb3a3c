// A receive arm needs a `Receiver`: senders cannot receive, as with Go's `chan<- T`.
struct Pipes {
    out: gort::Sender<u8>,
}

fn main() {
    let (tx, _rx) = gort::chan::<u8>(1);
    gort::select! {
        v = <-tx => drop(v),
    }
    let pipes = Pipes { out: tx };
    gort::select! {
        <-&pipes.out => {}
        default => {}
    }
    let n = 5;
    gort::select! {
        <-n => {}
    }
}
