//! Go's concurrency toolkit beyond channels, through the public API:
//! `sync::Semaphore` and `sync::ErrGroup` (golang.org/x/sync),
//! `gort::scope` (scoped goroutines) and `gort::context`. Every test
//! runs under GOMAXPROCS 1, 2, 8, 16 and 64 (see common/mod.rs); a hang is
//! turned into a failure by the harness's watchdog.

mod common;

use gort::chan::TryRecvError;
use gort::context::{self, Context};
use gort::sync::{ErrGroup, Semaphore, WaitGroup};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering::*};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() {
    common::main(&[
        (
            "an_error_whose_drop_waits_does_not_hang_its_group",
            an_error_whose_drop_waits_does_not_hang_its_group,
        ),
        (
            "a_dropped_context_is_not_cancelled",
            a_dropped_context_is_not_cancelled,
        ),
        ("context_err_implies_done", context_err_implies_done),
        (
            "semaphore_bounds_concurrent_goroutines",
            semaphore_bounds_concurrent_goroutines,
        ),
        (
            "semaphore_serves_weighted_waiters_in_order",
            semaphore_serves_weighted_waiters_in_order,
        ),
        (
            "semaphore_shared_by_goroutines_and_threads",
            semaphore_shared_by_goroutines_and_threads,
        ),
        (
            "semaphore_acquire_gives_up_with_its_context",
            semaphore_acquire_gives_up_with_its_context,
        ),
        (
            "errgroup_reports_only_its_first_error",
            errgroup_reports_only_its_first_error,
        ),
        (
            "errgroup_returns_the_first_error",
            errgroup_returns_the_first_error,
        ),
        ("errgroup_ok_when_all_succeed", errgroup_ok_when_all_succeed),
        (
            "errgroup_limit_bounds_running_goroutines",
            errgroup_limit_bounds_running_goroutines,
        ),
        (
            "errgroup_reraises_a_panic_in_wait",
            errgroup_reraises_a_panic_in_wait,
        ),
        (
            "scope_goroutines_borrow_and_mutate_locals",
            scope_goroutines_borrow_and_mutate_locals,
        ),
        (
            "scope_reraises_a_panic_after_all_finish",
            scope_reraises_a_panic_after_all_finish,
        ),
        (
            "scope_join_takes_a_panic_and_returns_values",
            scope_join_takes_a_panic_and_returns_values,
        ),
        ("scope_on_a_plain_thread", scope_on_a_plain_thread),
        (
            "scope_survives_a_result_whose_drop_panics",
            scope_survives_a_result_whose_drop_panics,
        ),
        (
            "context_cancellation_reaches_grandchildren_only",
            context_cancellation_reaches_grandchildren_only,
        ),
        (
            "context_timeout_fires_after_its_deadline_under_load",
            context_timeout_fires_after_its_deadline_under_load,
        ),
        (
            "context_cancel_leaves_no_goroutine_behind",
            context_cancel_leaves_no_goroutine_behind,
        ),
        (
            "context_values_deadlines_and_background",
            context_values_deadlines_and_background,
        ),
        (
            "channel_operations_give_up_when_the_context_does",
            channel_operations_give_up_when_the_context_does,
        ),
        (
            "errgroup_context_stops_the_others_on_first_error",
            errgroup_context_stops_the_others_on_first_error,
        ),
    ]);
}

/// 200 goroutines share a semaphore of 5 and hold it across a yield and
/// a sleep: never more than 5 inside, and every one gets in.
fn semaphore_bounds_concurrent_goroutines() {
    let (most, done) = gort::run(|| {
        let sem = Arc::new(Semaphore::new(5));
        let inside = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(AtomicUsize::new(0));
        let wg = WaitGroup::new();
        for i in 0..200 {
            let (sem, inside, most, done) =
                (sem.clone(), inside.clone(), most.clone(), done.clone());
            wg.go(move || {
                sem.acquire(1);
                most.fetch_max(inside.fetch_add(1, SeqCst) + 1, SeqCst);
                gort::yield_now();
                if i % 20 == 0 {
                    gort::time::sleep(Duration::from_millis(1));
                }
                inside.fetch_sub(1, SeqCst);
                sem.release(1);
                done.fetch_add(1, SeqCst);
            });
        }
        wg.wait();
        assert_eq!(sem.available(), 5);
        (most.load(SeqCst), done.load(SeqCst))
    });
    assert!(most <= 5, "{most} goroutines held a semaphore of 5");
    assert_eq!(done, 200);
}

/// Waiters queue first come, first served, whatever their weight: with all
/// 4 permits held, a request for 3 queues, then one for 1; releasing 1
/// must not let the small one overtake, releasing 2 more serves both.
fn semaphore_serves_weighted_waiters_in_order() {
    let order = gort::run(|| {
        let sem = Arc::new(Semaphore::new(4));
        sem.acquire(4);
        let order = Arc::new(gort::sync::Mutex::new(Vec::new()));
        let wg = WaitGroup::new();
        for (n, name) in [(3, "big"), (1, "small")] {
            let (sem, order) = (sem.clone(), order.clone());
            wg.go(move || {
                sem.acquire(n);
                order.lock().push(name);
                sem.release(n);
            });
            // Long enough for it to run and queue, even with one P.
            gort::time::sleep(Duration::from_millis(20));
        }
        sem.release(1);
        gort::time::sleep(Duration::from_millis(20));
        assert!(
            order.lock().is_empty(),
            "the small request overtook the big one"
        );
        sem.release(2);
        wg.wait();
        let order = order.lock().clone();
        order
    });
    assert_eq!(order, ["big", "small"]);
}

/// A plain thread and goroutines contend for one permit: each side gets
/// in, alternately, and nobody blocks another's thread.
fn semaphore_shared_by_goroutines_and_threads() {
    let sem = Arc::new(Semaphore::new(1));
    let total = Arc::new(AtomicUsize::new(0));
    let thread = {
        let (sem, total) = (sem.clone(), total.clone());
        std::thread::spawn(move || {
            for _ in 0..500 {
                sem.acquire(1);
                total.fetch_add(1, SeqCst);
                sem.release(1);
            }
        })
    };
    gort::run({
        let (sem, total) = (sem.clone(), total.clone());
        move || {
            let wg = WaitGroup::new();
            for _ in 0..4 {
                let (sem, total) = (sem.clone(), total.clone());
                wg.go(move || {
                    for _ in 0..500 {
                        sem.acquire(1);
                        total.fetch_add(1, SeqCst);
                        gort::yield_now();
                        sem.release(1);
                    }
                });
            }
            wg.wait();
        }
    });
    thread.join().unwrap();
    assert_eq!(total.load(SeqCst), 2_500);
    assert_eq!(sem.available(), 1);
}

/// The goroutine that fails first (in time) is the error `wait` returns,
/// and `wait` returns only after every goroutine finished.
fn errgroup_returns_the_first_error() {
    let (result, finished) = gort::run(|| {
        let g = ErrGroup::new();
        let finished = Arc::new(AtomicUsize::new(0));
        for i in 0..20u32 {
            let finished = finished.clone();
            g.go(move || {
                gort::time::sleep(Duration::from_millis(if i == 7 { 1 } else { 30 }));
                finished.fetch_add(1, SeqCst);
                if i % 7 == 0 {
                    Err(i)
                } else {
                    Ok(())
                }
            });
        }
        let result = g.wait();
        (result, finished.load(SeqCst))
    });
    assert_eq!(
        result,
        Err(7),
        "the first error in time is the one from goroutine 7"
    );
    assert_eq!(
        finished, 20,
        "wait returned before every goroutine finished"
    );
}

/// After a `wait` has returned the first error, the group's later errors
/// are dropped, as Go ignores every error after the first: the next `wait`
/// returns `Ok(())` (Go would return the first error again; gort moved it
/// out). A later panic is still re-raised.
fn errgroup_reports_only_its_first_error() {
    gort::run(|| {
        let g = ErrGroup::new();
        g.go(|| Err("first"));
        assert_eq!(g.wait(), Err("first"));
        g.go(|| Err("second"));
        assert_eq!(g.wait(), Ok(()), "an error after the first was kept");
        g.go(|| panic!("a later panic"));
        let panicked = catch_unwind(AssertUnwindSafe(|| g.wait()));
        assert!(panicked.is_err(), "a panic after the first error was lost");
    });
}

fn errgroup_ok_when_all_succeed() {
    let (result, again) = gort::run(|| {
        let g: ErrGroup<String> = ErrGroup::new();
        let sum = Arc::new(AtomicUsize::new(0));
        for i in 1..=100 {
            let sum = sum.clone();
            let g2 = g.clone();
            g.go(move || {
                sum.fetch_add(i, SeqCst);
                if i == 50 {
                    // A group's goroutine may add to the group (a clone).
                    let sum = sum.clone();
                    g2.go(move || {
                        sum.fetch_add(1000, SeqCst);
                        Ok(())
                    });
                }
                Ok(())
            });
        }
        let result = g.wait().map(|()| sum.load(SeqCst));
        (result, g.wait())
    });
    assert_eq!(result, Ok(5050 + 1000));
    assert_eq!(again, Ok(()));
}

/// `set_limit(3)`: `go` parks the caller while 3 are running.
fn errgroup_limit_bounds_running_goroutines() {
    let most = gort::run(|| {
        let g: ErrGroup<()> = ErrGroup::new();
        g.set_limit(3);
        let inside = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        for _ in 0..60 {
            let (inside, most) = (inside.clone(), most.clone());
            g.go(move || {
                most.fetch_max(inside.fetch_add(1, SeqCst) + 1, SeqCst);
                gort::time::sleep(Duration::from_micros(200));
                inside.fetch_sub(1, SeqCst);
                Ok(())
            });
        }
        assert!(!g.try_go(|| Ok(())) || most.load(SeqCst) <= 3);
        g.wait().unwrap();
        most.load(SeqCst)
    });
    assert!(
        (1..=3).contains(&most),
        "{most} ran at once under a limit of 3"
    );
}

/// A panic in a group's goroutine does not end the process: `wait`
/// re-raises it, with its payload, after the others finished.
fn errgroup_reraises_a_panic_in_wait() {
    let caught = gort::run(|| {
        let g: ErrGroup<()> = ErrGroup::new();
        let finished = Arc::new(AtomicUsize::new(0));
        g.go(|| panic!("part two exploded"));
        for _ in 0..5 {
            let finished = finished.clone();
            g.go(move || {
                gort::time::sleep(Duration::from_millis(5));
                finished.fetch_add(1, SeqCst);
                Ok(())
            });
        }
        let caught = catch_unwind(AssertUnwindSafe(|| g.wait())).unwrap_err();
        assert_eq!(
            finished.load(SeqCst),
            5,
            "wait re-raised before the others finished"
        );
        caught.downcast_ref::<&str>().map(|s| s.to_string())
    });
    assert_eq!(caught.as_deref(), Some("part two exploded"));
}

/// 10,000 scoped goroutines each fill their own slice of a borrowed,
/// mutable vector and read a borrowed table; the caller sees every write
/// once `scope` returns.
fn scope_goroutines_borrow_and_mutate_locals() {
    const N: usize = 10_000;
    let (cells, checked) = gort::run(|| {
        let table: Vec<u64> = (0..N as u64).map(|i| i * 3).collect();
        let mut cells = vec![0u64; N];
        let checked = AtomicUsize::new(0);
        gort::scope(|s| {
            for (i, cell) in cells.iter_mut().enumerate() {
                let (table, checked) = (&table, &checked);
                s.go(move || {
                    if i % 100 == 0 {
                        gort::yield_now();
                    }
                    *cell = table[i] + 1;
                    checked.fetch_add(1, SeqCst);
                });
            }
        });
        (cells, checked.into_inner())
    });
    assert_eq!(checked, N);
    assert!(cells
        .iter()
        .enumerate()
        .all(|(i, &c)| c == i as u64 * 3 + 1));
}

/// A panic in one scoped goroutine is re-raised by `scope` — with its
/// payload — only after the others (sleeping meanwhile) have finished.
fn scope_reraises_a_panic_after_all_finish() {
    let (payload, finished) = gort::run(|| {
        let finished = AtomicUsize::new(0);
        let caught = catch_unwind(AssertUnwindSafe(|| {
            gort::scope(|s| {
                s.go(|| panic!("scoped goroutine failed"));
                for _ in 0..8 {
                    let finished = &finished;
                    s.go(move || {
                        gort::time::sleep(Duration::from_millis(10));
                        finished.fetch_add(1, SeqCst);
                    });
                }
            })
        }));
        let payload = caught
            .unwrap_err()
            .downcast_ref::<&str>()
            .map(|s| s.to_string());
        (payload, finished.into_inner())
    });
    assert_eq!(payload.as_deref(), Some("scoped goroutine failed"));
    assert_eq!(
        finished, 8,
        "scope re-raised before its goroutines finished"
    );
}

/// `spawn` hands back values; a panic taken by `join` is not re-raised.
fn scope_join_takes_a_panic_and_returns_values() {
    let (sum, panicked) = gort::run(|| {
        let data = [1, 2, 3, 4, 5, 6];
        gort::scope(|s| {
            let halves: Vec<_> = data
                .chunks(3)
                .map(|c| s.spawn(move || c.iter().sum::<i32>()))
                .collect();
            let bad = s.spawn(|| -> i32 { panic!("joined, so not re-raised") });
            let sum: i32 = halves.into_iter().map(|h| h.join().unwrap()).sum();
            (sum, bad.join().is_err())
        })
    });
    assert_eq!((sum, panicked), (21, true));
}

/// From a plain thread, `scope` blocks the thread until its goroutines end.
fn scope_on_a_plain_thread() {
    let mut words = vec![String::new(); 3];
    gort::scope(|s| {
        for (i, w) in words.iter_mut().enumerate() {
            s.go(move || {
                gort::time::sleep(Duration::from_millis(2));
                *w = format!("w{i}");
            });
        }
    });
    assert_eq!(words, ["w0", "w1", "w2"]);
}

/// Whether `ctx` is cancelled, asked the Go way: a `select!` on its done
/// channel with a `default`.
fn is_done(ctx: &Context) -> bool {
    gort::select! {
        <-ctx.done() => true,
        default => false,
    }
}

/// Dropping a context and its `CancelFunc` cancels nothing, as in Go: a
/// clone of the done channel that lives on stays open — and closes when
/// the context would have been cancelled: at a timeout context's deadline,
/// or when its parent is cancelled (Go 1.27: the same).
fn a_dropped_context_is_not_cancelled() {
    gort::run(|| {
        let (ctx, cancel) = context::with_cancel(&context::background());
        let done = ctx.done().clone();
        drop((ctx, cancel));
        gort::time::sleep(Duration::from_millis(20));
        assert_eq!(
            done.try_recv(),
            Err(TryRecvError::Empty),
            "closed by a drop"
        );

        let (ctx, cancel) =
            context::with_timeout(&context::background(), Duration::from_millis(100));
        let start = Instant::now();
        let done = ctx.done().clone();
        drop((ctx, cancel));
        assert_eq!(
            done.try_recv(),
            Err(TryRecvError::Empty),
            "closed by a drop"
        );
        assert!(done.recv().is_err(), "closed at the deadline");
        assert!(
            start.elapsed() >= Duration::from_millis(95),
            "{:?}",
            start.elapsed()
        );

        // A dropped child's clone still hears its parent being cancelled
        // (in Go the parent keeps the child until then).
        let (parent, cancel_parent) = context::with_cancel(&context::background());
        let (child, cancel_child) = context::with_timeout(&parent, Duration::from_secs(3600));
        let done = child.done().clone();
        drop((child, cancel_child));
        cancel_parent.cancel();
        assert_eq!(
            done.try_recv(),
            Err(TryRecvError::Closed),
            "the parent's cancel was lost"
        );
        drop(parent);
    });
}

/// Once `err()` reports a cancellation, `done()` is closed — even while
/// another goroutine is in the middle of cancelling (Go's `Err` waits for
/// the close too).
fn context_err_implies_done() {
    gort::run(|| {
        for _ in 0..2_000 {
            let (ctx, cancel) = context::with_cancel(&context::background());
            let canceller = gort::spawn(move || cancel.cancel());
            let alone = gort::runtime::gomaxprocs() == 1;
            while ctx.err().is_none() {
                if alone {
                    gort::yield_now(); // let the canceller run
                }
            }
            assert_eq!(ctx.done().try_recv(), Err(TryRecvError::Closed));
            canceller.join().unwrap();
        }
    });
}

/// Cancelling a context reaches its children and grandchildren (through a
/// value node and a deadline node), each reporting `Canceled`, and wakes
/// goroutines blocked on their done channels; a sibling branch and the
/// parent are untouched.
fn context_cancellation_reaches_grandchildren_only() {
    gort::run(|| {
        let root = context::background();
        let (parent, cancel_parent) = context::with_cancel(&root);
        let (child, _keep1) = context::with_cancel(&parent);
        let valued = context::with_value(&child, 7u32);
        let (grandchild, _keep2) = context::with_timeout(&valued, Duration::from_secs(3600));
        let (sibling, _keep3) = context::with_cancel(&root);
        let woken = Arc::new(AtomicUsize::new(0));
        let wg = WaitGroup::new();
        for ctx in [child.clone(), valued.clone(), grandchild.clone()] {
            let woken = woken.clone();
            wg.go(move || {
                let _ = ctx.done().recv(); // blocks until closed
                assert_eq!(ctx.err(), Some(context::Error::Canceled));
                woken.fetch_add(1, SeqCst);
            });
        }
        gort::time::sleep(Duration::from_millis(5));
        assert!(!is_done(&grandchild) && grandchild.err().is_none());
        cancel_parent.cancel();
        cancel_parent.cancel(); // idempotent
        wg.wait();
        assert_eq!(woken.load(SeqCst), 3);
        assert!(is_done(&parent) && is_done(&grandchild));
        assert!(
            !is_done(&sibling) && sibling.err().is_none(),
            "a sibling was cancelled"
        );
        assert!(!is_done(&root));
        // A child made after its parent was cancelled is born cancelled.
        let (late, _) = context::with_cancel(&grandchild);
        assert_eq!(late.err(), Some(context::Error::Canceled));
    });
}

/// A 30 ms timeout fires — never early — while 8 goroutines spin through
/// yields on every P, and reports `DeadlineExceeded`.
fn context_timeout_fires_after_its_deadline_under_load() {
    let (waited, err) = gort::run(|| {
        let stop = Arc::new(AtomicUsize::new(0));
        for _ in 0..8 {
            let stop = stop.clone();
            gort::go!(move || while stop.load(SeqCst) == 0 {
                gort::yield_now();
            });
        }
        let start = std::time::Instant::now();
        let (ctx, _cancel) =
            context::with_timeout(&context::background(), Duration::from_millis(30));
        let _ = ctx.done().recv();
        let waited = start.elapsed();
        stop.store(1, SeqCst);
        (waited, ctx.err())
    });
    assert_eq!(err, Some(context::Error::DeadlineExceeded));
    assert!(
        waited >= Duration::from_millis(30),
        "fired early, after {waited:?}"
    );
    assert!(waited < Duration::from_secs(5), "fired after {waited:?}");
}

/// Contexts need no goroutines of their own: making and cancelling 1,000
/// timeouts, and letting 100 short ones expire, leaves the goroutine count
/// where it was.
fn context_cancel_leaves_no_goroutine_behind() {
    gort::run(|| {
        // Earlier tests' goroutines may still be finishing: let them.
        common::eventually_parking(Duration::from_secs(5), || {
            gort::runtime::num_goroutine() == 1
        });
        let base = gort::runtime::num_goroutine();
        let root = context::background();
        let (parent, cancel_parent) = context::with_cancel(&root);
        let mut cancels = Vec::new();
        for _ in 0..1_000 {
            let (_, cancel) = context::with_timeout(&parent, Duration::from_secs(3600));
            cancels.push(cancel);
        }
        for c in &cancels[..500] {
            c.cancel();
        }
        cancel_parent.cancel(); // the other 500, through their parent
        let short: Vec<_> = (0..100)
            .map(|_| context::with_timeout(&root, Duration::from_millis(1)))
            .collect();
        for (ctx, _) in &short {
            let _ = ctx.done().recv();
        }
        assert_eq!(gort::runtime::num_goroutine(), base);
    });
}

#[derive(Debug, PartialEq)]
struct RequestId(u64);

/// Values are found by type through cancel and deadline nodes, the nearest
/// one wins; a child keeps a parent's earlier deadline; background is
/// never done and has no deadline.
fn context_values_deadlines_and_background() {
    gort::run(|| {
        let bg = context::background();
        assert!(!is_done(&bg) && bg.err().is_none() && bg.deadline().is_none());
        let a = context::with_value(&bg, RequestId(1));
        let (b, _cb) = context::with_cancel(&a);
        let c = context::with_value(&b, "user");
        assert_eq!(c.value::<RequestId>(), Some(&RequestId(1)));
        assert_eq!(c.value::<&str>(), Some(&"user"));
        assert_eq!(c.value::<u64>(), None);
        let d = context::with_value(&c, RequestId(2));
        assert_eq!(d.value::<RequestId>(), Some(&RequestId(2)));
        let soon = std::time::Instant::now() + Duration::from_secs(60);
        let (e, _ce) = context::with_deadline(&d, soon);
        assert_eq!(e.deadline(), Some(soon));
        let (f, _cf) = context::with_timeout(&e, Duration::from_secs(3600));
        assert_eq!(
            f.deadline(),
            Some(soon),
            "a later deadline replaced an earlier one"
        );
        let (g, _cg) = context::with_deadline(&f, std::time::Instant::now());
        assert_eq!(
            g.err(),
            Some(context::Error::DeadlineExceeded),
            "a past deadline is already done"
        );
        assert!(f.err().is_none());
    });
}

/// `recv_ctx` and `send_ctx` give up when the context does, handing an
/// unsent value back; they complete when the channel is ready.
fn channel_operations_give_up_when_the_context_does() {
    gort::run(|| {
        let (tx, rx) = gort::chan::<String>(0);
        let (ctx, cancel) =
            context::with_timeout(&context::background(), Duration::from_millis(10));
        assert_eq!(
            rx.recv_ctx(&ctx),
            Err(gort::chan::RecvCtxError::Done(
                context::Error::DeadlineExceeded
            ))
        );
        match tx.send_ctx("kept".to_string(), &ctx) {
            Err(e) => assert_eq!(e.into_inner(), "kept"),
            Ok(()) => panic!("sent with nobody receiving"),
        }
        cancel.cancel();
        let (live, stop) = context::with_cancel(&context::background());
        let rx2 = rx.clone();
        let h = gort::spawn(move || rx2.recv_ctx(&live));
        tx.send_ctx("hello".to_string(), &context::background())
            .unwrap();
        assert_eq!(h.join().unwrap(), Ok("hello".to_string()));
        stop.cancel();
        drop(tx);
        assert_eq!(
            rx.recv_ctx(&context::background()),
            Err(gort::chan::RecvCtxError::Closed)
        );
    });
}

/// `ErrGroup::with_context`: the first failure cancels the group's context,
/// so the other goroutines, waiting on it, stop long before their hour.
fn errgroup_context_stops_the_others_on_first_error() {
    let (result, stopped) = gort::run(|| {
        let (g, ctx) = ErrGroup::with_context(&context::background());
        let stopped = Arc::new(AtomicUsize::new(0));
        for i in 0..6 {
            let (ctx, stopped) = (ctx.clone(), stopped.clone());
            g.go(move || {
                if i == 4 {
                    gort::time::sleep(Duration::from_millis(5));
                    return Err(format!("worker {i} failed"));
                }
                gort::select! {
                    <-ctx.done() => { stopped.fetch_add(1, SeqCst); }
                    <-gort::time::after(Duration::from_secs(3600)) => {}
                }
                Ok(())
            });
        }
        let result = g.wait();
        assert_eq!(ctx.err(), Some(context::Error::Canceled));
        (result, stopped.load(SeqCst))
    });
    assert_eq!(result, Err("worker 4 failed".to_string()));
    assert_eq!(stopped, 5);
}

/// `acquire_ctx` gives up when its context does, holding nothing; a waiter
/// at the head that gives up lets the smaller request behind it in.
fn semaphore_acquire_gives_up_with_its_context() {
    gort::run(|| {
        let sem = Arc::new(Semaphore::new(3));
        sem.acquire(2);
        let (short, _c) = context::with_timeout(&context::background(), Duration::from_millis(10));
        assert_eq!(
            sem.acquire_ctx(&short, 2),
            Err(context::Error::DeadlineExceeded)
        );
        assert_eq!(sem.available(), 1, "a cancelled acquire kept permits");

        let (big_ctx, cancel_big) = context::with_cancel(&context::background());
        let big = {
            let sem = sem.clone();
            gort::spawn(move || sem.acquire_ctx(&big_ctx, 3))
        };
        gort::time::sleep(Duration::from_millis(10)); // big queues at the head
        let small = {
            let sem = sem.clone();
            gort::spawn(move || sem.acquire_ctx(&context::background(), 1))
        };
        gort::time::sleep(Duration::from_millis(10));
        assert!(
            !small.is_finished(),
            "the small request overtook the big one"
        );
        cancel_big.cancel();
        assert_eq!(big.join().unwrap(), Err(context::Error::Canceled));
        assert_eq!(
            small.join().unwrap(),
            Ok(()),
            "giving up at the head let nobody in"
        );
        assert_eq!(sem.available(), 0);
        sem.release(3);
        // Already cancelled, and nothing free: fails at once.
        sem.acquire(3);
        assert_eq!(
            sem.acquire_ctx(&short, 1),
            Err(context::Error::DeadlineExceeded)
        );
        sem.release(3);
    });
}

/// `Context` and `CancelFunc` cross goroutines: `Clone + Send + Sync`, as
/// are the x/sync types (checked when this file compiles).
const _: () = {
    fn shareable<T: Clone + Send + Sync + 'static>() {}
    fn sync<T: Send + Sync + 'static>() {}
    let _ = shareable::<Context>;
    let _ = shareable::<context::CancelFunc>;
    let _ = shareable::<ErrGroup<String>>;
    let _ = sync::<Semaphore>;
};

/// A scoped goroutine's unjoined result whose destructor panics: `scope`
/// neither hangs nor lets the panic escape a goroutine; it re-raises it.
fn scope_survives_a_result_whose_drop_panics() {
    struct Grenade;
    impl Drop for Grenade {
        fn drop(&mut self) {
            panic!("result dropped with a bang");
        }
    }
    let caught = gort::run(|| {
        catch_unwind(AssertUnwindSafe(|| {
            gort::scope(|s| {
                drop(s.spawn(|| Grenade)); // never joined: dropped by the scope
            })
        }))
        .unwrap_err()
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
    });
    assert_eq!(caught.as_deref(), Some("result dropped with a bang"));
}

/// An error type whose destructor parks (here, a sleep). When a panic
/// replaces a kept error, the error is dropped — after the group's lock is
/// released: dropped under it, its sleep would park the goroutine holding a
/// thread-blocking lock, and the next goroutine to fail would block the
/// thread on it; on one P nothing would run again (the watchdog reports it).
fn an_error_whose_drop_waits_does_not_hang_its_group() {
    struct SlowToDrop;
    impl Drop for SlowToDrop {
        fn drop(&mut self) {
            gort::time::sleep(Duration::from_millis(5));
        }
    }
    gort::run(|| {
        let group = ErrGroup::<SlowToDrop>::new();
        group.go(|| Err(SlowToDrop)); // kept as the first error
        group.go(|| {
            gort::time::sleep(Duration::from_millis(10));
            panic!("replaces the kept error, which is dropped");
        });
        group.go(|| {
            gort::time::sleep(Duration::from_millis(12)); // while that drop sleeps
            Err(SlowToDrop)
        });
        let waited = catch_unwind(AssertUnwindSafe(|| group.wait()));
        assert!(waited.is_err(), "wait re-raises the panic");
    });
}
