// Rob Pike's load balancer, from the talk "Concurrency is not Parallelism".
//
// Requesters send Requests — some work plus a channel for the answer — at
// random intervals. A Balancer keeps its Workers in a heap ordered by how
// much work each has pending, hands every request to the least loaded one,
// and, when a worker reports a request done, lowers its count. It does both
// in one loop that selects over "a new request" and "a request finished".
//
// For comparison a round-robin dispatcher, fed the very same requests, runs
// beside it. At the end the program prints, for each, the mean and the
// variance of the workers' loads (pending requests, sampled at every
// dispatch) and the requesters' mean wait: the balancer keeps the loads even.
//
// Times are simulated with gort::time::sleep and random numbers come from a
// seeded generator, so a run takes a few tens of milliseconds.
//
// Run it: cargo run --release --example load_balancer
// (REQUESTS=200 makes each requester send more; the default is 20.)

use gort::sync::WaitGroup;
use gort::time::{sleep, Duration, Instant};

const WORKERS: usize = 4;
const REQUESTERS: usize = 12;

// ANCHOR: request
use gort::{Receiver, Sender};

/// Some work, and where to send its result (Pike: `fn func() int; c chan int`).
struct Request {
    work: Box<dyn FnOnce() -> u64 + Send>,
    reply: Sender<u64>,
}

/// A client: pause, ask, wait for the answer; `n` times. Returns the total
/// time spent waiting for answers.
fn requester(n: u64, work: Sender<Request>, mut rng: Rng) -> Duration {
    let (reply, answers) = gort::chan(0); // one reply channel, reused
    let mut waited = Duration::ZERO;
    for i in 0..n {
        sleep(Duration::from_micros(rng.below(2_000))); // a random pause
        let cost = rng.work_cost();
        let asked = Instant::now();
        work.send(Request {
            work: Box::new(move || {
                sleep(cost); // "work" that takes a while
                i * i
            }),
            reply: reply.clone(),
        })
        .unwrap();
        let answer = answers.recv().unwrap();
        waited += asked.elapsed();
        assert_eq!(answer, i * i); // Pike: furtherProcess(result)
    }
    waited
}
// ANCHOR_END: request

// ANCHOR: worker
/// A worker: do each request, answer it, and tell the balancer it is done.
fn worker(id: usize, requests: Receiver<Request>, done: Sender<usize>) {
    for req in requests {
        req.reply.send((req.work)()).unwrap();
        done.send(id).unwrap();
    }
}
// ANCHOR_END: worker

// ANCHOR: balancer
#[derive(Clone, Copy)]
enum Policy {
    LeastLoaded,
    RoundRobin,
}

struct Balancer {
    pool: Pool,
    done: Receiver<usize>,
    policy: Policy,
    next: usize,      // round-robin's turn
    in_flight: usize, // dispatched, not yet done
    load: LoadStats,
}

impl Balancer {
    /// Pike's `balance`: serve until the requesters have all gone and every
    /// request is done.
    fn balance(&mut self, work: Receiver<Request>) {
        let mut work = Some(work);
        while work.is_some() || self.in_flight > 0 {
            gort::select! {
                req = <-work => match req {
                    Ok(req) => self.dispatch(req),
                    // Closed: every requester has finished. A `None` is a
                    // nil channel, a case select! never picks.
                    Err(_) => work = None,
                },
                w = <-self.done => self.completed(w.unwrap()),
            }
        }
    }

    /// Send the request to a worker; it has one more pending.
    fn dispatch(&mut self, req: Request) {
        let w = match self.policy {
            Policy::LeastLoaded => self.pool.least_loaded(),
            Policy::RoundRobin => {
                self.next = (self.next + 1) % self.pool.workers.len();
                self.next
            }
        };
        self.pool.workers[w].requests.send(req).unwrap();
        self.pool.add_pending(w, 1);
        self.in_flight += 1;
        self.load.sample(&self.pool);
    }

    /// Worker `w` is done with a request; it has one fewer pending.
    fn completed(&mut self, w: usize) {
        self.pool.add_pending(w, -1);
        self.in_flight -= 1;
    }
}
// ANCHOR_END: balancer

// ANCHOR: pool
/// A worker, as the balancer sees it.
struct Worker {
    requests: Sender<Request>,
    pending: usize,
    index: usize, // where it is in the heap
}

/// The workers in a binary min-heap on `pending`. Each worker knows its
/// place in the heap, so a changed count is fixed in place (Go: heap.Fix).
struct Pool {
    workers: Vec<Worker>,
    heap: Vec<usize>, // worker ids; heap[0] is the least loaded
}

impl Pool {
    fn least_loaded(&self) -> usize {
        self.heap[0]
    }

    fn add_pending(&mut self, w: usize, delta: isize) {
        let worker = &mut self.workers[w];
        worker.pending = worker.pending.checked_add_signed(delta).unwrap();
        let i = worker.index;
        self.up(i);
        self.down(self.workers[w].index);
    }

    fn less(&self, i: usize, j: usize) -> bool {
        self.workers[self.heap[i]].pending < self.workers[self.heap[j]].pending
    }

    fn swap(&mut self, i: usize, j: usize) {
        self.heap.swap(i, j);
        self.workers[self.heap[i]].index = i;
        self.workers[self.heap[j]].index = j;
    }

    fn up(&mut self, mut i: usize) {
        while i > 0 && self.less(i, (i - 1) / 2) {
            self.swap(i, (i - 1) / 2);
            i = (i - 1) / 2;
        }
    }

    fn down(&mut self, mut i: usize) {
        loop {
            let (left, right) = (2 * i + 1, 2 * i + 2);
            let mut least = i;
            if left < self.heap.len() && self.less(left, least) {
                least = left;
            }
            if right < self.heap.len() && self.less(right, least) {
                least = right;
            }
            if least == i {
                return;
            }
            self.swap(i, least);
            i = least;
        }
    }
}
// ANCHOR_END: pool

/// Mean and variance of the workers' pending counts, averaged over samples.
#[derive(Default)]
struct LoadStats {
    samples: u32,
    mean: f64,
    variance: f64,
}

impl LoadStats {
    fn sample(&mut self, pool: &Pool) {
        let n = pool.workers.len() as f64;
        let loads = pool.workers.iter().map(|w| w.pending as f64);
        let mean = loads.clone().sum::<f64>() / n;
        let variance = loads.map(|l| (l - mean) * (l - mean)).sum::<f64>() / n;
        self.samples += 1;
        self.mean += mean;
        self.variance += variance;
    }

    fn averages(&self) -> (f64, f64) {
        let n = f64::from(self.samples.max(1));
        (self.mean / n, self.variance / n)
    }
}

/// A small, seeded random number generator (xorshift64), so every run — and
/// both policies — see the same requests.
struct Rng(u64);

impl Rng {
    fn seeded(seed: u64) -> Rng {
        Rng((seed + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }

    /// Most requests are quick; one in five takes much longer.
    fn work_cost(&mut self) -> Duration {
        if self.below(5) == 0 {
            Duration::from_micros(1_500 + self.below(1_500))
        } else {
            Duration::from_micros(50 + self.below(200))
        }
    }
}

struct Report {
    mean_load: f64,
    load_variance: f64,
    mean_wait: Duration,
    served: u64,
}

// ANCHOR: simulate
/// Requesters, a balancer with `policy`, and workers; run until all are done.
fn simulate(policy: Policy, requests_each: u64) -> Report {
    let (work_tx, work) = gort::chan::<Request>(0);
    let requesters: Vec<_> = (0..REQUESTERS)
        .map(|id| {
            let work = work_tx.clone();
            let rng = Rng::seeded(id as u64);
            gort::spawn(move || requester(requests_each, work, rng))
        })
        .collect();
    drop(work_tx); // now `work` closes when the last requester finishes

    let (done_tx, done) = gort::chan(0);
    let workers_exited = WaitGroup::new();
    let workers = (0..WORKERS)
        .map(|id| {
            // A worker never has more than REQUESTERS requests pending (each
            // requester waits for its answer), so dispatch never blocks.
            let (requests, rx) = gort::chan(REQUESTERS);
            let done = done_tx.clone();
            workers_exited.go(move || worker(id, rx, done));
            Worker {
                requests,
                pending: 0,
                index: id,
            }
        })
        .collect();
    drop(done_tx);

    let mut balancer = Balancer {
        pool: Pool {
            workers,
            heap: (0..WORKERS).collect(),
        },
        done,
        policy,
        next: 0,
        in_flight: 0,
        load: LoadStats::default(),
    };
    balancer.balance(work);
    let (mean_load, load_variance) = balancer.load.averages();
    let served = u64::from(balancer.load.samples);
    drop(balancer); // closes the workers' request channels: they return
    workers_exited.wait();

    let waited: Duration = requesters.into_iter().map(|r| r.join().unwrap()).sum();
    Report {
        mean_load,
        load_variance,
        mean_wait: waited / served as u32,
        served,
    }
}
// ANCHOR_END: simulate

#[gort::main]
fn main() {
    let requests_each = std::env::var("REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let start = Instant::now();
    // The two dispatchers run side by side, on the same requests.
    let balanced = gort::spawn(move || simulate(Policy::LeastLoaded, requests_each));
    let round_robin = gort::spawn(move || simulate(Policy::RoundRobin, requests_each));
    let runs = [
        ("least loaded (heap)", balanced.join().unwrap()),
        ("round robin", round_robin.join().unwrap()),
    ];
    println!("{REQUESTERS} requesters, {WORKERS} workers, {requests_each} requests each:");
    for (name, r) in &runs {
        assert_eq!(r.served, REQUESTERS as u64 * requests_each);
        println!(
            "  {name:20} load mean {:.2}, variance {:.2}; mean wait {:.2} ms",
            r.mean_load,
            r.load_variance,
            r.mean_wait.as_secs_f64() * 1e3
        );
    }
    println!(
        "({} requests served in {:.1} ms)",
        2 * runs[0].1.served,
        start.elapsed().as_secs_f64() * 1e3
    );
}
