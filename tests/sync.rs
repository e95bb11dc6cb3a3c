//! gort::sync beyond WaitGroup, through the public API: `Mutex` (exclusion,
//! parking, starvation mode), `RwLock` (shared readers, exclusive writers,
//! writer preference), `Once`, `Cond` and goroutine-local storage. Every
//! test runs under GOMAXPROCS 1, 2, 8, 16 and 64 (see common/mod.rs); a hang — the
//! symptom of a lost wake-up or of a lock that blocks its thread — is turned
//! into a failure by the harness's watchdog.

mod common;

use common::eventually;
use gort::sync::{Cond, Mutex, Once, RwLock, WaitGroup};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::*};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() {
    common::main(&[
        ("mutex_counts_every_increment", mutex_counts_every_increment),
        (
            "mutex_parks_the_goroutine_not_the_thread",
            mutex_parks_the_goroutine_not_the_thread,
        ),
        (
            "mutex_shared_by_goroutines_and_threads",
            mutex_shared_by_goroutines_and_threads,
        ),
        (
            "mutex_starvation_mode_lets_a_waiter_in",
            mutex_starvation_mode_lets_a_waiter_in,
        ),
        (
            "mutex_unlocks_when_a_holder_panics",
            mutex_unlocks_when_a_holder_panics,
        ),
        ("rwlock_readers_share", rwlock_readers_share),
        ("rwlock_writers_exclude", rwlock_writers_exclude),
        ("rwlock_writer_is_not_starved", rwlock_writer_is_not_starved),
        ("once_runs_exactly_once", once_runs_exactly_once),
        ("once_retries_after_a_panic", once_retries_after_a_panic),
        ("cond_producer_consumer", cond_producer_consumer),
        (
            "cond_ping_pong_loses_no_wakeup",
            cond_ping_pong_loses_no_wakeup,
        ),
        (
            "cond_waits_against_a_notifying_thread_never_hang",
            cond_waits_against_a_notifying_thread_never_hang,
        ),
        (
            "cond_notify_all_wakes_every_waiter",
            cond_notify_all_wakes_every_waiter,
        ),
        (
            "locals_are_per_goroutine_across_migration",
            locals_are_per_goroutine_across_migration,
        ),
        (
            "locals_are_dropped_at_goroutine_exit",
            locals_are_dropped_at_goroutine_exit,
        ),
        ("locals_nest", locals_nest),
        ("locals_on_plain_threads", locals_on_plain_threads),
    ])
}

/// A generous bound that turns "never happens" into a failure. Not a speed
/// requirement: the property under test holds within milliseconds.
const HANG: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------
// Mutex
// ---------------------------------------------------------------------------

/// 64 goroutines × 2,000 increments of a plain (non-atomic) counter, each a
/// separate read and write with a switch in between now and then; some
/// goroutines use `try_lock`. No increment may be lost, and no two holders
/// may ever be inside at once.
fn mutex_counts_every_increment() {
    const GOROUTINES: usize = 64;
    const EACH: usize = 2_000;
    let total = gort::run(|| {
        let counter = Arc::new(Mutex::new(0usize));
        let inside = Arc::new(AtomicBool::new(false));
        let wg = WaitGroup::new();
        for g in 0..GOROUTINES {
            let (counter, inside) = (counter.clone(), inside.clone());
            wg.go(move || {
                for i in 0..EACH {
                    let mut n = if g % 4 == 0 {
                        loop {
                            match counter.try_lock() {
                                Some(n) => break n,
                                None => gort::yield_now(),
                            }
                        }
                    } else {
                        counter.lock()
                    };
                    assert!(!inside.swap(true, SeqCst), "two holders at once");
                    let read = *n;
                    if (i + g) % 50 == 0 {
                        gort::yield_now(); // others pile up on the lock
                    }
                    *n = read + 1;
                    inside.store(false, SeqCst);
                }
            });
        }
        wg.wait();
        let n = *counter.lock();
        n
    });
    assert_eq!(total, GOROUTINES * EACH);
}

/// A goroutine holds the lock across many `yield_now`s while 16 others
/// wait on it. If `lock` blocked the thread instead of parking the
/// goroutine, GOMAXPROCS=1 would deadlock at the first waiter.
fn mutex_parks_the_goroutine_not_the_thread() {
    gort::run(|| {
        let m = Arc::new(Mutex::new(Vec::new()));
        let arrived = Arc::new(AtomicUsize::new(0));
        let guard = m.lock();
        let wg = WaitGroup::new();
        for i in 0..16 {
            let (m, arrived) = (m.clone(), arrived.clone());
            wg.go(move || {
                arrived.fetch_add(1, SeqCst);
                m.lock().push(i);
            });
        }
        let start = Instant::now();
        while arrived.load(SeqCst) < 16 {
            gort::yield_now();
            assert!(start.elapsed() < HANG, "waiters never ran");
        }
        // All 16 are waiting; keep the lock through more switches.
        for _ in 0..200 {
            gort::yield_now();
        }
        assert!(guard.is_empty(), "someone got in while the lock was held");
        assert!(m.try_lock().is_none());
        drop(guard);
        wg.wait();
        let mut got = m.lock().clone();
        got.sort();
        assert_eq!(got, (0..16).collect::<Vec<_>>());
    });
}

/// Plain threads and goroutines contend on one Mutex, in both directions
/// (a thread waits on a goroutine's lock and vice versa).
fn mutex_shared_by_goroutines_and_threads() {
    const EACH: usize = 2_000;
    let m = Arc::new(Mutex::new(0usize));
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let m = m.clone();
            std::thread::spawn(move || {
                for i in 0..EACH {
                    let mut n = m.lock();
                    let read = *n;
                    if i % 100 == 0 {
                        std::thread::yield_now();
                    }
                    *n = read + 1;
                }
            })
        })
        .collect();
    let theirs = m.clone();
    gort::run(move || {
        let wg = WaitGroup::new();
        for _ in 0..8 {
            let m = theirs.clone();
            wg.go(move || {
                for i in 0..EACH {
                    let mut n = m.lock();
                    let read = *n;
                    if i % 100 == 0 {
                        gort::yield_now();
                    }
                    *n = read + 1;
                }
            });
        }
        wg.wait();
    });
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(*m.lock(), 10 * EACH);
}

/// Starvation mode. A "hammer" goroutine takes the lock in a tight loop and
/// holds it across a `yield_now` each time (so whoever else runs finds it
/// locked), releasing it only for an instant. A waiter that is woken in
/// normal mode finds the lock re-taken every time and would wait forever;
/// after 1 ms of waiting it must switch the mutex to starvation mode, and
/// the hammer's next unlock must hand the lock to it. Without starvation
/// mode this fails (at least under GOMAXPROCS=1, where the waiter can only
/// run while the hammer is inside its `yield_now`).
fn mutex_starvation_mode_lets_a_waiter_in() {
    gort::run(|| {
        let m = Arc::new(Mutex::new(0u64));
        let got_in = Arc::new(AtomicBool::new(false));
        let hammering = Arc::new(AtomicBool::new(false));
        let hammer = {
            let (m, got_in, hammering) = (m.clone(), got_in.clone(), hammering.clone());
            gort::spawn(move || {
                let start = Instant::now();
                while !got_in.load(SeqCst) {
                    let mut rounds = m.lock();
                    hammering.store(true, SeqCst);
                    *rounds += 1;
                    gort::yield_now();
                    drop(rounds);
                    if start.elapsed() > HANG {
                        return false; // the waiter starved
                    }
                }
                true
            })
        };
        while !hammering.load(SeqCst) {
            gort::yield_now();
        }
        let waiter = {
            let (m, got_in) = (m.clone(), got_in.clone());
            gort::spawn(move || {
                let rounds = m.lock();
                got_in.store(true, SeqCst);
                *rounds
            })
        };
        let rounds_before = waiter.join().unwrap();
        assert!(
            hammer.join().unwrap(),
            "the waiter never got the lock from a goroutine re-locking in a loop"
        );
        assert!(rounds_before > 0);
    });
}

/// No poisoning: a goroutine that panics while holding the lock releases
/// it, and the next `lock` succeeds with the data as the panic left it.
fn mutex_unlocks_when_a_holder_panics() {
    gort::run(|| {
        let m = Arc::new(Mutex::new(1));
        let theirs = m.clone();
        let r = gort::spawn(move || {
            let mut n = theirs.lock();
            *n = 2;
            panic!("expected test panic while holding a gort Mutex");
        })
        .join();
        assert!(r.is_err());
        assert_eq!(*m.lock(), 2);
        assert!(!m.is_locked());
    });
}

// ---------------------------------------------------------------------------
// RwLock
// ---------------------------------------------------------------------------

/// 8 readers hold the read lock at the same time: each waits, lock held,
/// until all 8 are inside. An exclusive read lock would deadlock here;
/// meanwhile a writer cannot get in.
fn rwlock_readers_share() {
    const READERS: usize = 8;
    gort::run(|| {
        let lock = Arc::new(RwLock::new(5));
        let inside = Arc::new(AtomicUsize::new(0));
        let release = Arc::new(AtomicBool::new(false));
        let wg = WaitGroup::new();
        for _ in 0..READERS {
            let (lock, inside, release) = (lock.clone(), inside.clone(), release.clone());
            wg.go(move || {
                let v = lock.read();
                inside.fetch_add(1, SeqCst);
                while !release.load(SeqCst) {
                    gort::yield_now();
                }
                assert_eq!(*v, 5);
            });
        }
        let start = Instant::now();
        while inside.load(SeqCst) < READERS {
            gort::yield_now();
            assert!(start.elapsed() < HANG, "readers did not get in together");
        }
        assert!(lock.try_write().is_none(), "a writer got in with readers");
        assert!(lock.try_read().is_some(), "one more reader is welcome");
        release.store(true, SeqCst);
        wg.wait();
        *lock.try_write().expect("free again") += 1;
        assert_eq!(*lock.read(), 6);
    });
}

/// Writers update two fields with a switch in between; readers (who also
/// switch while holding the lock) must never see them differ, and no
/// writer's update may be lost.
fn rwlock_writers_exclude() {
    const GOROUTINES: usize = 32;
    const EACH: usize = 400;
    let (a, b, writes) = gort::run(|| {
        let lock = Arc::new(RwLock::new((0usize, 0usize)));
        let writes = Arc::new(AtomicUsize::new(0));
        let wg = WaitGroup::new();
        for g in 0..GOROUTINES {
            let (lock, writes) = (lock.clone(), writes.clone());
            wg.go(move || {
                for i in 0..EACH {
                    if (g + i) % 4 == 0 {
                        let mut w = lock.write();
                        w.0 += 1;
                        if i % 8 == 0 {
                            gort::yield_now();
                        }
                        w.1 += 1;
                        writes.fetch_add(1, SeqCst);
                    } else {
                        let r = lock.read();
                        let first = r.0;
                        if i % 8 == 1 {
                            gort::yield_now();
                        }
                        assert_eq!(first, r.1, "a reader saw a half-done write");
                        assert_eq!(r.0, first, "the data changed under a reader");
                    }
                }
            });
        }
        wg.wait();
        let (a, b) = *lock.read();
        (a, b, writes.load(SeqCst))
    });
    assert_eq!(a, b);
    assert_eq!(a, writes);
    assert_eq!(
        writes,
        (0..GOROUTINES)
            .map(|g| (0..EACH).filter(|i| (g + i) % 4 == 0).count())
            .sum()
    );
}

/// Four readers keep the read lock continuously occupied: each holds it
/// across a few switches, and they overlap, so the reader count never
/// drops to zero by itself. A writer must still get in — a pending writer
/// makes new readers wait. Without writer preference it would starve.
fn rwlock_writer_is_not_starved() {
    gort::run(|| {
        let lock = Arc::new(RwLock::new(0u32));
        let written = Arc::new(AtomicBool::new(false));
        let reads = Arc::new(AtomicUsize::new(0));
        let readers: Vec<_> = (0..4)
            .map(|_| {
                let (lock, written, reads) = (lock.clone(), written.clone(), reads.clone());
                gort::spawn(move || {
                    let start = Instant::now();
                    while !written.load(SeqCst) {
                        let g = lock.read();
                        reads.fetch_add(1, SeqCst);
                        for _ in 0..3 {
                            gort::yield_now();
                        }
                        drop(g);
                        if start.elapsed() > HANG {
                            return false;
                        }
                    }
                    true
                })
            })
            .collect();
        while reads.load(SeqCst) < 20 {
            gort::yield_now();
        }
        let writer = {
            let (lock, written) = (lock.clone(), written.clone());
            gort::spawn(move || {
                *lock.write() = 1;
                written.store(true, SeqCst);
            })
        };
        writer.join().unwrap();
        for r in readers {
            assert!(r.join().unwrap(), "the writer starved behind readers");
        }
        assert_eq!(*lock.read(), 1);
    });
}

// ---------------------------------------------------------------------------
// Once
// ---------------------------------------------------------------------------

/// 100 goroutines race into `call_once`; the function (which switches
/// goroutines several times, so the others arrive and park while it runs)
/// runs exactly once, and every caller returns only after it finished.
fn once_runs_exactly_once() {
    gort::run(|| {
        let once = Arc::new(Once::new());
        let runs = Arc::new(AtomicUsize::new(0));
        let value = Arc::new(AtomicUsize::new(0));
        let wg = WaitGroup::new();
        for _ in 0..100 {
            let (once, runs, value) = (once.clone(), runs.clone(), value.clone());
            wg.go(move || {
                once.call_once(|| {
                    runs.fetch_add(1, SeqCst);
                    for _ in 0..10 {
                        gort::yield_now();
                    }
                    value.store(42, SeqCst);
                });
                assert_eq!(value.load(SeqCst), 42, "returned before f finished");
            });
        }
        wg.wait();
        assert_eq!(runs.load(SeqCst), 1);
        assert!(once.is_completed());
        once.call_once(|| panic!("a completed Once must not run again"));
    });
}

/// The first caller's function panics after others have parked waiting for
/// it. The `Once` stays incomplete, one of the waiters runs its own
/// function, and the rest then see the Once completed.
fn once_retries_after_a_panic() {
    gort::run(|| {
        let once = Arc::new(Once::new());
        let started = Arc::new(AtomicBool::new(false));
        let successes = Arc::new(AtomicUsize::new(0));
        let panicker = {
            let (once, started) = (once.clone(), started.clone());
            gort::spawn(move || {
                once.call_once(|| {
                    started.store(true, SeqCst);
                    for _ in 0..50 {
                        gort::yield_now(); // let the others queue up
                    }
                    panic!("expected test panic inside Once::call_once");
                })
            })
        };
        while !started.load(SeqCst) {
            gort::yield_now();
        }
        let wg = WaitGroup::new();
        for _ in 0..10 {
            let (once, successes) = (once.clone(), successes.clone());
            wg.go(move || {
                once.call_once(|| {
                    successes.fetch_add(1, SeqCst);
                });
                assert!(once.is_completed());
            });
        }
        assert!(panicker.join().is_err(), "the panic reaches its caller");
        wg.wait();
        assert_eq!(successes.load(SeqCst), 1);
        assert!(once.is_completed());
    });
}

// ---------------------------------------------------------------------------
// Cond
// ---------------------------------------------------------------------------

struct Buffer {
    items: VecDeque<usize>,
    closed: bool,
}

/// A bounded buffer (capacity 4) built from a Mutex and two Conds: 4
/// producers × 2,000 items, 4 consumers. Every item arrives exactly once; a
/// lost wake-up hangs.
fn cond_producer_consumer() {
    const PRODUCERS: usize = 4;
    const EACH: usize = 2_000;
    const CAP: usize = 4;
    let mut got = gort::run(|| {
        let shared = Arc::new((
            Mutex::new(Buffer {
                items: VecDeque::new(),
                closed: false,
            }),
            Cond::new(), // not empty
            Cond::new(), // not full
        ));
        let producers = WaitGroup::new();
        for p in 0..PRODUCERS {
            let shared = shared.clone();
            producers.go(move || {
                let (buf, not_empty, not_full) = &*shared;
                for i in 0..EACH {
                    let mut b = not_full.wait_while(buf.lock(), |b| b.items.len() == CAP);
                    b.items.push_back(p * EACH + i);
                    drop(b);
                    not_empty.notify_one();
                }
            });
        }
        let consumers: Vec<_> = (0..4)
            .map(|_| {
                let shared = shared.clone();
                gort::spawn(move || {
                    let (buf, not_empty, not_full) = &*shared;
                    let mut mine = Vec::new();
                    loop {
                        let mut b = buf.lock();
                        while b.items.is_empty() && !b.closed {
                            b = not_empty.wait(b);
                        }
                        match b.items.pop_front() {
                            Some(v) => {
                                drop(b);
                                not_full.notify_one();
                                mine.push(v);
                            }
                            None => return mine, // closed and drained
                        }
                    }
                })
            })
            .collect();
        producers.wait();
        let (buf, not_empty, _) = &*shared;
        buf.lock().closed = true;
        not_empty.notify_all();
        consumers
            .into_iter()
            .flat_map(|c| c.join().unwrap())
            .collect::<Vec<_>>()
    });
    got.sort_unstable();
    assert_eq!(got, (0..PRODUCERS * EACH).collect::<Vec<_>>());
}

/// Two parties take strict turns 5,000 times, each waking the other with
/// `notify_one`: a goroutine pair, and a goroutine with a plain thread.
/// A single lost notification hangs.
fn cond_ping_pong_loses_no_wakeup() {
    const ROUNDS: usize = 5_000;
    fn play(state: &(Mutex<usize>, Cond), parity: usize) {
        let (turn, cond) = state;
        for _ in 0..ROUNDS {
            let mut t = cond.wait_while(turn.lock(), |t| *t % 2 != parity);
            *t += 1;
            drop(t);
            cond.notify_one();
        }
    }
    // Goroutine against goroutine.
    let state = Arc::new((Mutex::new(0), Cond::new()));
    let theirs = state.clone();
    gort::run(move || {
        let other = {
            let state = theirs.clone();
            gort::spawn(move || play(&state, 1))
        };
        play(&theirs, 0);
        other.join().unwrap();
    });
    assert_eq!(*state.0.lock(), 2 * ROUNDS);

    // Goroutine against plain thread.
    let state = Arc::new((Mutex::new(0), Cond::new()));
    let theirs = state.clone();
    let thread = std::thread::spawn(move || play(&theirs, 1));
    let theirs = state.clone();
    gort::run(move || play(&theirs, 0));
    thread.join().unwrap();
    assert_eq!(*state.0.lock(), 2 * ROUNDS);
}

/// A plain thread calls `notify_one` in a loop while two goroutines each
/// wait on the Cond 100,000 times. Every wait ends only by a notify that
/// publishes its ticket's signal and then unparks the goroutine — often one
/// holding a stale token from an earlier wait's notify. Before the wake-up
/// fix this hung in 20 of 61 runs (all Ms idle, the notifier spinning on
/// an empty queue): the goroutine consumed the stale token, missed the
/// signal and parked with nobody left to wake it. A hang is turned into a
/// failure by the harness's watchdog.
fn cond_waits_against_a_notifying_thread_never_hang() {
    const WAITS: usize = 100_000;
    const GOROUTINES: usize = 2;
    let state = Arc::new((Mutex::new(()), Cond::new()));
    let finished = Arc::new(AtomicBool::new(false));
    let notifier = {
        let (state, finished) = (state.clone(), finished.clone());
        std::thread::spawn(move || {
            let mut notifies = 0u64;
            while !finished.load(Acquire) {
                state.1.notify_one();
                notifies += 1;
            }
            notifies
        })
    };
    let waited = Arc::new(AtomicUsize::new(0));
    let counted = waited.clone();
    gort::run(move || {
        let wg = WaitGroup::new();
        for _ in 0..GOROUTINES {
            let (state, waited) = (state.clone(), counted.clone());
            wg.go(move || {
                let (m, cond) = &*state;
                for _ in 0..WAITS {
                    drop(cond.wait(m.lock()));
                    waited.fetch_add(1, Relaxed);
                }
            });
        }
        wg.wait();
    });
    finished.store(true, Release);
    let notifies = notifier.join().unwrap();
    assert_eq!(waited.load(Relaxed), GOROUTINES * WAITS);
    assert!(notifies >= (GOROUTINES * WAITS) as u64);
}

/// 16 goroutines (and 2 threads) wait on one Cond; a single `notify_all`
/// must wake them all.
fn cond_notify_all_wakes_every_waiter() {
    const GOROUTINES: usize = 16;
    const THREADS: usize = 2;
    let state = Arc::new((Mutex::new((0usize, false)), Cond::new()));
    let waiter = |state: Arc<(Mutex<(usize, bool)>, Cond)>| {
        move || {
            let (m, cond) = &*state;
            let mut g = m.lock();
            g.0 += 1; // one more waiting
            let g = cond.wait_while(g, |g| !g.1);
            assert!(g.1);
        }
    };
    let threads: Vec<_> = (0..THREADS)
        .map(|_| std::thread::spawn(waiter(state.clone())))
        .collect();
    let theirs = state.clone();
    gort::run(move || {
        let wg = WaitGroup::new();
        for _ in 0..GOROUTINES {
            wg.go(waiter(theirs.clone()));
        }
        let (m, cond) = &*theirs;
        let start = Instant::now();
        loop {
            let mut g = m.lock();
            if g.0 == GOROUTINES + THREADS {
                // Everyone is waiting (they count themselves under the lock
                // they release only by waiting).
                g.1 = true;
                drop(g);
                cond.notify_all();
                break;
            }
            drop(g);
            gort::yield_now();
            assert!(start.elapsed() < HANG, "waiters never arrived");
        }
        wg.wait();
    });
    for t in threads {
        t.join().unwrap();
    }
}

// ---------------------------------------------------------------------------
// Goroutine-local storage
// ---------------------------------------------------------------------------

static TRACKED_DROPS: AtomicUsize = AtomicUsize::new(0);

/// Counts its drops.
struct Tracked(usize);

impl Drop for Tracked {
    fn drop(&mut self) {
        TRACKED_DROPS.fetch_add(1, SeqCst);
    }
}

/// Its destructor uses another key: the goroutine's exit must drop the
/// value that creates too.
struct UsesTrackedOnDrop;

impl Drop for UsesTrackedOnDrop {
    fn drop(&mut self) {
        TRACKED.with(|t| assert_eq!(t.0, 7));
    }
}

gort::goroutine_local! {
    static MINE: Cell<usize> = Cell::new(usize::MAX);
    static LOG: RefCell<Vec<usize>> = RefCell::new(Vec::new());
    static TRACKED: Tracked = Tracked(7);
    static USES_TRACKED_ON_DROP: UsesTrackedOnDrop = UsesTrackedOnDrop;
    static NAME: String = String::from("gopher");
}

/// The thread a goroutine is on right now (read out of line: see the
/// crate docs on thread-locals and llvm-project#98479).
#[inline(never)]
fn current_thread() -> std::thread::ThreadId {
    std::thread::current().id()
}

/// Burn CPU for about `d` without yielding.
fn busy_for(d: Duration) {
    let start = Instant::now();
    while start.elapsed() < d {
        std::hint::spin_loop();
    }
}

/// A one-shot wake-up a plain thread delivers: a goroutine woken from
/// outside the runtime goes to the global run queue, so it tends to resume
/// on whichever thread picks it up — a migration.
type Hop = Arc<(Mutex<bool>, Cond)>;

/// 64 goroutines each keep their own value through 300 switches (yields,
/// and parks ended by a plain "relay" thread), under which they move
/// between threads, while a fresh goroutine's value starts from the
/// initialiser.
fn locals_are_per_goroutine_across_migration() {
    const GOROUTINES: usize = 64;
    const ROUNDS: usize = 300;
    let (relay_tx, relay_rx) = std::sync::mpsc::channel::<Hop>();
    let relay = std::thread::spawn(move || {
        for hop in relay_rx {
            let (done, cond) = &*hop;
            *done.lock() = true;
            cond.notify_one();
        }
    });
    let migrations = gort::run(move || {
        let migrations = Arc::new(AtomicUsize::new(0));
        let wg = WaitGroup::new();
        for g in 0..GOROUTINES {
            let (migrations, relay_tx) = (migrations.clone(), relay_tx.clone());
            wg.go(move || {
                assert_eq!(MINE.get(), usize::MAX, "a new goroutine starts fresh");
                MINE.set(g);
                let mut thread = current_thread();
                for i in 0..ROUNDS {
                    if i % 4 == 0 {
                        let hop: Hop = Arc::new((Mutex::new(false), Cond::new()));
                        relay_tx.send(hop.clone()).unwrap();
                        let (done, cond) = &*hop;
                        drop(cond.wait_while(done.lock(), |done| !*done));
                    } else {
                        gort::yield_now();
                    }
                    assert_eq!(MINE.get(), g, "another goroutine's value");
                    // A little work between switches keeps the M that
                    // resumed us busy, so that other Ms take the next
                    // goroutines the relay wakes: without it one M can
                    // keep up with everything and nobody migrates.
                    busy_for(Duration::from_micros(5));
                    LOG.with_borrow_mut(|log| log.push(i));
                    let now = current_thread();
                    if now != thread {
                        migrations.fetch_add(1, SeqCst);
                        thread = now;
                    }
                }
                LOG.with_borrow(|log| assert_eq!(*log, (0..ROUNDS).collect::<Vec<_>>()));
            });
        }
        wg.wait();
        migrations.load(SeqCst)
    });
    relay.join().unwrap();
    if gort::runtime::gomaxprocs() > 1 {
        // Thousands of hops across several Ms: this only checks that the
        // test really exercised migration (typically hundreds or more).
        assert!(migrations > 0, "no goroutine ever changed threads");
    }
}

/// Values live as long as their goroutine — not shorter (they survive
/// parking) — and are dropped when it exits, including values created by
/// another value's destructor.
fn locals_are_dropped_at_goroutine_exit() {
    const GOROUTINES: usize = 50;
    let before = TRACKED_DROPS.load(SeqCst);
    gort::run(move || {
        let gate = Arc::new(Mutex::new(()));
        let ready = Arc::new(AtomicUsize::new(0));
        let closed = gate.lock();
        let wg = WaitGroup::new();
        for g in 0..GOROUTINES {
            let (gate, ready) = (gate.clone(), ready.clone());
            wg.go(move || {
                if g % 2 == 0 {
                    TRACKED.with(|t| assert_eq!(t.0, 7));
                } else {
                    // Creates no TRACKED now, but its drop at exit will.
                    USES_TRACKED_ON_DROP.with(|_| ());
                }
                ready.fetch_add(1, SeqCst);
                drop(gate.lock()); // park until the gate opens
            });
        }
        let start = Instant::now();
        while ready.load(SeqCst) < GOROUTINES {
            gort::yield_now();
            assert!(start.elapsed() < HANG);
        }
        assert_eq!(
            TRACKED_DROPS.load(SeqCst),
            before,
            "a value was dropped while its goroutine was alive"
        );
        drop(closed);
        wg.wait();
    });
    assert!(
        eventually(HANG, || TRACKED_DROPS.load(SeqCst) == before + GOROUTINES),
        "expected {GOROUTINES} drops, saw {}",
        TRACKED_DROPS.load(SeqCst) - before
    );
}

/// Inside `with`, other keys (created on the spot) and the same key again
/// work; the same key gives the same value.
fn locals_nest() {
    gort::run(|| {
        MINE.with(|mine| {
            mine.set(1);
            LOG.with_borrow_mut(|log| {
                log.push(mine.get());
                NAME.with(|n| log.push(n.len()));
            });
            MINE.with(|again| {
                assert!(std::ptr::eq(mine, again));
                again.set(2);
            });
            gort::yield_now();
            assert_eq!(mine.get(), 2);
        });
        assert_eq!(LOG.replace(Vec::new()), [1, 6]);
    });
}

/// On plain threads the keys fall back to per-thread values, independent
/// of the goroutines a thread starts with `gort::run`.
fn locals_on_plain_threads() {
    let threads: Vec<_> = (0..4)
        .map(|t| {
            std::thread::spawn(move || {
                assert_eq!(MINE.get(), usize::MAX);
                MINE.set(1000 + t);
                let in_goroutine = gort::run(|| MINE.get());
                assert_eq!(in_goroutine, usize::MAX, "the goroutine has its own");
                std::thread::yield_now();
                MINE.get()
            })
        })
        .collect();
    for (t, h) in threads.into_iter().enumerate() {
        assert_eq!(h.join().unwrap(), 1000 + t);
    }
}
