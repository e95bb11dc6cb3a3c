//! Channels through the public API, under GOMAXPROCS 1, 2, 8, 16 and 64: the
//! semantics API.md promises, between goroutines and plain threads, and
//! stress tests that count every message (no loss, no duplicate).

mod common;

use gort::chan::{RecvTimeoutError, SendTimeoutError, TryRecvError, TrySendError};
use gort::sync::WaitGroup;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::*};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn main() {
    common::main(&[
        (
            "unbuffered_send_waits_for_a_receiver",
            unbuffered_send_waits_for_a_receiver,
        ),
        (
            "buffered_channels_are_fifo_with_len_and_cap",
            buffered_fifo_len_cap,
        ),
        (
            "close_drains_then_reports_closed",
            close_drains_then_reports_closed,
        ),
        (
            "send_on_closed_returns_the_value",
            send_on_closed_returns_the_value,
        ),
        (
            "dropping_the_last_sender_closes",
            dropping_the_last_sender_closes,
        ),
        (
            "dropping_the_last_receiver_releases_blocked_senders",
            dropping_last_receiver_releases_senders,
        ),
        ("try_operations_never_block", try_operations_never_block),
        (
            "timeouts_expire_and_return_the_value",
            timeouts_expire_and_return_the_value,
        ),
        (
            "deadlines_full_and_same_channel",
            deadlines_full_and_same_channel,
        ),
        (
            "threads_and_goroutines_share_channels",
            threads_and_goroutines_share_channels,
        ),
        (
            "mpmc_stress_counts_every_message",
            mpmc_stress_counts_every_message,
        ),
        (
            "timeouts_racing_sends_lose_nothing",
            timeouts_racing_sends_lose_nothing,
        ),
        (
            "close_racing_blocked_senders_loses_nothing",
            close_racing_blocked_senders_loses_nothing,
        ),
        (
            "buffered_values_are_dropped_with_the_last_receiver",
            buffered_values_dropped_with_last_receiver,
        ),
        (
            "a_message_owning_its_own_sender_is_dropped_once",
            message_owning_its_own_sender_is_dropped_once,
        ),
        (
            "a_panicking_destructor_in_the_drain_loses_no_other_value",
            panicking_destructor_in_drain_loses_nothing,
        ),
        (
            "spinning_on_try_operations_lets_the_partner_run",
            spinning_on_try_operations_lets_the_partner_run,
        ),
        (
            "select_send_arm_never_fires_once_receivers_are_gone",
            send_arm_skips_orphaned_channel,
        ),
        (
            "select_send_arm_panics_on_a_closed_channel",
            send_arm_panics_on_closed_channel,
        ),
    ])
}

fn unbuffered_send_waits_for_a_receiver() {
    gort::run(|| {
        let (tx, rx) = gort::chan::<u32>(0);
        let sent = Arc::new(AtomicBool::new(false));
        let s = sent.clone();
        gort::go!(move || {
            tx.send(7).unwrap();
            s.store(true, SeqCst);
        });
        for _ in 0..100 {
            gort::yield_now();
        }
        assert!(
            !sent.load(SeqCst),
            "an unbuffered send completed with no receiver"
        );
        assert_eq!(rx.recv(), Ok(7));
        assert_eq!(rx.cap(), 0);
    });
}

fn buffered_fifo_len_cap() {
    gort::run(|| {
        let (tx, rx) = gort::chan::<usize>(5);
        for i in 0..5 {
            tx.send(i).unwrap();
        }
        assert_eq!((tx.len(), tx.cap(), rx.len()), (5, 5, 5));
        assert!(tx.try_send(99).unwrap_err().is_full());
        assert_eq!(rx.iter().take(5).collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
        assert!(rx.is_empty());
    });
}

fn close_drains_then_reports_closed() {
    gort::run(|| {
        let (tx, rx) = gort::chan::<i32>(3);
        tx.send(1).unwrap();
        tx.send(2).unwrap();
        assert!(tx.close(), "the first close closes");
        assert!(!tx.close(), "a second close reports false (Go would panic)");
        assert!(rx.is_closed() && tx.is_closed());
        assert_eq!(rx.recv(), Ok(1));
        assert_eq!(rx.try_recv(), Ok(2));
        assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
        assert!(rx.recv().is_err());
        // A receiver blocked before the close is released by it.
        let (tx, rx) = gort::chan::<i32>(0);
        let h = gort::spawn(move || rx.recv());
        gort::yield_now();
        tx.close();
        assert!(h.join().unwrap().is_err());
    });
}

fn send_on_closed_returns_the_value() {
    let (tx, rx) = gort::chan::<String>(1);
    tx.close();
    let err = tx.send("kept".to_string()).unwrap_err();
    assert_eq!(err.into_inner(), "kept");
    match tx.try_send("again".into()) {
        Err(TrySendError::Closed(v)) => assert_eq!(v, "again"),
        other => panic!("expected Closed, got {other:?}"),
    }
    drop(rx);
}

fn dropping_the_last_sender_closes() {
    let total = gort::run(|| {
        let (tx, rx) = gort::chan::<u64>(0);
        for p in 0..4u64 {
            let tx = tx.clone();
            gort::go!(move || (0..100).for_each(|i| tx.send(p * 100 + i).unwrap()));
        }
        drop(tx);
        rx.into_iter().sum::<u64>() // ends when all four clones are dropped
    });
    assert_eq!(total, (0..400).sum::<u64>());
}

fn dropping_last_receiver_releases_senders() {
    gort::run(|| {
        let (tx, rx) = gort::chan::<u32>(1);
        tx.send(1).unwrap(); // now full
        let blocked = gort::spawn({
            let tx = tx.clone();
            move || tx.send(2)
        });
        gort::yield_now();
        drop(rx);
        assert_eq!(blocked.join().unwrap().unwrap_err().into_inner(), 2);
        assert_eq!(
            tx.send(3).unwrap_err().into_inner(),
            3,
            "sending fails at once"
        );
    });
}

fn try_operations_never_block() {
    let (tx, rx) = gort::chan::<u8>(0);
    assert!(tx.try_send(1).unwrap_err().is_full(), "no receiver waiting");
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    drop(tx);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

fn timeouts_expire_and_return_the_value() {
    gort::run(|| {
        let (tx, rx) = gort::chan::<Vec<u8>>(0);
        match tx.send_timeout(vec![1, 2], Duration::from_millis(5)) {
            Err(SendTimeoutError::Timeout(v)) => assert_eq!(v, [1, 2]),
            other => panic!("expected a timeout, got {other:?}"),
        }
        assert_eq!(
            rx.recv_timeout(Duration::from_millis(5)),
            Err(RecvTimeoutError::Timeout)
        );
        let h = gort::spawn(move || rx.recv_timeout(Duration::from_secs(30)));
        tx.send_timeout(vec![3], Duration::from_secs(30)).unwrap();
        assert_eq!(h.join().unwrap(), Ok(vec![3]));
        drop(tx);
    });
}

/// crossbeam-channel's extras: `*_deadline`, `is_full`, `same_channel`.
fn deadlines_full_and_same_channel() {
    gort::run(|| {
        let (tx, rx) = gort::chan::<u8>(1);
        let soon = Instant::now() + Duration::from_millis(5);
        assert!(!tx.is_full() && !rx.is_full());
        tx.send_deadline(1, soon).unwrap();
        assert!(
            tx.is_full() && rx.is_full(),
            "one value fills a cap-1 buffer"
        );
        match tx.send_deadline(2, soon) {
            Err(SendTimeoutError::Timeout(v)) => assert_eq!(v, 2),
            other => panic!("expected a timeout, got {other:?}"),
        }
        assert!(Instant::now() >= soon, "send_deadline returned early");
        assert_eq!(rx.recv_deadline(soon), Ok(1));
        let later = Instant::now() + Duration::from_millis(5);
        assert_eq!(rx.recv_deadline(later), Err(RecvTimeoutError::Timeout));
        assert!(Instant::now() >= later, "recv_deadline returned early");
        let h = gort::spawn(move || rx.recv_deadline(Instant::now() + Duration::from_secs(30)));
        tx.send(3).unwrap();
        assert_eq!(h.join().unwrap(), Ok(3));

        let (a, a_rx) = gort::chan::<u8>(0);
        let (b, _b_rx) = gort::chan::<u8>(0);
        assert!(a.is_full(), "an unbuffered channel is always full");
        assert!(a.same_channel(&a.clone()) && !a.same_channel(&b));
        assert!(a_rx.same_channel(&a_rx.clone()));
    });
}

fn threads_and_goroutines_share_channels() {
    let (to_g, from_t) = gort::chan::<u32>(0);
    let (to_t, from_g) = gort::chan::<u32>(0);
    gort::go!(move || {
        for v in from_t {
            to_t.send(v * 2).unwrap();
        }
    });
    let thread = std::thread::spawn(move || {
        (1..=100)
            .map(|i| {
                to_g.send(i).unwrap();
                from_g.recv().unwrap()
            })
            .sum::<u32>()
    });
    assert_eq!(thread.join().unwrap(), 2 * 5050);
}

/// 4 producers × 20,000 messages through a small buffer to 4 consumers;
/// every message arrives exactly once, and each producer's messages arrive
/// in the order sent (channels are FIFO).
fn mpmc_stress_counts_every_message() {
    const PRODUCERS: usize = 4;
    const PER: usize = 20_000;
    for cap in [0, 1, 16] {
        let seen = gort::run(move || {
            let (tx, rx) = gort::chan::<(usize, usize)>(cap);
            let seen = Arc::new(Mutex::new(vec![0u8; PRODUCERS * PER]));
            let consumers = WaitGroup::new();
            for _ in 0..4 {
                let (rx, seen) = (rx.clone(), seen.clone());
                consumers.go(move || {
                    let mut last = [None::<usize>; PRODUCERS];
                    for (p, i) in rx {
                        assert!(last[p].is_none_or(|l| l < i), "producer {p} reordered");
                        last[p] = Some(i);
                        seen.lock().unwrap()[p * PER + i] += 1;
                    }
                });
            }
            drop(rx);
            for p in 0..PRODUCERS {
                let tx = tx.clone();
                gort::go!(move || (0..PER).for_each(|i| tx.send((p, i)).unwrap()));
            }
            drop(tx);
            consumers.wait();
            Arc::try_unwrap(seen).unwrap().into_inner().unwrap()
        });
        assert!(
            seen.iter().all(|&n| n == 1),
            "cap {cap}: a message was lost or duplicated"
        );
    }
}

/// Senders and receivers with tiny timeouts race real hand-offs: every
/// value is either received exactly once or handed back to its sender.
fn timeouts_racing_sends_lose_nothing() {
    const N: usize = 20_000;
    let (sent_back, received) = gort::run(|| {
        let (tx, rx) = gort::chan::<usize>(0);
        let returned = Arc::new(AtomicUsize::new(0));
        let received = Arc::new(Mutex::new(Vec::new()));
        let wg = WaitGroup::new();
        for s in 0..2 {
            let (tx, returned) = (tx.clone(), returned.clone());
            wg.go(move || {
                for i in (s..N).step_by(2) {
                    if let Err(e) = tx.send_timeout(i, Duration::from_micros(50)) {
                        assert_eq!(e.into_inner(), i);
                        returned.fetch_add(1, SeqCst);
                    }
                }
            });
        }
        drop(tx);
        for _ in 0..2 {
            let (rx, received) = (rx.clone(), received.clone());
            wg.go(move || loop {
                match rx.recv_timeout(Duration::from_micros(30)) {
                    Ok(v) => received.lock().unwrap().push(v),
                    Err(RecvTimeoutError::Closed) => break,
                    Err(RecvTimeoutError::Timeout) => {}
                }
            });
        }
        wg.wait();
        let got = received.lock().unwrap().clone();
        (returned.load(SeqCst), got)
    });
    let mut got = received;
    got.sort_unstable();
    got.dedup();
    assert_eq!(got.len() + sent_back, N, "values lost or duplicated");
}

/// Many senders blocked on a full channel while it is closed: each gets its
/// value back or it was received, never both, never neither.
fn close_racing_blocked_senders_loses_nothing() {
    for _ in 0..50 {
        let (returned, received) = gort::run(|| {
            let (tx, rx) = gort::chan::<usize>(2);
            let returned = Arc::new(AtomicUsize::new(0));
            let wg = WaitGroup::new();
            for i in 0..20 {
                let (tx, returned) = (tx.clone(), returned.clone());
                wg.go(move || {
                    if let Err(e) = tx.send(i) {
                        assert_eq!(e.0, i);
                        returned.fetch_add(1, SeqCst);
                    }
                });
            }
            let mut received = 0;
            for _ in 0..5 {
                if rx.recv().is_ok() {
                    received += 1;
                }
            }
            tx.close();
            wg.wait();
            received += rx.try_iter().count();
            (returned.load(SeqCst), received)
        });
        assert_eq!(returned + received, 20);
    }
}

/// Go's "send or done" idiom: when the consumer has gone (its receiver
/// dropped), an unbound send arm must not fire — Go's send would block —
/// so `done` is chosen, whether the consumer left before or during the
/// select. A bound arm (`r = tx <- v`) reports the error instead.
fn send_arm_skips_orphaned_channel() {
    gort::run(|| {
        let (tx, rx) = gort::chan::<i32>(0);
        let (done_tx, done) = gort::chan::<()>(0);
        drop(rx); // consumer gone before the select
        let h = gort::spawn(move || {
            gort::select! {
                tx <- 1 => "sent",
                <-done => "done",
            }
        });
        gort::yield_now();
        done_tx.close();
        assert_eq!(h.join().unwrap(), "done");

        let (tx, rx) = gort::chan::<i32>(0);
        let (done_tx, done) = gort::chan::<()>(0);
        let h = gort::spawn(move || {
            gort::select! {
                tx <- 1 => "sent",
                <-done => "done",
            }
        });
        for _ in 0..10 {
            gort::yield_now(); // let it block in the select
        }
        drop(rx); // consumer leaves while the select waits
        done_tx.close();
        assert_eq!(h.join().unwrap(), "done");

        let (tx, rx) = gort::chan::<i32>(0);
        drop(rx);
        let r = gort::select! { r = tx <- 5 => r };
        assert_eq!(r.unwrap_err().into_inner(), 5);
    });
}

/// As in Go, an unbound send arm on a channel closed with `close` panics.
fn send_arm_panics_on_closed_channel() {
    let (tx, _rx) = gort::chan::<i32>(1);
    tx.close();
    let h = gort::spawn(move || {
        gort::select! { tx <- 1 => {} }
    });
    let err = h.join().unwrap_err();
    assert_eq!(err.downcast_ref::<&str>(), Some(&"send on closed channel"));
}

/// Counts its drops in a shared counter; panics when dropped if `bomb`.
struct Counted {
    drops: Arc<AtomicUsize>,
    bomb: bool,
}

impl Counted {
    fn new(drops: &Arc<AtomicUsize>) -> Counted {
        Counted {
            drops: drops.clone(),
            bomb: false,
        }
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.drops.fetch_add(1, SeqCst);
        if self.bomb {
            panic!("a buffered value's destructor panics");
        }
    }
}

/// Run `f` on a goroutine and on a plain thread.
fn on_goroutine_and_thread(f: fn()) {
    gort::run(f);
    std::thread::spawn(f).join().unwrap();
}

/// crossbeam-channel's `drop_unreceived`: the buffered values go the
/// moment the last `Receiver` does, though a `Sender` is still alive.
fn buffered_values_dropped_with_last_receiver() {
    on_goroutine_and_thread(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = gort::chan::<Counted>(10);
        for _ in 0..5 {
            tx.send(Counted::new(&drops)).unwrap();
        }
        let rx2 = rx.clone();
        drop(rx);
        assert_eq!(drops.load(SeqCst), 0, "a receiver is left: nothing dropped");
        drop(rx2);
        assert_eq!(drops.load(SeqCst), 5, "dropped with the last receiver");
        // A later send gets its value back, and nothing is buffered.
        let back = tx.send(Counted::new(&drops)).unwrap_err().0;
        assert_eq!(drops.load(SeqCst), 5);
        drop(back);
        assert_eq!(drops.load(SeqCst), 6);
        assert_eq!(tx.len(), 0);
        drop(tx);
        assert_eq!(drops.load(SeqCst), 6, "nothing dropped twice");

        // Closed by the sender first, then the receiver goes.
        let (tx, rx) = gort::chan::<Counted>(4);
        tx.send(Counted::new(&drops)).unwrap();
        tx.send(Counted::new(&drops)).unwrap();
        assert!(tx.close());
        drop(rx);
        assert_eq!(drops.load(SeqCst), 8);
    });
}

/// A message that owns a `Sender` of its own channel, buffered in it: once
/// both outside ends are gone it must be dropped (it used to keep the
/// channel, and itself, alive for ever), and exactly once.
fn message_owning_its_own_sender_is_dropped_once() {
    struct Msg {
        _own: gort::Sender<Msg>,
        drops: Arc<AtomicUsize>,
    }
    impl Drop for Msg {
        fn drop(&mut self) {
            self.drops.fetch_add(1, SeqCst);
        }
    }
    on_goroutine_and_thread(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = gort::chan::<Msg>(1);
        tx.send(Msg {
            _own: tx.clone(),
            drops: drops.clone(),
        })
        .unwrap();
        drop(tx);
        assert_eq!(drops.load(SeqCst), 0);
        drop(rx);
        assert_eq!(drops.load(SeqCst), 1);
    });
}

/// One buffered value's destructor panics while the last receiver drops
/// the rest: the panic comes out of `drop`, every other value is still
/// dropped, the process does not abort, and the channel stays usable for
/// its senders (closed: they get their values back).
fn panicking_destructor_in_drain_loses_nothing() {
    on_goroutine_and_thread(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = gort::chan::<Counted>(8);
        for i in 0..8 {
            let mut v = Counted::new(&drops);
            v.bomb = i == 3;
            tx.send(v).unwrap();
        }
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(rx)));
        assert!(
            panicked.is_err(),
            "the destructor's panic comes out of drop"
        );
        assert_eq!(drops.load(SeqCst), 8, "every value dropped once");
        let back = tx.try_send(Counted::new(&drops)).unwrap_err();
        assert!(matches!(back, TrySendError::Closed(_)));
    });
}

/// crossbeam's `zero::stress_iter` as goroutines: one side spins on
/// `try_iter`/`try_send` and never blocks, the other blocks. At GOMAXPROCS=1
/// the spinner must give up the P at its try-operations' checkpoints, or
/// the blocked side never runs again (it used to hang).
fn spinning_on_try_operations_lets_the_partner_run() {
    // At GOMAXPROCS=1 every hand-off waits for a 10 ms time slice to end.
    const COUNT: usize = 25;
    gort::run(|| {
        let (request_tx, request_rx) = gort::chan::<()>(0);
        let (response_tx, response_rx) = gort::chan::<usize>(0);
        let spinner = gort::spawn(move || {
            let mut count = 0;
            loop {
                for x in response_rx.try_iter() {
                    count += x;
                    if count == COUNT {
                        return count;
                    }
                }
                let _ = request_tx.try_send(());
            }
        });
        for () in request_rx.iter() {
            if response_tx.send(1).is_err() {
                break;
            }
        }
        assert_eq!(spinner.join().unwrap(), COUNT);
    });
}
