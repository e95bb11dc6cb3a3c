//! Timers: run a callback at a deadline (sleeps, channel timeouts, `after`,
//! tickers).
//!
//! One timer thread keeps a min-heap of deadlines and sleeps on a condition
//! variable until the earliest one, or until a new earlier timer arrives.
//! Callbacks run on that thread, outside the lock; they only make
//! goroutines runnable (which sends them to the global queue and wakes an
//! M) or try-send on a channel, so they are short and never block.
//!
//! Cancelling removes the callback at once; its heap entry is dropped
//! lazily when it reaches the top (cf. Go's "zombie" timers), or when
//! cancelled entries make up half the heap, which is then rebuilt.
//!
//! Go keeps a heap per P and has the M blocked in the netpoller wait for the
//! next timer, so no extra thread is needed; gort will move there with its
//! netpoller. Until then this thread costs one futex wake per timer.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::Instant;

/// Names a pending timer, for `cancel`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct TimerId(u64);

type Callback = Box<dyn FnOnce() + Send>;

struct Timers {
    state: Mutex<State>,
    changed: Condvar,
}

struct State {
    heap: BinaryHeap<Reverse<(Instant, u64)>>,
    callbacks: HashMap<u64, Callback>,
    next_id: u64,
}

fn timers() -> &'static Timers {
    static TIMERS: OnceLock<Timers> = OnceLock::new();
    TIMERS.get_or_init(|| {
        let spawned = std::thread::Builder::new()
            .name("gort-timers".into())
            .spawn(run);
        if let Err(e) = spawned {
            super::fatal(&format!("cannot start the timer thread: {e}"));
        }
        Timers {
            state: Mutex::new(State {
                heap: BinaryHeap::new(),
                callbacks: HashMap::new(),
                next_id: 0,
            }),
            changed: Condvar::new(),
        }
    })
}

/// Run `f` on the timer thread at (or soon after) `deadline`.
pub(crate) fn add(deadline: Instant, f: impl FnOnce() + Send + 'static) -> TimerId {
    let t = timers();
    let mut st = t.state.lock().unwrap_or_else(|e| e.into_inner());
    let id = st.next_id;
    st.next_id += 1;
    let earliest = st.heap.peek().map(|Reverse((when, _))| *when);
    st.heap.push(Reverse((deadline, id)));
    st.callbacks.insert(id, Box::new(f));
    drop(st);
    if earliest.is_none_or(|e| deadline < e) {
        t.changed.notify_one();
    }
    TimerId(id)
}

/// Stop a timer; true if it had not fired yet (its callback will not run).
pub(crate) fn cancel(id: TimerId) -> bool {
    let t = timers();
    let mut st = t.state.lock().unwrap_or_else(|e| e.into_inner());
    let removed = st.callbacks.remove(&id.0).is_some();
    // Go's rule: once cancelled entries are half the heap, rebuild it, so
    // that many long timeouts cancelled early (`recv_timeout(1h)` calls that
    // complete at once) cost nothing for long.
    if st.heap.len() > REBUILD_MIN && st.heap.len() > 2 * st.callbacks.len() {
        let State {
            heap, callbacks, ..
        } = &mut *st;
        heap.retain(|Reverse((_, id))| callbacks.contains_key(id));
    }
    removed
}

/// Heaps smaller than this are never rebuilt (not worth it).
const REBUILD_MIN: usize = 64;

/// Entries in the heap, live or cancelled (for tests).
#[cfg(all(test, not(loom)))]
pub(crate) fn heap_len() -> usize {
    let st = timers().state.lock().unwrap_or_else(|e| e.into_inner());
    st.heap.len()
}

fn run() {
    let t = timers();
    let mut st = t.state.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let now = Instant::now();
        let mut due = Vec::new();
        while let Some(&Reverse((when, id))) = st.heap.peek() {
            if when > now {
                break;
            }
            st.heap.pop();
            due.extend(st.callbacks.remove(&id));
        }
        if !due.is_empty() {
            drop(st);
            for f in due {
                f();
            }
            st = t.state.lock().unwrap_or_else(|e| e.into_inner());
            continue;
        }
        st = match st.heap.peek() {
            Some(&Reverse((when, _))) => {
                let wait = when.saturating_duration_since(now);
                t.changed
                    .wait_timeout(st, wait)
                    .unwrap_or_else(|e| e.into_inner())
                    .0
            }
            None => t.changed.wait(st).unwrap_or_else(|e| e.into_inner()),
        };
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::time::Duration;

    /// 10,000 hour-long timers cancelled at once do not stay in the heap
    /// for the hour (other tests' timers may share it, so the bound is
    /// loose: far below 10,000).
    #[test]
    fn cancelled_timers_are_swept_once_they_are_half_the_heap() {
        let far = Instant::now() + Duration::from_secs(3600);
        for _ in 0..10_000 {
            assert!(cancel(add(far, || {})));
        }
        assert!(
            heap_len() < 1_000,
            "{} entries left in the heap",
            heap_len()
        );
    }
}
