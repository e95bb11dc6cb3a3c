//! Timers: run a callback at a deadline (sleeps, channel timeouts, `after`,
//! tickers, context deadlines) — with no timer thread.
//!
//! # Who runs them
//! One min-heap of deadlines, shared by all Ps (Go keeps a heap per P so
//! that hundreds of cores do not contend; on the 2–8 cores gort targets,
//! one heap behind a short lock is simpler and costs one uncontended lock
//! per add/cancel). Its earliest deadline is mirrored in an atomic, so the
//! check every scheduling round makes is one load — and a clock read only
//! while a timer is pending (Go's `checkTimers`). Due timers are run by:
//! - an M with a P, at the top of `find_runnable` (m.rs): the Gs they wake
//!   go to the back of that P's queue, in deadline order;
//! - the M blocked in the netpoller (netpoll.rs), which sleeps exactly until
//!   the earliest deadline: so an idle program sleeps in one `epoll_wait`;
//! - sysmon, when every P is busy running long slices and nobody else does.
//!
//! # Waking the poller for an earlier timer
//! `add` of a new earliest deadline must not be missed by an M that is
//! about to sleep in the netpoller until a later one. The adder publishes
//! `next` (SeqCst) and then reads the poller's `sleeping_until` (SeqCst);
//! the poller publishes `sleeping_until` (SeqCst) and then re-reads `next`
//! (SeqCst) before it blocks. Whichever comes second in the SeqCst order sees
//! the other: either the poller sleeps no later than the new deadline, or
//! the adder breaks its wait (a `mio::Waker` write, which stays pending
//! until the next wait if the poller has not blocked yet). With nobody in
//! the netpoller, the adder calls `wakep`, so an idle P's M comes to run it.
//!
//! Callbacks run outside the lock. They only make goroutines runnable,
//! try-send on a channel or start a goroutine: short and never blocking.
//! They run in scheduler context, so no user code may run in them — not even
//! a destructor: one that owns the last reference to user values (a context's,
//! an `after_func` function) gives it to `spawn::release`, which drops it in
//! a goroutine.
//! # Timers that only fill a channel
//! A timer whose callback only delivers on a channel (`after`, `Timer::new`,
//! `tick`, `Ticker`) can wake nobody unless someone is blocked receiving
//! from that channel; it carries a `Probe` that asks. Deadlock detection
//! counts such a timer only while its probe says yes — as Go 1.23 keeps a
//! channel timer in its heap only while a goroutine is blocked on the
//! channel, so a program holding a `Ticker` and blocked elsewhere is
//! reported at once.
//!
//! Cancelling removes the callback at once; its heap entry is dropped
//! lazily when it reaches the top (Go's "zombie" timers), or when cancelled
//! entries make up half the heap, which is then rebuilt.

use super::rt;
use dary_heap::QuaternaryHeap;
use parking_lot::Mutex;
use std::cmp::Reverse;
use std::sync::atomic::{AtomicU64, Ordering::*};
use std::sync::Arc;
use std::time::Instant;

/// Names a pending timer, for `cancel`: its slot in the slab and the
/// slot's generation when it was armed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct TimerId {
    slot: u32,
    gen: u32,
}

type Callback = Box<dyn FnOnce() + Send>;

/// Whether someone is blocked on the channel a timer delivers to (see
/// "Timers that only fill a channel").
pub(crate) type Probe = Arc<dyn Fn() -> bool + Send + Sync>;

/// "No timer pending", as a deadline.
pub(crate) const NEVER: u64 = u64::MAX;

/// Heaps smaller than this are never rebuilt (not worth it).
const REBUILD_MIN: usize = 64;

pub(crate) struct Timers {
    state: Mutex<State>,
    /// The earliest deadline in the heap (`NEVER` if empty), in
    /// nanoseconds since `epoch`. May be earlier than the earliest *live*
    /// timer (a cancelled entry not yet swept): then a check finds nothing.
    next: AtomicU64,
    /// Callbacks taken off the heap and not yet run (`run_due`): they may
    /// still wake a goroutine, so deadlock detection counts them.
    in_flight: std::sync::atomic::AtomicUsize,
    epoch: Instant,
}

/// The heap orders (deadline, id) pairs; the callbacks live in a slab
/// indexed by the id's slot, so cancelling is an index, not a hash lookup.
/// A 4-ary heap (as Go's) halves the depth of a binary one: with a million
/// sleepers, `pop`'s cache misses were the largest cost (measured: 12 % of
/// the `sleepers` benchmark's profile with std's BinaryHeap).
struct State {
    heap: QuaternaryHeap<Reverse<(u64, TimerId)>>,
    slab: Vec<Entry>,
    free: Vec<u32>,
    /// Live entries that carry a probe.
    probed: usize,
}

struct Entry {
    gen: u32,
    callback: Option<Callback>,
    /// Set, while live, for a timer that only fills a channel.
    probe: Option<Probe>,
}

impl State {
    fn live(&self) -> usize {
        self.slab.len() - self.free.len()
    }

    /// Take `id`'s callback if it is still pending (and free its slot).
    fn take(&mut self, id: TimerId) -> Option<Callback> {
        let entry = self.slab.get_mut(id.slot as usize)?;
        if entry.gen != id.gen {
            return None;
        }
        let f = entry.callback.take()?;
        entry.gen = entry.gen.wrapping_add(1);
        if entry.probe.take().is_some() {
            self.probed -= 1;
        }
        self.free.push(id.slot);
        Some(f)
    }

    /// The probes of the live channel timers.
    fn probes(&self) -> Vec<Probe> {
        let live = self.slab.iter().filter(|e| e.callback.is_some());
        live.filter_map(|e| e.probe.clone()).collect()
    }

    fn is_live(&self, id: TimerId) -> bool {
        let e = &self.slab[id.slot as usize];
        e.gen == id.gen && e.callback.is_some()
    }
}

impl Timers {
    pub(crate) fn new() -> Timers {
        Timers {
            state: Mutex::new(State {
                heap: QuaternaryHeap::new(),
                slab: Vec::new(),
                free: Vec::new(),
                probed: 0,
            }),
            next: AtomicU64::new(NEVER),
            in_flight: std::sync::atomic::AtomicUsize::new(0),
            epoch: Instant::now(),
        }
    }

    /// `t` as nanoseconds since the epoch (0 for earlier instants).
    pub(crate) fn nanos(&self, t: Instant) -> u64 {
        let n = t.saturating_duration_since(self.epoch).as_nanos();
        u64::try_from(n).unwrap_or(NEVER - 1)
    }

    /// The instant `n` nanoseconds after the epoch.
    pub(crate) fn instant(&self, n: u64) -> Instant {
        self.epoch + std::time::Duration::from_nanos(n)
    }

    /// The current time, as `nanos` counts it.
    pub(crate) fn now(&self) -> u64 {
        self.nanos(Instant::now())
    }

    /// The earliest pending deadline (`NEVER` if none).
    pub(crate) fn next(&self) -> u64 {
        self.next.load(SeqCst)
    }

    /// Whether a timer is pending at all.
    pub(crate) fn any(&self) -> bool {
        self.next() != NEVER
    }

    /// Register `f` to run at `deadline` (with `probe` if it only fills a
    /// channel); wake whoever must run it if it is the new earliest (see
    /// "Waking the poller" above).
    #[inline(never)] // takes a thread-blocking lock: see asyncpreempt.rs
    fn add(&self, deadline: Instant, f: Callback, probe: Option<Probe>) -> TimerId {
        let when = self.nanos(deadline);
        let mut st = self.state.lock();
        st.probed += usize::from(probe.is_some());
        let id = match st.free.pop() {
            Some(slot) => {
                let e = &mut st.slab[slot as usize];
                e.callback = Some(f);
                e.probe = probe;
                TimerId { slot, gen: e.gen }
            }
            None => {
                let slot = u32::try_from(st.slab.len()).expect("fewer than 2^32 timers");
                st.slab.push(Entry {
                    gen: 0,
                    callback: Some(f),
                    probe,
                });
                TimerId { slot, gen: 0 }
            }
        };
        st.heap.push(Reverse((when, id)));
        let earliest = when < self.next.load(Relaxed);
        if earliest {
            self.next.store(when, SeqCst);
        }
        drop(st);
        if earliest {
            let rt = rt();
            rt.netpoll.timer_added(when, &rt.sched);
        }
        id
    }

    /// Stop a timer; true if it had not fired yet (its callback will not run).
    #[inline(never)] // takes a thread-blocking lock: see asyncpreempt.rs
    fn cancel(&self, id: TimerId) -> bool {
        let mut st = self.state.lock();
        let removed = st.take(id);
        // Go's rule: once cancelled entries are half the heap, rebuild it, so
        // that many long timeouts cancelled early (`recv_timeout(1h)` calls that
        // complete at once) cost nothing for long.
        if st.heap.len() > REBUILD_MIN && st.heap.len() > 2 * st.live() {
            let st = &mut *st;
            let slab = &st.slab;
            st.heap.retain(|Reverse((_, id))| {
                let e = &slab[id.slot as usize];
                e.gen == id.gen && e.callback.is_some()
            });
            self.publish_next(st);
        }
        drop(st);
        // Dropped outside the lock: it may own anything.
        removed.is_some()
    }

    fn publish_next(&self, st: &State) {
        let next = st.heap.peek().map_or(NEVER, |Reverse((when, _))| *when);
        self.next.store(next, SeqCst);
    }

    /// Run every timer due by now, earliest first; returns how many ran.
    /// One atomic load when none is due.
    pub(crate) fn run_due(&self) -> usize {
        let next = self.next.load(Relaxed);
        if next == NEVER {
            return 0;
        }
        let now = self.now();
        if next > now {
            return 0;
        }
        let mut due = Vec::new();
        {
            let mut st = self.state.lock();
            while let Some(&Reverse((when, id))) = st.heap.peek() {
                if when > now {
                    break;
                }
                st.heap.pop();
                if st.is_live(id) {
                    due.extend(st.take(id));
                }
            }
            self.in_flight.fetch_add(due.len(), SeqCst);
            self.publish_next(&st);
        }
        let n = due.len();
        for f in due {
            f();
            self.in_flight.fetch_sub(1, SeqCst);
        }
        n
    }

    /// Whether a pending timer could wake someone, or a fired one's callback
    /// is still running (for deadlock detection: exact, unlike `any`, which
    /// also counts cancelled entries not yet swept). A channel timer counts
    /// only while someone is blocked on its channel; the probes are asked
    /// after unlocking, as they take channel locks.
    pub(crate) fn may_wake(&self) -> bool {
        if self.in_flight.load(SeqCst) > 0 {
            return true;
        }
        let probes = {
            let st = self.state.lock();
            if st.live() > st.probed {
                return true;
            }
            st.probes()
        };
        probes.iter().any(|blocked| blocked())
    }

    /// Entries in the heap, live or cancelled (for tests).
    #[cfg(all(test, not(loom)))]
    fn heap_len(&self) -> usize {
        self.state.lock().heap.len()
    }
}

/// Run `f` at (or soon after) `deadline`, on whichever M runs timers.
pub(crate) fn add(deadline: Instant, f: impl FnOnce() + Send + 'static) -> TimerId {
    rt().timers.add(deadline, Box::new(f), None)
}

/// [`add`] for a timer that only delivers on a channel: `blocked` says
/// whether anyone is blocked receiving from it.
pub(crate) fn add_for_channel(
    deadline: Instant,
    f: impl FnOnce() + Send + 'static,
    blocked: Probe,
) -> TimerId {
    rt().timers.add(deadline, Box::new(f), Some(blocked))
}

/// Stop a timer; true if it had not fired yet (its callback will not run).
pub(crate) fn cancel(id: TimerId) -> bool {
    rt().timers.cancel(id)
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
        let left = rt().timers.heap_len();
        assert!(left < 1_000, "{left} entries left in the heap");
    }

    /// Timers due together run in deadline order, not insertion order.
    #[test]
    fn due_timers_run_earliest_first() {
        let t = Timers::new();
        let order = std::sync::Arc::new(Mutex::new(Vec::new()));
        let base = Instant::now();
        {
            let mut st = t.state.lock();
            for (slot, i) in [3u64, 1, 2].into_iter().enumerate() {
                let order = order.clone();
                let id = TimerId {
                    slot: slot as u32,
                    gen: 0,
                };
                st.slab.push(Entry {
                    gen: 0,
                    callback: Some(Box::new(move || order.lock().push(i))),
                    probe: None,
                });
                let at = base + Duration::from_micros(i);
                st.heap.push(Reverse((t.nanos(at), id)));
            }
        }
        t.next.store(0, SeqCst);
        std::thread::sleep(Duration::from_millis(1));
        assert_eq!(t.run_due(), 3);
        assert_eq!(*order.lock(), [1, 2, 3]);
        assert!(!t.any(), "the heap is empty again");
    }
}
