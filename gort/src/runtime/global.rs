//! The global run queue: goroutines made runnable by a thread that holds no
//! P (a plain thread's channel send, syscall exits, netpoll readiness
//! and timers), goroutines sent away by preemption, and the overflow of full
//! local queues (cf. Go's `sched.runq`, globrunqput, globrunqget).
//!
//! # Lock-free, in batches
//! Go keeps this queue under `sched.lock`. Here it is a crossbeam-deque
//! `Injector` of *batches*: a local queue's overflow (half a ring, 129 Gs)
//! goes in as one item and a single G as a batch of one, so producers and
//! consumers never block one another and a batch costs one CAS either way.
//! (An `Injector` of single Gs costs a CAS per G on both sides: about 20 ns
//! per G moved on the spawn benchmark, where every G crosses.)
//!
//! A batch's buffer is never freed: once emptied it goes to a second
//! `Injector` of spare buffers, from which the next overflow takes one. A
//! buffer freed by the thread that consumed it would cost that thread the
//! allocating thread's glibc arena lock — on the spawn benchmark (one P
//! overflows, another consumes) about 5,000 futex sleeps per million
//! goroutines and 1.6× the time. Linking the Gs through themselves instead
//! (Go's `schedlink`) allocates nothing either, but a consumer then chases
//! one pointer per G, each a cache miss on a G another core just wrote:
//! 8–12% slower on spawn and skynet than an array of pointers, whose misses
//! overlap. The spare buffers are bounded by the most batches ever queued
//! at once (about what the old single `VecDeque` kept as capacity).
//!
//! # Batch size, order and fairness
//! A consumer opens batches from the front until it has Go's batch size,
//! `len / GOMAXPROCS + 1` Gs, and takes each batch it opens whole, unless
//! that would pass what the caller asked for (half a ring; one for the
//! every-61st-slice fairness check). Only then is a batch split, and its
//! rest goes back at the *tail*: an `Injector` has no way back to the
//! front. Splitting to Go's exact figure would do that on most refills,
//! and the order of the global queue decides how many goroutines are alive
//! at once: on skynet, exact splitting raised peak RSS by 10–17% over
//! taking whole batches (61.3 → 67.3 MiB, median of 5), at the same speed.
//! A P that takes more than its share loses the surplus to thieves anyway.
//! No G starves: every time its batch reaches the front at least one G
//! ahead of it runs, so it is sent back at most (its position in the
//! batch) times, each time behind a finite queue.
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
use crossbeam_utils::CachePadded;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicIsize, Ordering::Relaxed};
use std::sync::Arc;

pub(crate) struct GlobalQueue {
    /// Oldest first; never an empty batch.
    batches: Injector<Batch>,
    /// Emptied batch buffers, for reuse.
    spare: Injector<VecDeque<Arc<G>>>,
    /// Gs queued, approximately (see the header); on its own cache line,
    /// as it is written by every push and take.
    len: CachePadded<AtomicIsize>,
}

enum Batch {
    One(Arc<G>),
    Many(VecDeque<Arc<G>>),
}

impl GlobalQueue {
    pub(crate) fn new() -> Self {
        GlobalQueue {
            batches: Injector::new(),
            spare: Injector::new(),
            len: CachePadded::new(AtomicIsize::new(0)),
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
    pub(crate) fn push_batch(&self, gs: impl ExactSizeIterator<Item = Arc<G>>) {
        let n = gs.len();
        if n == 0 {
            return;
        }
        let mut buf = steal(&self.spare).unwrap_or_default();
        buf.extend(gs);
        self.batches.push(Batch::Many(buf));
        self.len.fetch_add(n as isize, Relaxed);
    }

    /// Take at least Go's batch for one of `gomaxprocs` Ps, in whole
    /// batches, and at most `max` (≥ 1) Gs (see the header): the first is
    /// returned, the others are handed to `rest` in order. The flag is true
    /// if part of a batch went back to the queue: while it was out, the
    /// queue may have looked empty to an M that then went idle, so the
    /// caller must `wakep` (a submission like any other).
    pub(crate) fn take(
        &self,
        gomaxprocs: usize,
        max: usize,
        mut rest: impl FnMut(Arc<G>),
    ) -> (Option<Arc<G>>, bool) {
        let want = max.min(self.len() / gomaxprocs.max(1) + 1);
        let mut first = None;
        let mut give = |g| match first {
            None => first = Some(g),
            Some(_) => rest(g),
        };
        let mut taken = 0;
        let mut requeued = false;
        while taken < want {
            match steal(&self.batches) {
                None => break,
                Some(Batch::One(g)) => {
                    give(g);
                    taken += 1;
                }
                Some(Batch::Many(mut buf)) => {
                    // The whole batch, unless it would pass `max` (see the header).
                    let n = buf.len().min(max - taken);
                    buf.drain(..n).for_each(&mut give);
                    taken += n;
                    if buf.is_empty() {
                        self.spare.push(buf);
                    } else {
                        self.batches.push(Batch::Many(buf)); // the rest, at the tail
                        requeued = true;
                    }
                }
            }
        }
        self.len.fetch_sub(taken as isize, Relaxed);
        (first, requeued)
    }
}
