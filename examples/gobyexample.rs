// gort by Example: Go by Example's concurrency pages (gobyexample.com), each
// rewritten with gort as a function below, in the page's order. The book's
// appendix shows them one by one with their output; tests/book.rs checks
// that output against a run of this program, so every page prints the same
// thing on every run (where Go's page prints in a racy order, this one
// sorts or counts).

use gort::sync::{Mutex, WaitGroup};
use gort::time::{after, sleep, Duration, Ticker, Timer};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::Arc;

fn goroutines() {
    // ANCHOR: goroutines
    fn f(from: &str) -> Vec<String> {
        (0..3).map(|i| format!("{from} : {i}")).collect()
    }
    for line in f("direct") {
        println!("{line}");
    }
    let h = gort::spawn(|| f("goroutine"));
    let (tx, rx) = gort::chan::<&str>(0);
    gort::go!(move || tx.send("going").unwrap());
    println!("{}", rx.recv().unwrap());
    for line in h.join().unwrap() {
        println!("{line}");
    }
    println!("done");
    // ANCHOR_END: goroutines
}

fn channels() {
    // ANCHOR: channels
    let (messages_tx, messages) = gort::chan::<&str>(0);
    gort::go!(move || messages_tx.send("ping").unwrap());
    let msg = messages.recv().unwrap();
    println!("{msg}");
    // ANCHOR_END: channels
}

fn channel_buffering() {
    // ANCHOR: buffering
    let (tx, messages) = gort::chan::<&str>(2);
    tx.send("buffered").unwrap(); // no receiver needed: there is room
    tx.send("channel").unwrap();
    println!("{}", messages.recv().unwrap());
    println!("{}", messages.recv().unwrap());
    // ANCHOR_END: buffering
}

fn channel_synchronization() {
    // ANCHOR: synchronization
    fn worker(done: gort::Sender<bool>) {
        println!("working...");
        sleep(Duration::from_millis(10));
        println!("done");
        done.send(true).unwrap();
    }
    let (done_tx, done) = gort::chan::<bool>(1);
    gort::go!(worker(done_tx));
    done.recv().unwrap(); // block until the worker says it is done
                          // ANCHOR_END: synchronization
}

fn channel_directions() {
    // ANCHOR: directions
    // A `Sender` can only send and a `Receiver` only receive: the types are
    // Go's `chan<- string` and `<-chan string`.
    fn ping(pings: &gort::Sender<String>, msg: &str) {
        pings.send(msg.to_string()).unwrap();
    }
    fn pong(pings: &gort::Receiver<String>, pongs: &gort::Sender<String>) {
        let msg = pings.recv().unwrap();
        pongs.send(msg).unwrap();
    }
    let (pings_tx, pings) = gort::chan(1);
    let (pongs_tx, pongs) = gort::chan(1);
    ping(&pings_tx, "passed message");
    pong(&pings, &pongs_tx);
    println!("{}", pongs.recv().unwrap());
    // ANCHOR_END: directions
}

fn select() {
    // ANCHOR: select
    let (c1_tx, c1) = gort::chan::<&str>(0);
    let (c2_tx, c2) = gort::chan::<&str>(0);
    // Unlike Go, a gort channel closes when its last Sender is dropped, and
    // a closed channel is always ready in `select!`: keep a Sender of each
    // here, or the second pass could see c1 closed instead of waiting.
    let _keep = (c1_tx.clone(), c2_tx.clone());
    gort::go!(move || {
        sleep(Duration::from_millis(10));
        c1_tx.send("one").unwrap();
    });
    gort::go!(move || {
        sleep(Duration::from_millis(20));
        c2_tx.send("two").unwrap();
    });
    for _ in 0..2 {
        gort::select! {
            msg1 = <-c1 => println!("received {}", msg1.unwrap()),
            msg2 = <-c2 => println!("received {}", msg2.unwrap()),
        }
    }
    // ANCHOR_END: select
}

fn timeouts() {
    // ANCHOR: timeouts
    let (tx1, c1) = gort::chan::<&str>(1);
    gort::go!(move || {
        sleep(Duration::from_millis(200));
        let _ = tx1.send("result 1");
    });
    gort::select! {
        res = <-c1 => println!("{}", res.unwrap()),
        <-after(Duration::from_millis(100)) => println!("timeout 1"),
    }
    let (tx2, c2) = gort::chan::<&str>(1);
    gort::go!(move || {
        sleep(Duration::from_millis(20));
        let _ = tx2.send("result 2");
    });
    gort::select! {
        res = <-c2 => println!("{}", res.unwrap()),
        <-after(Duration::from_millis(300)) => println!("timeout 2"),
    }
    // ANCHOR_END: timeouts
}

fn non_blocking() {
    // ANCHOR: nonblocking
    let (messages_tx, messages) = gort::chan::<&str>(0);
    let (_signals_tx, signals) = gort::chan::<bool>(0);
    gort::select! {
        msg = <-messages => println!("received message {}", msg.unwrap()),
        default => println!("no message received"),
    }
    let msg = "hi";
    gort::select! {
        messages_tx <- msg => println!("sent message {msg}"),
        default => println!("no message sent"),
    }
    gort::select! {
        msg = <-messages => println!("received message {}", msg.unwrap()),
        sig = <-signals => println!("received signal {}", sig.unwrap()),
        default => println!("no activity"),
    }
    // ANCHOR_END: nonblocking
}

fn closing_channels() {
    // ANCHOR: closing
    // The worker reports what it received when it is done (Go's page
    // prints as it goes, interleaved with the sender in no fixed order).
    let (jobs_tx, jobs) = gort::chan::<u32>(5);
    let (done_tx, done) = gort::chan::<Vec<String>>(0);
    gort::go!(move || {
        let mut log = Vec::new();
        loop {
            match jobs.recv() {
                Ok(j) => log.push(format!("received job {j}")),
                Err(_) => {
                    log.push("received all jobs".to_string());
                    done_tx.send(log).unwrap();
                    return;
                }
            }
        }
    });
    for j in 1..=3 {
        jobs_tx.send(j).unwrap();
        println!("sent job {j}");
    }
    jobs_tx.close();
    println!("sent all jobs");
    for line in done.recv().unwrap() {
        println!("{line}");
    }
    // ANCHOR_END: closing
}

fn range_over_channels() {
    // ANCHOR: range
    let (queue_tx, queue) = gort::chan::<&str>(2);
    queue_tx.send("one").unwrap();
    queue_tx.send("two").unwrap();
    drop(queue_tx); // closed: the loop ends after the buffered values
    for elem in queue.iter() {
        println!("{elem}");
    }
    // ANCHOR_END: range
}

fn timers() {
    // ANCHOR: timers
    let timer1 = Timer::new(Duration::from_millis(20));
    timer1.receiver().recv().unwrap();
    println!("Timer 1 fired");
    let timer2 = Timer::new(Duration::from_millis(100));
    let t2 = timer2.receiver().clone();
    gort::go!(move || {
        if t2.recv().is_ok() {
            println!("Timer 2 fired");
        }
    });
    if timer2.stop() {
        println!("Timer 2 stopped");
    }
    sleep(Duration::from_millis(150)); // Timer 2 would have fired by now
                                       // ANCHOR_END: timers
}

fn tickers() {
    // ANCHOR: tickers
    let ticker = Ticker::new(Duration::from_millis(50));
    let (done_tx, done) = gort::chan::<bool>(0);
    let ticks = Arc::new(AtomicU64::new(0));
    let counted = ticks.clone();
    let t = gort::spawn(move || loop {
        gort::select! {
            <-done => return,
            <-&ticker => { counted.fetch_add(1, SeqCst); }
        }
    });
    sleep(Duration::from_millis(180));
    done_tx.send(true).unwrap();
    t.join().unwrap();
    // Go prints each tick's time; here, that it ticked at most every 50 ms.
    println!(
        "Ticker stopped after 1 to 3 ticks: {}",
        (1..=3).contains(&ticks.load(SeqCst))
    );
    // ANCHOR_END: tickers
}

fn worker_pools() {
    // ANCHOR: workerpools
    fn worker(jobs: gort::Receiver<u32>, results: gort::Sender<(u32, u32)>) {
        for j in jobs.iter() {
            sleep(Duration::from_millis(10)); // an expensive task
            results.send((j, j * 2)).unwrap();
        }
    }
    let (jobs_tx, jobs) = gort::chan::<u32>(5);
    let (results_tx, results) = gort::chan::<(u32, u32)>(5);
    for _ in 1..=3 {
        gort::go!(worker(jobs.clone(), results_tx.clone()));
    }
    drop(results_tx);
    for j in 1..=5 {
        jobs_tx.send(j).unwrap();
    }
    drop(jobs_tx);
    let mut done: Vec<_> = results.iter().collect();
    done.sort(); // Go's page prints them in whatever order they finish
    for (job, result) in done {
        println!("job {job} -> {result}");
    }
    // ANCHOR_END: workerpools
}

fn waitgroups() {
    // ANCHOR: waitgroups
    let wg = WaitGroup::new();
    let finished = Arc::new(Mutex::new(Vec::new()));
    for id in 1..=5 {
        let finished = finished.clone();
        wg.go(move || {
            sleep(Duration::from_millis(10));
            finished.lock().push(id);
        });
    }
    wg.wait();
    let mut ids = finished.lock().clone();
    ids.sort();
    println!("workers done: {ids:?}");
    // ANCHOR_END: waitgroups
}

fn rate_limiting() {
    // ANCHOR: ratelimiting
    let (requests_tx, requests) = gort::chan::<u32>(5);
    for i in 1..=5 {
        requests_tx.send(i).unwrap();
    }
    drop(requests_tx);
    let limiter = Ticker::new(Duration::from_millis(20));
    let start = std::time::Instant::now();
    for req in requests.iter() {
        limiter.recv();
        println!("request {req}");
    }
    println!(
        "five requests, one per tick: {}",
        start.elapsed() >= Duration::from_millis(100)
    );
    // ANCHOR_END: ratelimiting
}

fn atomic_counters() {
    // ANCHOR: atomics
    let ops = Arc::new(AtomicU64::new(0));
    let wg = WaitGroup::new();
    for _ in 0..50 {
        let ops = ops.clone();
        wg.go(move || {
            for _ in 0..1000 {
                ops.fetch_add(1, SeqCst);
            }
        });
    }
    wg.wait();
    println!("ops: {}", ops.load(SeqCst));
    // ANCHOR_END: atomics
}

fn mutexes() {
    // ANCHOR: mutexes
    let counters = Arc::new(Mutex::new(HashMap::from([("a", 0), ("b", 0)])));
    let wg = WaitGroup::new();
    for (name, n) in [("a", 10000), ("a", 10000), ("b", 10000)] {
        let counters = counters.clone();
        wg.go(move || {
            for _ in 0..n {
                *counters.lock().get_mut(name).unwrap() += 1;
            }
        });
    }
    wg.wait();
    let c = counters.lock();
    println!("map[a:{} b:{}]", c["a"], c["b"]);
    // ANCHOR_END: mutexes
}

fn stateful_goroutines() {
    // ANCHOR: stateful
    // One goroutine owns the map; others read and write through channels.
    enum Op {
        Read(u32, gort::Sender<u32>),
        Write(u32, u32, gort::Sender<bool>),
    }
    let (ops_tx, ops) = gort::chan::<Op>(0);
    gort::go!(move || {
        let mut state = HashMap::new();
        for op in ops.iter() {
            match op {
                Op::Read(key, resp) => resp.send(*state.get(&key).unwrap_or(&0)).unwrap(),
                Op::Write(key, val, resp) => {
                    state.insert(key, val);
                    resp.send(true).unwrap();
                }
            }
        }
    });
    let (reads, writes) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let wg = WaitGroup::new();
    for w in 0..10u32 {
        let (ops_tx, writes) = (ops_tx.clone(), writes.clone());
        wg.go(move || {
            for i in 0..10 {
                let (resp_tx, resp) = gort::chan(0);
                ops_tx
                    .send(Op::Write(w, i, resp_tx))
                    .unwrap_or_else(|_| panic!("owner gone"));
                resp.recv().unwrap();
                writes.fetch_add(1, SeqCst);
            }
        });
    }
    for r in 0..100u32 {
        let (ops_tx, reads) = (ops_tx.clone(), reads.clone());
        wg.go(move || {
            let (resp_tx, resp) = gort::chan(0);
            ops_tx
                .send(Op::Read(r % 10, resp_tx))
                .unwrap_or_else(|_| panic!("owner gone"));
            resp.recv().unwrap();
            reads.fetch_add(1, SeqCst);
        });
    }
    wg.wait();
    println!("readOps: {}", reads.load(SeqCst));
    println!("writeOps: {}", writes.load(SeqCst));
    // ANCHOR_END: stateful
}

fn contexts() {
    // ANCHOR: context
    // A request handler that gives up when its context is cancelled.
    fn handler(ctx: gort::context::Context) -> &'static str {
        gort::select! {
            <-after(Duration::from_millis(500)) => "hello",
            <-ctx.done() => "server: context canceled",
        }
    }
    let (ctx, cancel) = gort::context::with_cancel(&gort::context::background());
    let h = gort::spawn(move || handler(ctx));
    sleep(Duration::from_millis(20)); // the client hangs up
    cancel.cancel();
    println!("{}", h.join().unwrap());
    // ANCHOR_END: context
}

#[gort::main]
fn main() {
    let pages: [(&str, fn()); 19] = [
        ("Goroutines", goroutines),
        ("Channels", channels),
        ("Channel Buffering", channel_buffering),
        ("Channel Synchronization", channel_synchronization),
        ("Channel Directions", channel_directions),
        ("Select", select),
        ("Timeouts", timeouts),
        ("Non-Blocking Channel Operations", non_blocking),
        ("Closing Channels", closing_channels),
        ("Range over Channels", range_over_channels),
        ("Timers", timers),
        ("Tickers", tickers),
        ("Worker Pools", worker_pools),
        ("WaitGroups", waitgroups),
        ("Rate Limiting", rate_limiting),
        ("Atomic Counters", atomic_counters),
        ("Mutexes", mutexes),
        ("Stateful Goroutines", stateful_goroutines),
        ("Context", contexts),
    ];
    for (title, page) in pages {
        println!("== {title}");
        page();
    }
}
