//! DESIGN §9 in tests: what stack switching must not break. Built optimized
//! (see `[profile.test]`), because the hazard is the optimizer caching a
//! thread-local's address across a switch; run under GOMAXPROCS 1, 2, 8, 16 and 64.

mod common;

use gort::sync::WaitGroup;
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::*};
use std::sync::Arc;
use std::thread::ThreadId;

fn main() {
    common::main(&[
        (
            "goroutines_keep_their_identity_across_migrations",
            identity_across_migrations,
        ),
        (
            "thread_locals_are_read_fresh_after_a_switch",
            thread_locals_read_fresh,
        ),
        (
            "no_switch_while_a_thread_is_panicking",
            no_switch_while_panicking,
        ),
    ])
}

/// Goroutines that yield and park thousands of times, moving between
/// threads, must see their own goroutine id every time (the runtime reads
/// "current goroutine" from a thread-local; a stale address would give
/// another goroutine's id). With more than one P they must really migrate.
fn identity_across_migrations() {
    const GOROUTINES: u64 = 64;
    const SWITCHES: usize = 2_000;
    let migrations = gort::run(|| {
        let migrations = Arc::new(AtomicUsize::new(0));
        let wg = WaitGroup::new();
        for _ in 0..GOROUTINES {
            let migrations = migrations.clone();
            wg.go(move || {
                let me = gort::runtime::goroutine_id();
                let mut thread = std::thread::current().id();
                for i in 0..SWITCHES {
                    if i % 8 == 0 {
                        // Park (not just yield): wait for a child goroutine.
                        gort::spawn(gort::yield_now).join().unwrap();
                    } else {
                        gort::yield_now();
                    }
                    assert_eq!(
                        gort::runtime::goroutine_id(),
                        me,
                        "goroutine identity changed"
                    );
                    let now = std::thread::current().id();
                    if now != thread {
                        migrations.fetch_add(1, Relaxed);
                        thread = now;
                    }
                }
            });
        }
        wg.wait();
        migrations.load(SeqCst)
    });
    if gort::runtime::gomaxprocs() > 1 {
        assert!(migrations > 0, "no goroutine ever moved to another thread");
    }
}

thread_local! {
    static THREAD: Cell<Option<ThreadId>> = const { Cell::new(None) };
}

/// The pattern the docs recommend for thread-locals in goroutine code: read
/// them in an out-of-line function, so the read cannot be merged with one
/// made before a switch. (Read inline in the same function as a blocking
/// call, LLVM may reuse the old thread's address — llvm-project#98479; this
/// very test, with `mine` inlined, caught exactly that under GOMAXPROCS=2.)
#[inline(never)]
fn mine() -> ThreadId {
    THREAD.with(|t| match t.get() {
        Some(id) => id,
        None => {
            let id = std::thread::current().id();
            t.set(Some(id));
            id
        }
    })
}

#[inline(never)]
fn current_thread() -> ThreadId {
    std::thread::current().id()
}

/// Thread-locals read the recommended way around switches that migrate the
/// goroutine must be the current thread's.
fn thread_locals_read_fresh() {
    gort::run(|| {
        let wg = WaitGroup::new();
        for _ in 0..32 {
            wg.go(|| {
                for _ in 0..2_000 {
                    assert_eq!(mine(), current_thread());
                    gort::yield_now();
                    assert_eq!(mine(), current_thread(), "stale thread-local");
                }
            });
        }
        wg.wait();
    });
}

/// Blocking gort calls made while a goroutine unwinds (from a `Drop`) must
/// not switch stacks: std's panic count is per thread, so a switch would
/// make *other* goroutines on that thread believe they are panicking.
fn no_switch_while_panicking() {
    struct YieldOnDrop(Option<gort::JoinHandle<i32>>);
    impl Drop for YieldOnDrop {
        fn drop(&mut self) {
            for _ in 0..10 {
                gort::yield_now();
            }
            assert_eq!(self.0.take().unwrap().join().unwrap(), 1);
        }
    }
    let polluted = gort::run(|| {
        let stop = Arc::new(AtomicBool::new(false));
        let polluted = Arc::new(AtomicUsize::new(0));
        let watchers = WaitGroup::new();
        for _ in 0..8 {
            let (stop, polluted) = (stop.clone(), polluted.clone());
            watchers.go(move || {
                while !stop.load(SeqCst) {
                    if std::thread::panicking() {
                        polluted.fetch_add(1, SeqCst);
                    }
                    gort::yield_now();
                }
            });
        }
        let panickers = WaitGroup::new();
        for _ in 0..200 {
            panickers.go(|| {
                let h = gort::spawn(|| 1);
                while !h.is_finished() {
                    gort::yield_now();
                }
                let r = std::panic::catch_unwind(move || {
                    let _guard = YieldOnDrop(Some(h));
                    std::panic::resume_unwind(Box::new("expected unwinding"));
                });
                assert!(r.is_err());
                assert!(!std::thread::panicking());
            });
        }
        panickers.wait();
        stop.store(true, SeqCst);
        watchers.wait();
        polluted.load(SeqCst)
    });
    assert_eq!(polluted, 0, "a goroutine saw another's panic in progress");
}
