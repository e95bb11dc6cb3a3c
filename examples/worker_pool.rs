// A worker pool, Go's classic: a fixed number of workers take jobs from one
// channel and put results on another. A WaitGroup counts the workers, and a
// small goroutine closes the results channel once they have all finished,
// so the consumer's loop over the results ends by itself.
//
// The job: the length of the Collatz sequence from n down to 1 — cheap,
// uneven work, easy to check against a plain loop.
//
// Run it: cargo run --release --example worker_pool
// (JOBS=1000000 WORKERS=16 for more; the default is small so the test is quick.)

// ANCHOR: pool
use gort::sync::WaitGroup;
use gort::{Receiver, Sender};

struct Job {
    n: u64,
}

struct Outcome {
    n: u64,
    steps: u32,
    worker: usize,
}

fn collatz_steps(mut n: u64) -> u32 {
    let mut steps = 0;
    while n != 1 {
        n = if n % 2 == 1 { 3 * n + 1 } else { n / 2 };
        steps += 1;
    }
    steps
}

/// One worker: take jobs until the jobs channel is closed and empty.
fn worker(id: usize, jobs: Receiver<Job>, results: Sender<Outcome>, wg: WaitGroup) {
    for job in &jobs {
        let steps = collatz_steps(job.n);
        results
            .send(Outcome {
                n: job.n,
                steps,
                worker: id,
            })
            .unwrap();
    }
    wg.done(); // Go: defer wg.Done()
}

fn run_pool(workers: usize, n_jobs: u64) -> Vec<Outcome> {
    let (jobs_tx, jobs_rx) = gort::chan::<Job>(64);
    let (results_tx, results_rx) = gort::chan::<Outcome>(64);

    // Start the workers.
    let wg = WaitGroup::new();
    for id in 0..workers {
        wg.add(1);
        gort::go!(worker(id, jobs_rx.clone(), results_tx.clone(), wg.clone()));
    }

    // Close `results` once every worker is done: Go's
    //     go func() { wg.Wait(); close(results) }()
    gort::go!(move || {
        wg.wait();
        results_tx.close();
    });

    // Feed the jobs from another goroutine, then close `jobs`: the workers'
    // loops end once they have taken what is left.
    gort::go!(move || {
        for n in 1..=n_jobs {
            jobs_tx.send(Job { n }).unwrap();
        }
        jobs_tx.close();
    });

    // Collect until `results` is closed.
    results_rx.iter().collect()
}
// ANCHOR_END: pool

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[gort::main]
fn main() {
    let n_jobs = env_or("JOBS", 20_000);
    let workers = env_or("WORKERS", 4) as usize;
    let start = std::time::Instant::now();
    let mut outcomes = run_pool(workers, n_jobs);
    let elapsed = start.elapsed();

    // Every job done exactly once, each result right.
    assert_eq!(outcomes.len() as u64, n_jobs);
    outcomes.sort_unstable_by_key(|o| o.n);
    for (o, n) in outcomes.iter().zip(1..) {
        assert_eq!(o.n, n, "job {n} missing or duplicated");
        assert_eq!(o.steps, collatz_steps(n));
    }

    let mut per_worker = vec![0; workers];
    for o in &outcomes {
        per_worker[o.worker] += 1;
    }
    let longest = outcomes.iter().max_by_key(|o| o.steps).unwrap();
    println!(
        "{n_jobs} jobs on {workers} workers in {:.1} ms; jobs per worker: {per_worker:?}",
        elapsed.as_secs_f64() * 1e3
    );
    println!(
        "longest Collatz sequence below {}: {} takes {} steps",
        n_jobs + 1,
        longest.n,
        longest.steps
    );
}
