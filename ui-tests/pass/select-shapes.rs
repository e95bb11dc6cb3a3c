// Every arm shape `select!` accepts compiles, warning-free, and runs.
#![deny(warnings)]

use std::time::Duration;

struct Pipes {
    out: gort::Sender<u32>,
    ins: Vec<gort::Receiver<u32>>,
}

macro_rules! try_recv {
    ($rx:expr) => {
        gort::select! {
            v = <-$rx => v.ok(),
            default => None,
        }
    };
}

fn first(rx: &gort::Receiver<u32>) -> Result<u32, gort::chan::RecvError> {
    gort::select! {
        v = <-rx => return Ok(v? + 1),
        <-gort::time::after(Duration::from_secs(5)) => {}
    }
    Ok(0)
}

#[gort::main]
fn main() {
    let (tx, rx) = gort::chan::<u32>(4);
    let (tx2, rx2) = gort::chan::<u32>(4);
    let ticker = gort::time::Ticker::new(Duration::from_millis(1));
    let off: Option<&gort::Receiver<u32>> = None;
    let mut total = 0;
    for i in 0..8 {
        total += gort::select! {
            v = <-rx => v.unwrap_or(0),
            <-rx2 => 0,
            tx <- i => 1,
            r = tx2 <- i => {
                r.unwrap();
                2
            }
            _ = <-ticker => continue,
            <-off => unreachable!(),
            <-gort::time::after(Duration::from_secs(5)) => break,
            default => 3,
        };
    }
    let pipes = Pipes {
        out: tx.clone(),
        ins: vec![rx.clone()],
    };
    gort::select! {
        mut v = <-pipes.ins[0] => {
            v = v.map(|v| v + 1);
            let _ = v;
        }
        &pipes.out <- 1 => {}
        default => {}
    }
    let _ = try_recv!(rx);
    let _ = try_recv!(&pipes.ins[0]);
    let _ = first(&rx);
    let _: u32 = if total > 1_000_000 {
        gort::select! {}
    } else {
        total
    };
    gort::select! {
        default => {}
    }
}
