// The program shown at the top of the README: producers on an unbuffered
// channel, a select! loop with a timeout. Run it: cargo run --example readme

use std::time::Duration;

fn produce(id: u32, out: gort::Sender<String>) {
    for i in 0..3 {
        out.send(format!("job {i} from producer {id}")).unwrap();
    }
}

#[gort::main]
fn main() {
    let (tx, rx) = gort::chan::<String>(0); // unbuffered, like make(chan string)
    for id in 0..2 {
        gort::go!(produce(id, tx.clone())); // Go's `go produce(id, tx)`
    }
    drop(tx); // the channel closes when the last sender is gone
    loop {
        gort::select! {
            msg = <-rx => match msg {
                Ok(m) => println!("{m}"),
                Err(_) => break, // closed and drained
            },
            <-gort::time::after(Duration::from_secs(1)) => {
                println!("timed out");
                break;
            }
        }
    }
}
