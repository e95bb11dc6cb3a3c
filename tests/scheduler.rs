//! The scheduler, through the public API: goroutines run, park, wake, migrate
//! and get stolen; `run`, `spawn`, `JoinHandle`, `WaitGroup` and the
//! `runtime` functions behave as documented. Every test runs under
//! GOMAXPROCS 1, 2, 8, 16 and 64 (see common/mod.rs).

mod common;

use common::eventually;
use gort::sync::WaitGroup;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::*};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn main() {
    common::main(&[
        ("every_goroutine_runs_once", every_goroutine_runs_once),
        (
            "a_shrink_frees_the_goroutines_queued_on_a_surplus_p",
            a_shrink_frees_the_goroutines_queued_on_a_surplus_p,
        ),
        ("one_million_goroutines", one_million_goroutines),
        (
            "many_goroutines_parked_at_once",
            many_goroutines_parked_at_once,
        ),
        (
            "goroutines_spawned_on_one_p_run_in_parallel",
            spawned_on_one_p_run_in_parallel,
        ),
        ("yield_lets_others_run", yield_lets_others_run),
        (
            "a_runnext_chain_cannot_starve_its_p",
            runnext_chain_cannot_starve_its_p,
        ),
        (
            "join_from_goroutines_and_threads",
            join_from_goroutines_and_threads,
        ),
        ("join_returns_the_panic", join_returns_the_panic),
        (
            "run_resumes_a_panic_in_the_caller",
            run_resumes_a_panic_in_the_caller,
        ),
        (
            "run_from_many_threads_at_once",
            run_from_many_threads_at_once,
        ),
        ("run_inside_a_goroutine", run_inside_a_goroutine),
        ("goroutine_ids_are_unique", goroutine_ids_are_unique),
        (
            "num_goroutine_counts_live_goroutines",
            num_goroutine_counts_live_goroutines,
        ),
        ("gomaxprocs_query_and_set", gomaxprocs_query_and_set),
        (
            "gomaxprocs_flips_while_ms_go_idle",
            gomaxprocs_flips_while_ms_go_idle,
        ),
        (
            "waitgroup_blocks_plain_threads",
            waitgroup_blocks_plain_threads,
        ),
        (
            "waitgroup_negative_counter_panics",
            waitgroup_negative_counter_panics,
        ),
        ("park_and_wake_race_stress", park_and_wake_race_stress),
        (
            "a_sleeper_wakes_on_time_while_every_p_spins",
            a_sleeper_wakes_on_time_while_every_p_spins,
        ),
    ])
}

/// 10,000 goroutines each record their index; every index appears once.
fn every_goroutine_runs_once() {
    let seen = gort::run(|| {
        let seen = Arc::new(Mutex::new(vec![0u8; 10_000]));
        let wg = WaitGroup::new();
        for i in 0..10_000 {
            let seen = seen.clone();
            wg.go(move || seen.lock().unwrap()[i] += 1);
        }
        wg.wait();
        Arc::try_unwrap(seen).unwrap().into_inner().unwrap()
    });
    assert!(
        seen.iter().all(|&n| n == 1),
        "some goroutine ran 0 or 2+ times"
    );
}

/// One million goroutines spawned from a goroutine, each counted once.
fn one_million_goroutines() {
    const N: usize = 1_000_000;
    let count = gort::run(|| {
        let count = Arc::new(AtomicUsize::new(0));
        let wg = WaitGroup::new();
        for _ in 0..N {
            let count = count.clone();
            wg.go(move || {
                count.fetch_add(1, Relaxed);
            });
        }
        wg.wait();
        count.load(SeqCst)
    });
    assert_eq!(count, N);
}

/// 100,000 goroutines alive at once, all parked on one WaitGroup, then all
/// released: each needs its own stack, so this crosses many stack slabs.
fn many_goroutines_parked_at_once() {
    const N: usize = 100_000;
    gort::run(|| {
        let gate = WaitGroup::new();
        gate.add(1);
        let started = WaitGroup::new();
        let finished = WaitGroup::new();
        let total = Arc::new(AtomicUsize::new(0));
        for i in 0..N {
            started.add(1);
            let (gate, started, total) = (gate.clone(), started.clone(), total.clone());
            finished.go(move || {
                started.done();
                gate.wait();
                total.fetch_add(i, Relaxed);
            });
        }
        started.wait();
        assert!(
            gort::runtime::num_goroutine() > N,
            "all {N} should be alive"
        );
        gate.done();
        finished.wait();
        assert_eq!(total.load(SeqCst), N * (N - 1) / 2);
    });
}

/// Goroutines spawned by one goroutine (so onto one P) that busy-wait for
/// each other can only all finish if other Ps steal them and run them in
/// parallel on other threads.
fn spawned_on_one_p_run_in_parallel() {
    let procs = gort::runtime::gomaxprocs();
    if procs < 2 {
        return; // nothing to steal to: covered by the other shapes
    }
    let threads = gort::run(move || {
        let arrived = Arc::new(AtomicUsize::new(0));
        let threads = Arc::new(Mutex::new(HashSet::new()));
        let wg = WaitGroup::new();
        for _ in 0..procs {
            let (arrived, threads) = (arrived.clone(), threads.clone());
            wg.go(move || {
                arrived.fetch_add(1, SeqCst);
                // Spin without yielding: progress needs real parallelism.
                let ok = eventually(Duration::from_secs(20), || arrived.load(SeqCst) == procs);
                assert!(ok, "goroutines were not stolen onto other Ps");
                threads.lock().unwrap().insert(std::thread::current().id());
            });
        }
        wg.wait();
        let n = threads.lock().unwrap().len();
        n
    });
    assert_eq!(
        threads, procs,
        "each spinning goroutine needs its own thread"
    );
}

/// A goroutine spinning on `yield_now` does not starve the one it waits for
/// (Go's TestYieldProgress).
fn yield_lets_others_run() {
    gort::run(|| {
        let done = Arc::new(AtomicBool::new(false));
        let d = done.clone();
        gort::go!(move || d.store(true, SeqCst));
        let mut spins = 0u64;
        while !done.load(SeqCst) {
            gort::yield_now();
            spins += 1;
            assert!(
                spins < 10_000_000,
                "yield_now never let the other goroutine run"
            );
        }
    });
}

/// A chain of goroutines each spawning the next into `runnext` inherits one
/// time slice; after 10 ms sysmon ends it, so a goroutine waiting in the
/// same P's queue gets to run even with GOMAXPROCS=1.
fn runnext_chain_cannot_starve_its_p() {
    fn link(stop: Arc<AtomicBool>, hops: Arc<AtomicUsize>) {
        if !stop.load(SeqCst) {
            hops.fetch_add(1, Relaxed);
            gort::go!(link(stop, hops));
        }
    }
    gort::run(|| {
        let stop = Arc::new(AtomicBool::new(false));
        let hops = Arc::new(AtomicUsize::new(0));
        let waiter = WaitGroup::new();
        let s = stop.clone();
        waiter.go(move || s.store(true, SeqCst));
        gort::go!(link(stop.clone(), hops.clone()));
        waiter.wait(); // returns only once the queued goroutine has run
        assert!(stop.load(SeqCst));
    });
}

fn join_from_goroutines_and_threads() {
    // From a plain thread.
    let h = gort::spawn(|| 6 * 7);
    assert_eq!(h.join().unwrap(), 42);
    // From a goroutine, for a goroutine that is still running when joined.
    let sum = gort::run(|| {
        let handles: Vec<_> = (0..100u64)
            .map(|i| {
                gort::spawn(move || {
                    for _ in 0..10 {
                        gort::yield_now();
                    }
                    i
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum::<u64>()
    });
    assert_eq!(sum, 4950);
}

fn join_returns_the_panic() {
    let h = gort::spawn(|| -> u32 { panic!("expected test panic") });
    let err = h.join().unwrap_err();
    assert_eq!(err.downcast_ref::<&str>(), Some(&"expected test panic"));
}

fn run_resumes_a_panic_in_the_caller() {
    let seven = std::hint::black_box(7); // a runtime value: the payload is a String
    let caught =
        std::panic::catch_unwind(|| gort::run(move || panic!("expected test panic {seven}")));
    let err = caught.unwrap_err();
    assert_eq!(
        err.downcast_ref::<String>().map(String::as_str),
        Some("expected test panic 7")
    );
}

fn run_from_many_threads_at_once() {
    let threads: Vec<_> = (0..8u64)
        .map(|t| {
            std::thread::spawn(move || {
                gort::run(move || {
                    let wg = WaitGroup::new();
                    let sum = Arc::new(AtomicUsize::new(0));
                    for i in 0..1000 {
                        let sum = sum.clone();
                        wg.go(move || {
                            sum.fetch_add(i, Relaxed);
                        });
                    }
                    wg.wait();
                    (t, sum.load(SeqCst))
                })
            })
        })
        .collect();
    for (t, th) in threads.into_iter().enumerate() {
        assert_eq!(th.join().unwrap(), (t as u64, 499_500));
    }
}

fn run_inside_a_goroutine() {
    let v = gort::run(|| gort::run(|| gort::run(|| 5) + 1) + 1);
    assert_eq!(v, 7);
}

fn goroutine_ids_are_unique() {
    assert_eq!(
        gort::runtime::goroutine_id(),
        0,
        "a plain thread is no goroutine"
    );
    let ids = gort::run(|| {
        let me = gort::runtime::goroutine_id();
        let handles: Vec<_> = (0..1000)
            .map(|_| gort::spawn(gort::runtime::goroutine_id))
            .collect();
        let mut ids: Vec<u64> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        ids.push(me);
        ids
    });
    let unique: HashSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "duplicate goroutine ids");
    assert!(!ids.contains(&0));
}

fn num_goroutine_counts_live_goroutines() {
    gort::run(|| {
        let idle = || {
            common::eventually_parking(Duration::from_secs(10), || {
                gort::runtime::num_goroutine() == 1
            })
        };
        assert!(idle(), "only this goroutine should exist at the start");
        let gate = WaitGroup::new();
        gate.add(1);
        let parked = WaitGroup::new();
        for _ in 0..50 {
            let gate = gate.clone();
            parked.go(move || gate.wait());
        }
        assert_eq!(gort::runtime::num_goroutine(), 51);
        gate.done();
        parked.wait();
        assert!(idle(), "finished goroutines must not be counted");
    });
}

fn gomaxprocs_query_and_set() {
    let now = gort::runtime::gomaxprocs();
    assert!(now >= 1);
    assert_eq!(gort::runtime::set_gomaxprocs(0), now, "0 only queries");
    assert_eq!(gort::runtime::set_gomaxprocs(3), now);
    assert_eq!(gort::runtime::gomaxprocs(), 3);
    // Work still flows while Ps come and go.
    for n in [1, 5, 2] {
        gort::runtime::set_gomaxprocs(n);
        let total = gort::run(|| {
            let hs: Vec<_> = (0..200).map(|i| gort::spawn(move || i)).collect();
            hs.into_iter().map(|h| h.join().unwrap()).sum::<i32>()
        });
        assert_eq!(total, 19_900);
    }
    assert_eq!(gort::runtime::set_gomaxprocs(now), 2);
    assert_eq!(
        gort::runtime::set_gomaxprocs(100_000),
        now,
        "clamped, not refused"
    );
    assert_eq!(gort::runtime::set_gomaxprocs(now), 256);
}

/// A thread flips GOMAXPROCS between 8 and 1 while bursts of goroutines
/// keep Ms waking up and going idle, so shrinks race Ms releasing their Ps.
/// Work keeps flowing, and a P at or above GOMAXPROCS never reaches the idle
/// list (the runtime asserts that in this debug-assertions build; before
/// the fix an M that had checked its P just before a shrink put it there).
fn gomaxprocs_flips_while_ms_go_idle() {
    const MIN_ROUNDS: usize = 2_000;
    const MIN_FLIPS: usize = 2_000;
    const BURST: usize = 8;
    let shape = gort::runtime::gomaxprocs();
    let stop = Arc::new(AtomicBool::new(false));
    let flips = Arc::new(AtomicUsize::new(0));
    let flipper = {
        let (stop, flips) = (stop.clone(), flips.clone());
        std::thread::spawn(move || {
            while !stop.load(Relaxed) {
                for n in [8, 1, 4, 2] {
                    gort::runtime::set_gomaxprocs(n);
                    flips.fetch_add(1, Relaxed);
                    std::thread::yield_now();
                }
            }
        })
    };
    let counted = flips.clone();
    let (rounds, done) = gort::run(move || {
        let done = Arc::new(AtomicUsize::new(0));
        let mut rounds = 0;
        // Until both sides have done enough: the flipper is a plain thread
        // and may not even have started when the first bursts finish.
        while rounds < MIN_ROUNDS || counted.load(Relaxed) < MIN_FLIPS {
            let wg = WaitGroup::new();
            for _ in 0..BURST {
                let done = done.clone();
                wg.go(move || {
                    gort::yield_now();
                    done.fetch_add(1, Relaxed);
                });
            }
            wg.wait(); // every M may go idle here
            rounds += 1;
        }
        (rounds, done.load(SeqCst))
    });
    stop.store(true, Relaxed);
    flipper.join().unwrap();
    gort::runtime::set_gomaxprocs(shape);
    assert_eq!(done, rounds * BURST);
    assert!(flips.load(Relaxed) >= MIN_FLIPS);
}

/// Shrinking GOMAXPROCS while a goroutine computes on a P above the new
/// count, with another queued behind it on that P that it waits for: the
/// surplus P is asked to give its goroutine up and is retired, its queue
/// moved where the remaining P finds it. (Before, nothing preempted or
/// stole from a P above GOMAXPROCS, and the spinner waited for ever.)
fn a_shrink_frees_the_goroutines_queued_on_a_surplus_p() {
    let shape = gort::runtime::gomaxprocs();
    gort::runtime::set_gomaxprocs(2);
    gort::run(|| {
        let started = Arc::new(AtomicBool::new(false));
        let (done_tx, done_rx) = gort::chan::<()>(0);
        let s = started.clone();
        gort::go!(move || {
            // On the other P: this one is kept busy below until then.
            let flag = Arc::new(AtomicBool::new(false));
            let f = flag.clone();
            gort::go!(move || f.store(true, SeqCst)); // queued on this P
            s.store(true, SeqCst);
            while !flag.load(SeqCst) {
                gort::checkpoint();
            }
            done_tx.send(()).unwrap();
        });
        while !started.load(SeqCst) {
            std::hint::spin_loop();
        }
        gort::runtime::set_gomaxprocs(1);
        done_rx.recv().unwrap();
    });
    gort::runtime::set_gomaxprocs(shape);
}

fn waitgroup_blocks_plain_threads() {
    let wg = WaitGroup::new();
    let done = Arc::new(AtomicUsize::new(0));
    for _ in 0..100 {
        let d = done.clone();
        wg.go(move || {
            gort::yield_now();
            d.fetch_add(1, SeqCst);
        });
    }
    wg.wait(); // on the test harness thread, not a goroutine
    assert_eq!(done.load(SeqCst), 100);
    assert_eq!(wg.count(), 0);
}

fn waitgroup_negative_counter_panics() {
    let wg = WaitGroup::new();
    let r = std::panic::catch_unwind(|| wg.done());
    let err = r.unwrap_err();
    assert_eq!(
        err.downcast_ref::<&str>(),
        Some(&"sync: negative WaitGroup counter")
    );
    assert_eq!(wg.count(), 0, "a refused done leaves the count alone");
}

/// Many goroutines park and get woken at the same moments from many Ps and
/// from outside threads: every wake-up must arrive exactly once (a lost one
/// hangs the test, a double one would run a goroutine twice and corrupt the
/// counts).
fn park_and_wake_race_stress() {
    const ROUNDS: usize = 200;
    const WIDTH: usize = 50;
    let total = gort::run(|| {
        let total = Arc::new(AtomicUsize::new(0));
        for round in 0..ROUNDS {
            let gate = WaitGroup::new();
            gate.add(1);
            let wg = WaitGroup::new();
            for _ in 0..WIDTH {
                let (gate, total) = (gate.clone(), total.clone());
                wg.go(move || {
                    gate.wait();
                    total.fetch_add(1, Relaxed);
                });
            }
            if round % 2 == 0 {
                gate.done(); // woken from a goroutine
            } else {
                std::thread::spawn(move || gate.done()).join().unwrap(); // from a thread
            }
            wg.wait();
        }
        total.load(SeqCst)
    });
    assert_eq!(total, ROUNDS * WIDTH);
}

/// Every P runs a goroutine that spins in `select!` with a `default` arm,
/// while another goroutine sleeps 100 ms. The timer readies the sleeper on
/// the global queue; a spinner preempted at its checkpoint must go behind
/// it there (Go's rule), not back to its own P's local queue, where the
/// sleeper would wait 61 time slices per P (it slept 1.2 s before).
fn a_sleeper_wakes_on_time_while_every_p_spins() {
    const NAP: Duration = Duration::from_millis(100);
    // Generous for a loaded 2-core CI machine; a spinner's time slice is
    // 10 ms, so the sleeper should wait about that long past its deadline.
    const LIMIT: Duration = Duration::from_millis(350);
    let procs = gort::runtime::gomaxprocs();
    let slept = gort::run(move || {
        let (stop_tx, stop_rx) = gort::chan::<()>(0);
        let spinning = Arc::new(AtomicUsize::new(0));
        let wg = WaitGroup::new();
        for _ in 0..procs {
            let (stop_rx, spinning) = (stop_rx.clone(), spinning.clone());
            wg.go(move || {
                spinning.fetch_add(1, SeqCst);
                loop {
                    gort::select! {
                        <-stop_rx => break,
                        default => {}
                    }
                }
            });
        }
        while spinning.load(SeqCst) < procs {
            gort::yield_now();
        }
        let start = std::time::Instant::now();
        gort::time::sleep(NAP);
        let slept = start.elapsed();
        drop(stop_tx); // closed: every spinner's receive arm fires
        wg.wait();
        slept
    });
    assert!(
        slept < LIMIT,
        "slept {slept:?} for a {NAP:?} nap beside {procs} spinners (limit {LIMIT:?})"
    );
}
