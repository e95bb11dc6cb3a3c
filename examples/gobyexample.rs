// gort by Example: Go by Example's concurrency pages (gobyexample.com), each
// rewritten with gort as a function below, in the site's order, as close to
// the Go program as Rust allows. One change throughout: every duration is a
// tenth of Go's (a second is 100 ms here), so that the whole program runs
// in about two seconds. The book's appendix shows the pages one by one,
// each with what it prints, which tests/book.rs checks page by page (with
// numbers and line order free where they vary from run to run, in Go too).
//
// Run it: cargo run --example gobyexample             (every page)
//         cargo run --example gobyexample -- tickers  (one page; its title
//         in lower case with dashes: closing-channels, rate-limiting, ...)

use gort::context::{background, with_cancel, Context};
use gort::sync::{Mutex, WaitGroup};
use gort::time::{after, sleep, tick, Duration, Instant, Ticker, Timer};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::Arc;

fn goroutines() {
    // ANCHOR: goroutines
    fn f(from: &str) {
        for i in 0..3 {
            println!("{from} : {i}");
        }
    }
    f("direct");
    gort::go!(f("goroutine"));
    let anonymous = |msg: &str| println!("{msg}");
    gort::go!(anonymous("going"));
    sleep(Duration::from_millis(100));
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
    let (messages_tx, messages) = gort::chan::<&str>(2);
    messages_tx.send("buffered").unwrap(); // no receiver needed: there is room
    messages_tx.send("channel").unwrap();
    println!("{}", messages.recv().unwrap());
    println!("{}", messages.recv().unwrap());
    // ANCHOR_END: buffering
}

fn channel_synchronization() {
    // ANCHOR: synchronization
    fn worker(done: gort::Sender<bool>) {
        print!("working...");
        std::io::stdout().flush().unwrap(); // Rust's stdout waits for a newline
        sleep(Duration::from_millis(100));
        println!("done");
        done.send(true).unwrap();
    }
    let (done_tx, done) = gort::chan::<bool>(1);
    gort::go!(worker(done_tx));
    // Block until the worker says it is done.
    done.recv().unwrap();
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
        sleep(Duration::from_millis(100));
        c1_tx.send("one").unwrap();
    });
    gort::go!(move || {
        sleep(Duration::from_millis(200));
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
    let (c1_tx, c1) = gort::chan::<&str>(1);
    gort::go!(move || {
        sleep(Duration::from_millis(200));
        let _ = c1_tx.send("result 1"); // nobody receives it: the buffer takes it
    });
    gort::select! {
        res = <-c1 => println!("{}", res.unwrap()),
        <-after(Duration::from_millis(100)) => println!("timeout 1"),
    }
    let (c2_tx, c2) = gort::chan::<&str>(1);
    gort::go!(move || {
        sleep(Duration::from_millis(200));
        let _ = c2_tx.send("result 2");
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
    let (jobs_tx, jobs) = gort::chan::<u32>(5);
    let (done_tx, done) = gort::chan::<bool>(0);
    let worker_jobs = jobs.clone(); // a second Receiver of the same channel
    gort::go!(move || loop {
        match worker_jobs.recv() {
            Ok(j) => println!("received job {j}"),
            Err(_) => {
                println!("received all jobs");
                done_tx.send(true).unwrap();
                return;
            }
        }
    });
    for j in 1..=3 {
        jobs_tx.send(j).unwrap();
        println!("sent job {j}");
    }
    jobs_tx.close();
    println!("sent all jobs");
    done.recv().unwrap();
    // A closed, drained channel: every receive fails at once.
    let ok = jobs.recv().is_ok();
    println!("received more jobs: {ok}");
    // ANCHOR_END: closing
}

fn range_over_channels() {
    // ANCHOR: range
    let (queue_tx, queue) = gort::chan::<&str>(2);
    queue_tx.send("one").unwrap();
    queue_tx.send("two").unwrap();
    queue_tx.close(); // (dropping queue_tx would close it too)
    for elem in queue.iter() {
        println!("{elem}");
    }
    // ANCHOR_END: range
}

fn timers() {
    // ANCHOR: timers
    let timer1 = Timer::new(Duration::from_millis(200));
    timer1.receiver().recv().unwrap();
    println!("Timer 1 fired");
    let timer2 = Timer::new(Duration::from_millis(100));
    let timer2_c = timer2.receiver().clone();
    gort::go!(move || {
        // A stopped timer's channel stays open (Go 1.23): as in Go, this
        // goroutine waits here for good. (`Err` would mean it was closed.)
        if timer2_c.recv().is_ok() {
            println!("Timer 2 fired");
        }
    });
    let stop2 = timer2.stop();
    if stop2 {
        println!("Timer 2 stopped");
    }
    sleep(Duration::from_millis(200)); // Timer 2 would have fired by now
                                       // ANCHOR_END: timers
}

fn tickers() {
    // ANCHOR: tickers
    let start = Instant::now();
    let ticker = Ticker::new(Duration::from_millis(100));
    let (done_tx, done) = gort::chan::<bool>(0);
    let ticker_c = ticker.receiver().clone();
    gort::go!(move || loop {
        gort::select! {
            <-done => return,
            // An `Instant` has no date: print how long after `start` it is
            // (Go's "m=+0.5" part of a time).
            t = <-ticker_c => println!("Tick at +{:.1?}", t.unwrap() - start),
        }
    });
    // Go ticks every 500 ms and stops at 1600: 100 ms after its third tick.
    // A tenth of that would leave 10 ms; ticks every 100 ms and a stop at
    // 350 ms keep the three ticks with 50 ms to spare on either side.
    sleep(Duration::from_millis(350));
    ticker.stop();
    done_tx.send(true).unwrap();
    println!("Ticker stopped");
    // ANCHOR_END: tickers
}

fn worker_pools() {
    // ANCHOR: workerpools
    fn worker(id: u32, jobs: gort::Receiver<u32>, results: gort::Sender<u32>) {
        for j in jobs.iter() {
            println!("worker {id} started  job {j}");
            sleep(Duration::from_millis(100));
            println!("worker {id} finished job {j}");
            results.send(j * 2).unwrap();
        }
    }
    const NUM_JOBS: u32 = 5;
    let (jobs_tx, jobs) = gort::chan::<u32>(NUM_JOBS as usize);
    let (results_tx, results) = gort::chan::<u32>(NUM_JOBS as usize);
    for w in 1..=3 {
        gort::go!(worker(w, jobs.clone(), results_tx.clone()));
    }
    for j in 1..=NUM_JOBS {
        jobs_tx.send(j).unwrap();
    }
    jobs_tx.close();
    for _ in 1..=NUM_JOBS {
        results.recv().unwrap();
    }
    // ANCHOR_END: workerpools
}

fn waitgroups() {
    // ANCHOR: waitgroups
    fn worker(id: u32) {
        println!("Worker {id} starting");
        sleep(Duration::from_millis(100));
        println!("Worker {id} done");
    }
    let wg = WaitGroup::new();
    for i in 1..=5 {
        wg.go(move || worker(i));
    }
    wg.wait();
    // ANCHOR_END: waitgroups
}

fn rate_limiting() {
    // ANCHOR: ratelimiting
    // An `Instant` has no date: each line shows the time since `start`.
    let start = Instant::now();
    let (requests_tx, requests) = gort::chan::<u32>(5);
    for i in 1..=5 {
        requests_tx.send(i).unwrap();
    }
    requests_tx.close();
    let limiter = tick(Duration::from_millis(20));
    for req in requests.iter() {
        limiter.recv().unwrap();
        println!("request {req} +{:.1?}", start.elapsed());
    }

    let (bursty_tx, bursty_limiter) = gort::chan::<Instant>(3);
    for _ in 0..3 {
        bursty_tx.send(Instant::now()).unwrap();
    }
    let refill = gort::spawn(move || {
        for t in tick(Duration::from_millis(20)).iter() {
            if bursty_tx.send(t).is_err() {
                return; // no one can receive any more
            }
        }
    });
    let (bursty_requests_tx, bursty_requests) = gort::chan::<u32>(5);
    for i in 1..=5 {
        bursty_requests_tx.send(i).unwrap();
    }
    bursty_requests_tx.close();
    for req in bursty_requests.iter() {
        bursty_limiter.recv().unwrap();
        println!("request {req} +{:.1?}", start.elapsed());
    }
    // Go's program ends here, and its goroutines with it. More pages follow
    // in this one: drop the limiter's only Receiver, so that the refilling
    // goroutine's next send fails and it returns, and wait for it.
    drop(bursty_limiter);
    refill.join().unwrap();
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
    struct Container {
        counters: Mutex<BTreeMap<&'static str, u32>>, // the Mutex holds what it guards
    }
    impl Container {
        fn inc(&self, name: &str) {
            *self.counters.lock().get_mut(name).unwrap() += 1; // unlocked at the `;`
        }
    }
    let c = Arc::new(Container {
        counters: Mutex::new(BTreeMap::from([("a", 0), ("b", 0)])),
    });
    let wg = WaitGroup::new();
    let do_increment = |name: &'static str, n: u32| {
        let c = c.clone();
        move || {
            for _ in 0..n {
                c.inc(name);
            }
        }
    };
    wg.go(do_increment("a", 10000));
    wg.go(do_increment("a", 10000));
    wg.go(do_increment("b", 10000));
    wg.wait();
    // Go's fmt prints a map as map[k:v ...], its keys sorted.
    let counters = c.counters.lock();
    let entries: Vec<String> = counters.iter().map(|(k, v)| format!("{k}:{v}")).collect();
    println!("map[{}]", entries.join(" "));
    // ANCHOR_END: mutexes
}

fn stateful_goroutines() {
    // ANCHOR: stateful
    struct ReadOp {
        key: u64,
        resp: gort::Sender<u64>,
    }
    struct WriteOp {
        key: u64,
        val: u64,
        resp: gort::Sender<bool>,
    }
    // Go's rand.Intn(n), without a crate: std's hasher keys are random.
    fn rand_intn(n: u64) -> u64 {
        use std::hash::BuildHasher;
        std::collections::hash_map::RandomState::new().hash_one(0) % n
    }
    let read_ops = Arc::new(AtomicU64::new(0));
    let write_ops = Arc::new(AtomicU64::new(0));
    let (reads_tx, reads) = gort::chan::<ReadOp>(0);
    let (writes_tx, writes) = gort::chan::<WriteOp>(0);
    // Not in Go's program; see the end.
    let (quit_tx, quit) = gort::chan::<()>(0);

    gort::go!(move || {
        let mut state = HashMap::new();
        loop {
            gort::select! {
                read = <-reads => {
                    let read = read.unwrap();
                    read.resp.send(*state.get(&read.key).unwrap_or(&0)).unwrap();
                }
                write = <-writes => {
                    let write = write.unwrap();
                    state.insert(write.key, write.val);
                    write.resp.send(true).unwrap();
                }
                <-quit => return,
            }
        }
    });

    let wg = WaitGroup::new();
    for _ in 0..100 {
        let (reads, read_ops) = (reads_tx.clone(), read_ops.clone());
        wg.go(move || loop {
            let (resp, resp_rx) = gort::chan(0);
            let read = ReadOp {
                key: rand_intn(5),
                resp,
            };
            if reads.send(read).is_err() {
                return; // the state's owner has stopped
            }
            resp_rx.recv().unwrap();
            read_ops.fetch_add(1, SeqCst);
            sleep(Duration::from_micros(100));
        });
    }
    for _ in 0..10 {
        let (writes, write_ops) = (writes_tx.clone(), write_ops.clone());
        wg.go(move || loop {
            let (resp, resp_rx) = gort::chan(0);
            let write = WriteOp {
                key: rand_intn(5),
                val: rand_intn(100),
                resp,
            };
            if writes.send(write).is_err() {
                return;
            }
            resp_rx.recv().unwrap();
            write_ops.fetch_add(1, SeqCst);
            sleep(Duration::from_micros(100));
        });
    }

    sleep(Duration::from_millis(100));
    println!("readOps: {}", read_ops.load(SeqCst));
    println!("writeOps: {}", write_ops.load(SeqCst));
    // Go's program ends here, and its goroutines with it. More pages follow
    // in this one, so stop them: closing `quit` ends the owner, which drops
    // the only Receivers of `reads` and `writes`; every send to them then
    // fails, and the goroutines return.
    drop(quit_tx);
    wg.wait();
    // ANCHOR_END: stateful
}

fn contexts() {
    // ANCHOR: context
    // Go's handler, with a String for its http.ResponseWriter.
    fn hello(w: &mut String, ctx: &Context) {
        println!("server: hello handler started");
        gort::select! {
            <-after(Duration::from_secs(1)) => w.push_str("hello\n"),
            <-ctx.done() => {
                let err = ctx.err().unwrap();
                println!("server: {err}");
                w.push_str(&format!("{err}\n")); // Go: http.Error(w, err.Error(), 500)
            }
        }
        println!("server: hello handler ended"); // Go defers this
    }
    // What net/http does for each request: run the handler in a goroutine,
    // with a context that it cancels when the client goes away.
    let (ctx, cancel) = with_cancel(&background());
    let request = gort::spawn(move || {
        let mut w = String::new();
        hello(&mut w, &ctx);
        w
    });
    sleep(Duration::from_millis(200)); // the client gives up (curl, then Ctrl-C)
    cancel.cancel();
    request.join().unwrap(); // the response, to a client that has gone
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
    // One page if the first argument names one; else all of them (the
    // test harness, which calls this `main`, passes arguments of its own).
    let wanted = std::env::args().nth(1);
    let slug = |title: &str| title.to_lowercase().replace(' ', "-");
    match pages.iter().find(|(title, _)| Some(slug(title)) == wanted) {
        Some((_, page)) => page(),
        None => {
            for (title, page) in pages {
                println!("== {title}");
                page();
            }
        }
    }
}
