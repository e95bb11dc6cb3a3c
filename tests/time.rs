//! gort::time through the public API, with Go 1.23's timer-channel
//! semantics checked against what Go itself prints for the same program
//! (the expected values below came from running it with Go 1.27): `after`
//! fires once in a `select!` loop and its channel stays open; `Timer::stop`
//! and `reset` return Go's values and leave nothing stale; a stopped ticker
//! neither delivers nor closes; timers fire in deadline order; 200
//! goroutines sleep at once even on one P. Every test
//! runs under GOMAXPROCS 1, 2, 8, 16 and 64 (see common/mod.rs).

mod common;

use gort::time::{after, after_func, Duration, Instant, Ticker, Timer};
use std::sync::Arc;

fn main() {
    common::main(&[
        ("tick_of_zero_is_never_ready", tick_of_zero_is_never_ready),
        (
            "an_expired_timer_is_ready_at_once",
            an_expired_timer_is_ready_at_once,
        ),
        ("ticks_carry_their_due_times", ticks_carry_their_due_times),
        (
            "a_timer_shared_by_goroutines_never_hangs_them",
            a_timer_shared_by_goroutines_never_hangs_them,
        ),
        (
            "a_dropped_timer_still_delivers_to_a_receiver_clone",
            a_dropped_timer_still_delivers_to_a_receiver_clone,
        ),
        (
            "a_dropped_ticker_stops_even_for_a_receiver_clone",
            a_dropped_ticker_stops_even_for_a_receiver_clone,
        ),
        (
            "after_fires_once_in_a_select_loop",
            after_fires_once_in_a_select_loop,
        ),
        (
            "timer_stop_and_reset_return_gos_values",
            timer_stop_and_reset_return_gos_values,
        ),
        (
            "a_stopped_ticker_neither_delivers_nor_closes",
            a_stopped_ticker_neither_delivers_nor_closes,
        ),
        (
            "after_func_runs_in_its_own_goroutine_unless_stopped",
            after_func_runs_in_its_own_goroutine_unless_stopped,
        ),
        (
            "timers_fire_in_deadline_order",
            timers_fire_in_deadline_order,
        ),
        (
            "tickers_and_timers_are_select_operands_by_reference",
            tickers_and_timers_are_select_operands_by_reference,
        ),
        ("any_duration_is_accepted", any_duration_is_accepted),
        (
            "two_hundred_sleepers_sleep_together",
            two_hundred_sleepers_sleep_together,
        ),
    ]);
}

/// `tick(0)` is Go's `time.Tick(0)`: a nil channel, never ready (and no
/// panic, unlike `Ticker::new(0)`).
fn tick_of_zero_is_never_ready() {
    gort::run(|| {
        let never = gort::time::tick(Duration::ZERO);
        gort::select! {
            _ = <-never => panic!("tick(0) delivered"),
            _ = <-after(Duration::from_millis(30)) => {},
        }
        assert_eq!(never.try_recv(), Err(gort::chan::TryRecvError::Empty));
    });
}

/// A Ticker delivers each tick's due time, as Go does (not when the runtime
/// got round to it): successive values are exactly whole periods apart,
/// however late each was sent.
fn ticks_carry_their_due_times() {
    gort::run(|| {
        let period = Duration::from_millis(7);
        let ticker = Ticker::new(period);
        let mut last = ticker.recv();
        for _ in 0..5 {
            let t = ticker.recv();
            let gap = t - last;
            assert!(
                gap >= period && gap.as_nanos().is_multiple_of(period.as_nanos()),
                "{gap:?} is not a whole number of {period:?} periods"
            );
            last = t;
        }
    });
}

/// A timer whose time has come is ready at once, as in Go 1.23 (which
/// runs an expired timer when its channel is received from), not only once
/// the runtime gets round to firing it: `try_recv` right after a zero
/// timer gets its value, and `select!` between a ready channel and
/// `after(ZERO)` picks either about as often (Go 1.27: 4,946 to 5,054 in
/// 10,000).
fn an_expired_timer_is_ready_at_once() {
    gort::run(|| {
        let t = Timer::new(Duration::ZERO);
        assert!(t.receiver().try_recv().is_ok(), "Timer::new(0) not ready");
        assert!(
            after(Duration::ZERO).try_recv().is_ok(),
            "after(0) not ready"
        );
        let (tx, rx) = gort::chan::<()>(1);
        let mut timer_won = 0;
        for _ in 0..400 {
            tx.send(()).unwrap();
            gort::select! {
                _ = <-rx => {},
                _ = <-after(Duration::ZERO) => timer_won += 1,
            }
            let _ = rx.try_recv();
        }
        assert!(
            (100..=300).contains(&timer_won),
            "after(0) won {timer_won} of 400 selects against a ready channel"
        );
    });
}

/// A `<-warn` arm over `after(5ms)` in a loop fires exactly once in 50 ms
/// (before Go 1.23 semantics, gort's channel closed after firing and the
/// arm fired about 99,000 times).
fn after_fires_once_in_a_select_loop() {
    let fired = gort::run(|| {
        let warn = after(Duration::from_millis(5));
        let deadline = after(Duration::from_millis(50));
        let mut fired = 0;
        loop {
            gort::select! {
                <-warn => fired += 1,
                <-deadline => break,
            }
        }
        assert!(!warn.is_closed(), "a fired after() channel closed");
        fired
    });
    assert_eq!(fired, 1);
}

/// Receive from `t` within `d`; false if nothing came.
fn receives_within(t: &Timer, d: Duration) -> bool {
    gort::select! {
        v = <-t => v.is_ok(),
        <-after(d) => false,
    }
}

/// The Go program's sequence, line by line (Go printed the values asserted).
fn timer_stop_and_reset_return_gos_values() {
    gort::run(|| {
        let t = Timer::new(Duration::from_secs(3600));
        assert!(t.stop(), "stop pending");
        assert!(!t.stop(), "stop again");
        assert!(!t.reset(Duration::from_millis(1)), "reset stopped");
        gort::time::sleep(Duration::from_millis(10));
        assert!(t.stop(), "stop fired-unreceived");
        assert!(
            !receives_within(&t, Duration::from_millis(10)),
            "stale value received"
        );
        t.reset(Duration::from_millis(1));
        assert!(receives_within(&t, Duration::from_secs(5)));
        assert!(!t.stop(), "stop fired-received");
        assert!(!t.reset(Duration::from_secs(3600)), "reset fired-received");
        assert!(t.reset(Duration::from_secs(3600)), "reset pending");
        assert!(!t.receiver().is_closed());
    });
}

/// After `stop` a ticker delivers nothing — not even a tick that was
/// waiting — and its channel stays open; `reset` starts it again.
fn a_stopped_ticker_neither_delivers_nor_closes() {
    gort::run(|| {
        let tk = Ticker::new(Duration::from_millis(1));
        tk.recv();
        gort::time::sleep(Duration::from_millis(5)); // a tick waits unreceived
        tk.stop();
        let delivered = gort::select! {
            <-&tk => true,
            <-after(Duration::from_millis(20)) => false,
        };
        assert!(!delivered, "ticker delivered after stop");
        assert!(
            !tk.receiver().is_closed(),
            "a stopped ticker's channel closed"
        );
        tk.reset(Duration::from_millis(2));
        tk.recv(); // ticks again
    });
}

/// `after_func`'s function runs in a goroutine of its own once the time is
/// up, not if stopped first, and again after a `reset` of a stopped one.
fn after_func_runs_in_its_own_goroutine_unless_stopped() {
    gort::run(|| {
        let (tx, rx) = gort::chan::<u64>(1);
        let af = after_func(Duration::from_secs(3600), move || {
            tx.send(gort::runtime::goroutine_id()).unwrap();
        });
        assert!(af.stop(), "afterfunc stop");
        af.reset(Duration::from_millis(1));
        let ran_on = rx.recv().unwrap();
        assert_ne!(ran_on, gort::runtime::goroutine_id());
        assert!(!af.stop(), "stop after it ran");
        // Re-armed after it ran: it fires, runs nothing, and sends nothing.
        assert!(!af.reset(Duration::from_millis(1)));
        gort::time::sleep(Duration::from_millis(10));
        assert!(
            af.receiver().try_recv().is_err(),
            "an after_func timer sent on its channel"
        );
        assert!(!af.stop());
        // Dropping the Timer does not stop it (Go's ignored AfterFunc result).
        let (tx, rx) = gort::chan::<()>(1);
        drop(after_func(Duration::from_millis(1), move || {
            tx.send(()).unwrap()
        }));
        assert!(rx.recv().is_ok());
    });
}

/// 50 timers armed in shuffled order deliver in the order of their
/// deadlines. (10 ms apart: each callback is a goroutine of its own, so two
/// close together could swap on a loaded machine, in Go as in gort; 5 ms
/// apart they did, while a compiler ran beside the test.)
fn timers_fire_in_deadline_order() {
    let order = gort::run(|| {
        let (tx, rx) = gort::chan::<u32>(64);
        let start = Instant::now();
        let mut timers = Vec::new();
        for i in (0..50u32).map(|i| (i * 37) % 50) {
            let tx = tx.clone();
            let at = start + Duration::from_millis(5 + 10 * u64::from(i));
            timers.push(after_func(at - Instant::now(), move || tx.send(i).unwrap()));
        }
        drop(tx);
        rx.iter().collect::<Vec<_>>()
    });
    assert_eq!(order, (0..50).collect::<Vec<_>>());
}

/// The goroutine that selects on a ticker can stop it in the same loop,
/// through the reference it selects on.
fn tickers_and_timers_are_select_operands_by_reference() {
    gort::run(|| {
        let ticker = Arc::new(Ticker::new(Duration::from_millis(1)));
        let timeout = Timer::new(Duration::from_millis(30));
        let mut ticks = 0;
        loop {
            gort::select! {
                <-&*ticker => {
                    ticks += 1;
                    if ticks == 3 {
                        ticker.stop();
                    }
                }
                <-&timeout => break,
            }
        }
        assert_eq!(ticks, 3);
    });
}

/// Go accepts any duration (`time.After(math.MaxInt64)`): so do gort's
/// timers, timeouts and contexts, rather than overflowing an `Instant`.
fn any_duration_is_accepted() {
    gort::run(|| {
        let forever = Duration::MAX;
        let t = Timer::new(forever);
        let tk = Ticker::new(forever);
        let (ctx, cancel) = gort::context::with_timeout(&gort::context::background(), forever);
        let quick = gort::select! {
            <-after(forever) => false,
            <-&t => false,
            <-&tk => false,
            <-ctx.done() => false,
            <-after(Duration::from_millis(5)) => true,
        };
        assert!(quick);
        assert!(t.stop(), "a timer armed for ever is active");
        cancel.cancel();
        let (_tx, rx) = gort::chan::<u8>(0);
        assert!(rx.recv_timeout(Duration::from_millis(1)).is_err());
        let (tx, rx2) = gort::chan::<u8>(1);
        tx.send(1).unwrap();
        assert_eq!(rx2.recv_timeout(forever), Ok(1));
    });
}

/// 200 goroutines each sleep 100 ms at once — under GOMAXPROCS=1 too —
/// and all wake: the sleeps overlap (about 100 ms in all, where one after
/// another would take 20 s) because a sleeping goroutine holds no thread.
fn two_hundred_sleepers_sleep_together() {
    let start = Instant::now();
    gort::run(|| {
        let wg = gort::sync::WaitGroup::new();
        for _ in 0..200 {
            wg.add(1);
            let wg = wg.clone();
            gort::go!(move || {
                gort::time::sleep(Duration::from_millis(100));
                wg.done();
            });
        }
        wg.wait();
    });
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(100), "woke early: {took:?}");
    assert!(
        took < Duration::from_secs(10),
        "sleeps did not overlap: {took:?}"
    );
}

/// A Timer shared by two goroutines: one resets it in a loop, the other
/// stops it. A time slice that runs out while `reset` holds the timer's
/// lock must not stop the goroutine there: the stopper would block its
/// thread on that lock, and on one P nothing would ever run again (the
/// watchdog reports the hang). The resetter's loop has a checkpoint of its
/// own, so its slices end somewhere.
fn a_timer_shared_by_goroutines_never_hangs_them() {
    use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
    gort::run(|| {
        let t = Arc::new(Timer::new(Duration::from_secs(3600)));
        let done = Arc::new(AtomicBool::new(false));
        let (t2, done2) = (t.clone(), done.clone());
        let resetter = gort::spawn(move || {
            while !done2.load(SeqCst) {
                t2.reset(Duration::from_secs(3600));
                gort::checkpoint();
            }
        });
        let start = Instant::now();
        while start.elapsed() < Duration::from_millis(100) {
            t.stop();
            gort::yield_now();
        }
        done.store(true, SeqCst);
        resetter.join().unwrap();
    });
}

/// Dropping a `Timer` does not stop it while a clone of its receiver can
/// still receive (as in Go, where the channel keeps the timer alive).
fn a_dropped_timer_still_delivers_to_a_receiver_clone() {
    gort::run(|| {
        let t = Timer::new(Duration::from_millis(5));
        let rx = t.receiver().clone();
        drop(t);
        assert!(rx.recv_timeout(Duration::from_secs(5)).is_ok());
    });
}

/// Unlike a `Timer`, a dropped `Ticker` stops, even while a clone of its
/// receiver lives (gort's API promises "stop on drop"; in Go 1.23 the
/// channel would keep it ticking): no tick arrives after the drop.
fn a_dropped_ticker_stops_even_for_a_receiver_clone() {
    gort::run(|| {
        let t = Ticker::new(Duration::from_millis(2));
        let rx = t.receiver().clone();
        assert!(rx.recv_timeout(Duration::from_secs(5)).is_ok(), "it ticks");
        drop(t);
        assert!(rx.recv_timeout(Duration::from_millis(30)).is_err());
    });
}
