// The short listings of the book's "Goroutines" chapter, each run by `main`
// and checked: the three forms of `go!`, and `spawn` with `join`.
//
// Run it: cargo run --example goroutines_tour

use gort::sync::WaitGroup;
use gort::{Receiver, Sender};

fn fetch(url: &'static str, results: Sender<String>) {
    results.send(format!("fetched {url}")).unwrap();
}

fn worker(id: u32, jobs: Receiver<u32>, results: Sender<String>) {
    for job in jobs {
        results.send(format!("worker {id} did job {job}")).unwrap();
    }
}

fn forms_of_go() {
    let (results, got) = gort::chan::<String>(2);
    let (job_tx, jobs) = gort::chan::<u32>(1);
    let (url, id) = ("https://go.dev", 1);
    let worker_results = results.clone();
    let wg = WaitGroup::new();
    wg.add(1);
    let tick = || println!("tick");
    let finished = wg.clone();
    let tock = move || finished.done();
    // ANCHOR: forms
    gort::go!(fetch(url, results.clone())); // a call: arguments evaluated now
    gort::go!(move || worker(id, jobs, worker_results)); // a closure
    gort::go!({
        // a block (captures by move)
        tick();
        tock();
    });
    // ANCHOR_END: forms
    job_tx.send(7).unwrap();
    drop(job_tx); // the worker's loop ends after job 7
    wg.wait(); // the block ran
    let mut lines: Vec<String> = got.iter().take(2).collect();
    lines.sort();
    assert_eq!(lines, ["fetched https://go.dev", "worker 1 did job 7"]);
}

fn expensive(n: u64) -> u64 {
    (1..=n).sum()
}

fn spawn_and_join() {
    // ANCHOR: spawn
    let h = gort::spawn(|| expensive(42));
    // join parks this goroutine until the other one is done:
    let answer = h.join().unwrap();
    // ANCHOR_END: spawn
    assert_eq!(answer, 903);
}

#[gort::main]
fn main() {
    forms_of_go();
    spawn_and_join();
    println!("goroutines tour: ok");
}
