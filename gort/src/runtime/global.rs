//! The global run queue: goroutines made runnable by a thread that holds no
//! P (a plain thread's channel send, soon syscall exits, netpoll readiness
//! and timers), goroutines sent away by preemption, and the overflow of full
//! local queues (cf. Go's `sched.runq`, globrunqput, globrunqget).
//!
//! # Lock-free, in batches
//! Go keeps this queue under `sched.lock`. Here it is a crossbeam-deque
//! `Injector` of *batches*: a local queue's overflow (half a ring, 129 Gs)
//! goes in as one item and a single G as a batch of one, so producers and
//! consumers never block one another and a batch costs one CAS either way.
//! (An `Injector` of single Gs costs a CAS per G on both sides: about 20 ns
//! per G moved, measured on the spawn benchmark, where every G crosses it.)
//!
//! # Batch size, order and fairness
//! A consumer takes Go's batch: `len / GOMAXPROCS + 1` Gs, at most what the
//! caller asks (half a ring; one for the every-61st-slice fairness check).
//! It opens batches from the front until it has that many; whatever is left
//! of the last batch it opened goes back at the *tail*. Order inside a batch
//! is kept, but a split batch's rest queues behind later arrivals. No G
//! starves: every time its batch reaches the front at least one G ahead of
//! it runs, so it is sent back at most (its position in the batch) times,
//! each time behind a finite queue.
//!
//! # Emptiness, for the parking protocol
//! `is_empty` reads the `Injector`'s own head and tail (SeqCst loads), so it
//! is exact for pushes that completed: a push (a SeqCst CAS on the tail)
//! sequenced before one SeqCst fence is seen by an `is_empty` sequenced after
//! a later one. sched.rs builds its Dekker pairs on that. `len` is only an
//! estimate (a counter raised after a push and lowered after a take), used
//! to size batches; it can lag either way for a moment.

use super::g::G;
use crate::batch_pool::steal;
use crossbeam_deque::Injector;
use std::sync::atomic::{AtomicIsize, Ordering::Relaxed};
use std::sync::Arc;

pub(crate) struct GlobalQueue {
    batches: Injector<Batch>,
    /// Gs queued, approximately (see the header).
    len: AtomicIsize,
}

/// One item of the queue: never empty.
enum Batch {
    One(Arc<G>),
    Many(std::vec::IntoIter<Arc<G>>),
}

impl GlobalQueue {
    pub(crate) fn new() -> Self {
        GlobalQueue {
            batches: Injector::new(),
            len: AtomicIsize::new(0),
        }
    }

    /// Whether no G is queued (exact for completed pushes; see the header).
    pub(crate) fn is_empty(&self) -> bool {
        self.batches.is_empty()
    }

    /// About how many Gs are queued.
    pub(crate) fn len(&self) -> usize {
        self.len.load(Relaxed).max(0) as usize
    }

    /// Queue one G.
    pub(crate) fn push(&self, g: Arc<G>) {
        self.batches.push(Batch::One(g));
        self.len.fetch_add(1, Relaxed);
    }

    /// Queue a batch, keeping its order; an empty one is dropped.
    pub(crate) fn push_batch(&self, gs: Vec<Arc<G>>) {
        let n = gs.len();
        match n {
            0 => return,
            1 => self
                .batches
                .push(Batch::One(gs.into_iter().next().expect("len 1"))),
            _ => self.batches.push(Batch::Many(gs.into_iter())),
        }
        self.len.fetch_add(n as isize, Relaxed);
    }

    /// Take Go's batch for one of `gomaxprocs` Ps, at most `max` (≥ 1) Gs:
    /// the first is returned, the others are handed to `rest` in order.
    pub(crate) fn take(
        &self,
        gomaxprocs: usize,
        max: usize,
        mut rest: impl FnMut(Arc<G>),
    ) -> Option<Arc<G>> {
        let want = max.min(self.len() / gomaxprocs.max(1) + 1);
        let mut first = None;
        let mut give = |g| match first {
            None => first = Some(g),
            Some(_) => rest(g),
        };
        let mut taken = 0;
        while taken < want {
            match steal(&self.batches) {
                None => break,
                Some(Batch::One(g)) => {
                    give(g);
                    taken += 1;
                }
                Some(Batch::Many(mut iter)) => {
                    for g in iter.by_ref().take(want - taken) {
                        give(g);
                        taken += 1;
                    }
                    if iter.len() > 0 {
                        self.batches.push(Batch::Many(iter));
                    }
                }
            }
        }
        self.len.fetch_sub(taken as isize, Relaxed);
        first
    }
}
