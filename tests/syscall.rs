//! gort::syscall and gort::fs through the public API: a blocking call
//! inside `syscall` hands its P off, so other goroutines keep running even
//! on GOMAXPROCS=1; a goroutine that waits while unwinding a panic does not
//! hold its P hostage; files round-trip from goroutines and plain threads.
//! Every test runs under GOMAXPROCS 1, 2, 8, 16 and 64 (see common/mod.rs).

mod common;

use std::io::{Read, Seek, SeekFrom, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::Duration;

fn main() {
    common::main(&[
        (
            "a_blocking_call_in_syscall_does_not_stop_other_goroutines",
            a_blocking_call_in_syscall_does_not_stop_other_goroutines,
        ),
        (
            "a_goroutine_waiting_while_it_unwinds_lets_others_run",
            a_goroutine_waiting_while_it_unwinds_lets_others_run,
        ),
        (
            "a_goroutine_in_a_blocking_call_shows_as_syscall_in_dumps",
            a_goroutine_in_a_blocking_call_shows_as_syscall_in_dumps,
        ),
        (
            "fs_round_trips_from_goroutines_and_threads",
            fs_round_trips_from_goroutines_and_threads,
        ),
        (
            "many_short_syscalls_return_their_values",
            many_short_syscalls_return_their_values,
        ),
        (
            "a_goroutine_making_short_calls_is_still_preempted",
            a_goroutine_making_short_calls_is_still_preempted,
        ),
    ]);
}

/// One goroutine sleeps its thread for 500 ms inside `gort::syscall`;
/// meanwhile another goroutine finishes 20 rounds of channel ping-pong and
/// 10 timer sleeps — before the blocking call returns, on every shape
/// (on GOMAXPROCS=1 that needs the P handed to another thread).
fn a_blocking_call_in_syscall_does_not_stop_other_goroutines() {
    gort::run(|| {
        let blocked_done = Arc::new(AtomicBool::new(false));
        let started = gort::sync::WaitGroup::new();
        started.add(1);
        let blocker = {
            let (blocked_done, started) = (blocked_done.clone(), started.clone());
            gort::spawn(move || {
                started.done();
                let v = gort::syscall(|| {
                    std::thread::sleep(Duration::from_millis(500));
                    42
                });
                blocked_done.store(true, SeqCst);
                v
            })
        };
        started.wait();
        gort::yield_now(); // let the blocker enter its call
        let (tx, rx) = gort::chan::<u32>(0);
        let echo = gort::spawn(move || {
            for v in rx.iter() {
                let _ = v;
            }
        });
        for i in 0..20 {
            tx.send(i).unwrap();
        }
        for _ in 0..10 {
            gort::time::sleep(Duration::from_millis(1));
        }
        assert!(
            !blocked_done.load(SeqCst),
            "the other goroutines waited for the blocking call"
        );
        drop(tx);
        echo.join().unwrap();
        assert_eq!(blocker.join().unwrap(), 42);
    });
}

/// A goroutine inside `gort::syscall` is shown as `[syscall]` by
/// `runtime::stack()` (and the SIGQUIT dump), as Go shows one in a system
/// call — not as `running`, which it was before it entered the call.
fn a_goroutine_in_a_blocking_call_shows_as_syscall_in_dumps() {
    gort::run(|| {
        let (id_tx, id_rx) = gort::chan::<u64>(1);
        let inside = Arc::new(AtomicBool::new(false));
        let (inside2, release) = (inside.clone(), Arc::new(AtomicBool::new(false)));
        let release2 = release.clone();
        let wg = gort::sync::WaitGroup::new();
        let done = wg.clone();
        wg.add(1);
        gort::go!(move || {
            id_tx.send(gort::runtime::goroutine_id()).unwrap();
            gort::syscall(|| {
                inside2.store(true, SeqCst);
                while !release2.load(SeqCst) {
                    std::thread::sleep(Duration::from_millis(1));
                }
            });
            done.done();
        });
        let id = id_rx.recv().unwrap();
        while !inside.load(SeqCst) {
            gort::time::sleep(Duration::from_millis(1));
        }
        let dump = gort::runtime::stack();
        release.store(true, SeqCst);
        wg.wait();
        let header = format!("goroutine {id} [");
        let line = dump
            .lines()
            .find(|l| l.starts_with(&header))
            .unwrap_or_else(|| panic!("goroutine {id} is not in the dump:\n{dump}"));
        assert_eq!(line, format!("goroutine {id} [syscall]:"), "{dump}");
    });
}

/// A goroutine panics, and while it unwinds a drop waits on a WaitGroup
/// that another goroutine releases later. It cannot switch stacks while
/// unwinding, so it waits on its thread — as a blocking call, letting the
/// releasing goroutine run on its P (on GOMAXPROCS=1 it used to spin on
/// that P forever).
fn a_goroutine_waiting_while_it_unwinds_lets_others_run() {
    struct WaitOnDrop(gort::sync::WaitGroup);
    impl Drop for WaitOnDrop {
        fn drop(&mut self) {
            self.0.wait();
        }
    }
    gort::run(|| {
        let wg = gort::sync::WaitGroup::new();
        wg.add(1);
        let guard = WaitOnDrop(wg.clone());
        let panicker = gort::spawn(move || {
            let _guard = guard;
            panic!("unwinding through a wait");
        });
        gort::time::sleep(Duration::from_millis(20));
        wg.done();
        assert!(panicker.join().is_err(), "the panic came through");
    });
}

/// Write, read back, append, seek and stat a file from goroutines, and the
/// same file from a plain thread.
fn fs_round_trips_from_goroutines_and_threads() {
    let dir = std::env::temp_dir().join(format!(
        "gort-fs-test-{}-{}",
        std::process::id(),
        gort::runtime::gomaxprocs()
    ));
    let d = dir.clone();
    gort::run(move || {
        gort::fs::create_dir_all(&d).unwrap();
        let wg = gort::sync::WaitGroup::new();
        for i in 0..8 {
            let (d, wg) = (d.clone(), wg.clone());
            wg.add(1);
            gort::go!(move || {
                let path = d.join(format!("f{i}"));
                gort::fs::write(&path, format!("goroutine {i}\n")).unwrap();
                let mut f =
                    gort::fs::File::open_with(std::fs::OpenOptions::new().append(true), &path)
                        .unwrap();
                f.write_all(b"more\n").unwrap();
                assert_eq!(
                    gort::fs::read_to_string(&path).unwrap(),
                    format!("goroutine {i}\nmore\n")
                );
                let mut f = gort::fs::File::open(&path).unwrap();
                f.seek(SeekFrom::Start(10)).unwrap();
                let mut rest = String::new();
                f.read_to_string(&mut rest).unwrap();
                assert_eq!(rest, format!("{}more\n", &format!("goroutine {i}\n")[10..]));
                assert_eq!(
                    gort::fs::metadata(&path).unwrap().len(),
                    17 + (i >= 10) as u64
                );
                wg.done();
            });
        }
        wg.wait();
    });
    // From a plain thread: the same calls, std's behaviour.
    let path = dir.join("f0");
    assert_eq!(gort::fs::read(&path).unwrap(), b"goroutine 0\nmore\n");
    gort::fs::remove_file(&path).unwrap();
    assert!(gort::fs::metadata(&path).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Thousands of fast syscalls from many goroutines (the fast path, with
/// sysmon retaking Ps now and then) each return their own value, and every
/// goroutine finishes.
fn many_short_syscalls_return_their_values() {
    let sum = gort::run(|| {
        let total = Arc::new(AtomicUsize::new(0));
        let wg = gort::sync::WaitGroup::new();
        for g in 0..50 {
            let (total, wg) = (total.clone(), wg.clone());
            wg.add(1);
            gort::go!(move || {
                for i in 0..200 {
                    let v = gort::syscall(|| {
                        if i % 50 == 0 {
                            std::thread::sleep(Duration::from_micros(200));
                        }
                        g * 1000 + i
                    });
                    assert_eq!(v, g * 1000 + i);
                    total.fetch_add(1, SeqCst);
                }
                wg.done();
            });
        }
        wg.wait();
        total.load(SeqCst)
    });
    assert_eq!(sum, 50 * 200);
}

/// A goroutine that spins through checkpoints making a short `syscall`
/// each time never gives up its P by itself; sysmon must still end its
/// time slice (the calls change `syscalltick` every round, which once hid
/// the long slice), so another goroutine runs — on GOMAXPROCS=1 too.
fn a_goroutine_making_short_calls_is_still_preempted() {
    gort::run(|| {
        let stop = Arc::new(AtomicBool::new(false));
        let spinner = {
            let stop = stop.clone();
            gort::spawn(move || {
                while !stop.load(SeqCst) {
                    gort::syscall(|| std::hint::black_box(0));
                    gort::checkpoint();
                }
            })
        };
        gort::yield_now(); // the spinner starts
        let other = {
            let stop = stop.clone();
            gort::spawn(move || stop.store(true, SeqCst))
        };
        other.join().unwrap();
        spinner.join().unwrap();
    });
}
