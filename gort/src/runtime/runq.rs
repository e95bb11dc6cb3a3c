//! The per-P local run queue: a fixed ring of 256 slots plus a `runnext` slot.
//!
//! This mirrors Go's `p.runq`/`p.runnext` (cf. runtime.runqput, runqget,
//! runqgrab, runqsteal in proc.go), the design tokio's `queue.rs` also follows.
//!
//! # Protocol
//! * The ring is single-producer, multi-consumer. Only the owner (the M that
//!   holds the P) writes `tail` and the slots, with a release store of `tail`.
//! * Any thread consumes from `head` with a CAS. The owner pops one item at a
//!   time; a thief (`steal_into`) copies half of the victim's items into its own
//!   ring first and then claims them with a single CAS on the victim's `head`. If
//!   the CAS fails, someone else consumed first and the copies are discarded
//!   (they are only raw pointers, never dereferenced before the claim succeeds).
//! * Slots are `AtomicPtr`s, so a thief reading a slot the owner is
//!   overwriting is a race on an atomic, not undefined behaviour; the CAS on
//!   `head` decides who owns what was read. A slot at index `i` can only be
//!   overwritten after `head` has moved past `i`, which makes that CAS fail.
//! * `runnext` holds at most one item. The owner swaps it; a thief may take it
//!   with a CAS, and only when the ring is empty (Go's "runnext last").
//! * Ownership: every pointer in the ring or in `runnext` is an `Arc<T>` turned
//!   into a raw pointer with `Arc::into_raw`; whoever removes it (pop, a
//!   successful steal CAS, overflow) turns it back with `Arc::from_raw`.
//!
//! # Why a hand-written ring and not crossbeam-deque
//! The same interface was built on crossbeam-deque's FIFO `Worker` (owner
//! side, unbounded) and `Stealer` (`steal_batch_with_limit_and_pop`, half
//! up to 128), with `runnext` beside it, and measured against this ring in
//! one run (bench programs, builds alternating, 7 rounds, medians, 2-core
//! EPYC VM, 2026-12-01; ring → crossbeam): skynet 245 → 454 ms (1.85×
//! slower; peak RSS 58 → 206 MiB), spawn 142.7 → 127.7 ns at 2 Ps but
//! 103 → 118.5 ns at 8, thread-ring 94.4 → 96.5 ns/hop, ping-pong,
//! select, buffered and gosched within the rounds' spread. The ring stays. (crossbeam's local queue never
//! overflows to the global queue, which is why spawn from one goroutine at
//! 2 Ps gained; skynet lost to its per-steal epoch pinning and to stealing
//! from an unbounded, breadth-first-filled queue.)
//!
//! `head` and `tail` are free-running `u32`s; `tail - head` (wrapping) is the
//! length and never exceeds `CAP`. Like Go, a CAS on `head` could be fooled by
//! 2^32 operations between a thief's load and its CAS; that is accepted.

use crate::loom_shim::{AtomicPtr, AtomicU32};
use std::ptr;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release, SeqCst};
use std::sync::Arc;

/// Ring capacity: Go's `len(p.runq)`. Loom uses a tiny ring so that the
/// overflow and wrap-around paths are reachable within its state budget.
#[cfg(not(loom))]
pub(crate) const CAP: usize = 256;
#[cfg(loom)]
pub(crate) const CAP: usize = 4;

const MASK: u32 = CAP as u32 - 1;

/// A local run queue of `Arc<T>`s (in the runtime, `T` is a goroutine).
pub(crate) struct RunQueue<T> {
    head: AtomicU32,
    tail: AtomicU32,
    slots: Box<[AtomicPtr<T>]>,
    runnext: AtomicPtr<T>,
}

// SAFETY: the queue only moves `Arc<T>`s between threads; `T: Send + Sync`
// makes sending and sharing those Arcs sound.
unsafe impl<T: Send + Sync> Send for RunQueue<T> {}
// SAFETY: as above; every shared field is an atomic.
unsafe impl<T: Send + Sync> Sync for RunQueue<T> {}

impl<T> RunQueue<T> {
    pub(crate) fn new() -> Self {
        RunQueue {
            head: AtomicU32::new(0),
            tail: AtomicU32::new(0),
            slots: (0..CAP).map(|_| AtomicPtr::new(ptr::null_mut())).collect(),
            runnext: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// About how many items are queued (ring and `runnext`), for traces:
    /// exact only when nobody is pushing or stealing.
    pub(crate) fn len(&self) -> usize {
        let head = self.head.load(Acquire);
        let tail = self.tail.load(Acquire);
        let ring = tail.wrapping_sub(head).min(CAP as u32) as usize;
        ring + usize::from(!self.runnext.load(Acquire).is_null())
    }

    /// True when the ring and `runnext` are both empty (cf. runqempty).
    pub(crate) fn is_empty(&self) -> bool {
        // Re-read tail so that a runnext -> ring kick in between cannot make a
        // non-empty queue look empty.
        loop {
            let head = self.head.load(Acquire);
            let tail = self.tail.load(Acquire);
            let next = self.runnext.load(Acquire);
            if tail == self.tail.load(Acquire) {
                return head == tail && next.is_null();
            }
        }
    }

    /// Owner only: put `item` in `runnext`; a previous `runnext` item moves to
    /// the tail of the ring (cf. runqput with next=true). Items that do not
    /// fit go to `overflow` in one batch.
    ///
    /// The swap is SeqCst so that it can stand in for the submitter's fence
    /// in the scheduler's wake-up protocol (`Sched::wakep_after_seqcst_publish`):
    /// a spinner that re-checks after its own SeqCst fence sees the item in
    /// `runnext`, or a later value of it.
    pub(crate) fn push_next(&self, item: Arc<T>, overflow: impl FnOnce(Overflow<T>)) {
        let old = self.runnext.swap(Arc::into_raw(item) as *mut T, SeqCst);
        if !old.is_null() {
            // SAFETY: every non-null runnext pointer came from Arc::into_raw,
            // and the swap made us its only owner.
            self.push_back(unsafe { Arc::from_raw(old) }, overflow);
        }
    }

    /// Owner only: put `item` at the tail of the ring. When the ring is full,
    /// half of it plus `item` are handed to `overflow` (cf. runqputslow).
    pub(crate) fn push_back(&self, item: Arc<T>, overflow: impl FnOnce(Overflow<T>)) {
        let mut item = item;
        loop {
            let head = self.head.load(Acquire);
            let tail = self.tail.load(Relaxed); // only the owner writes tail
            if tail.wrapping_sub(head) < CAP as u32 {
                self.slots[(tail & MASK) as usize].store(Arc::into_raw(item) as *mut T, Relaxed);
                self.tail.store(tail.wrapping_add(1), Release);
                return;
            }
            match self.grab_half_for_overflow(head, item) {
                Ok(batch) => return overflow(batch),
                Err(back) => item = back, // a thief made room; try again
            }
        }
    }

    /// Owner only: claim the first half of a full ring and return it with
    /// `item` appended; `Err(item)` if a consumer moved `head` meanwhile.
    fn grab_half_for_overflow(&self, head: u32, item: Arc<T>) -> Result<Overflow<T>, Arc<T>> {
        let mut ptrs = [ptr::null_mut(); CAP / 2];
        for (i, p) in ptrs.iter_mut().enumerate() {
            *p = self.slots[(head.wrapping_add(i as u32) & MASK) as usize].load(Relaxed);
        }
        if self
            .head
            .compare_exchange(head, head.wrapping_add(CAP as u32 / 2), AcqRel, Acquire)
            .is_err()
        {
            return Err(item);
        }
        Ok(Overflow {
            ptrs,
            next: 0,
            item: Some(item),
        })
    }

    /// Owner only: take the next item; `runnext` first. The flag is true when
    /// the item came from `runnext` and so inherits the current time slice.
    pub(crate) fn pop(&self) -> Option<(Arc<T>, bool)> {
        let next = self.runnext.swap(ptr::null_mut(), AcqRel);
        if !next.is_null() {
            // SAFETY: the swap took exclusive ownership of an into_raw pointer.
            return Some((unsafe { Arc::from_raw(next) }, true));
        }
        loop {
            let head = self.head.load(Acquire);
            let tail = self.tail.load(Relaxed);
            if head == tail {
                return None;
            }
            let p = self.slots[(head & MASK) as usize].load(Relaxed);
            if self
                .head
                .compare_exchange(head, head.wrapping_add(1), AcqRel, Acquire)
                .is_ok()
            {
                // SAFETY: the CAS claimed slot `head`, which holds an
                // into_raw pointer published before tail moved past it.
                return Some((unsafe { Arc::from_raw(p) }, false));
            }
        }
    }

    /// Steal half (rounded up) of `victim`'s items into `self`, whose owner
    /// must be the caller and whose ring must be empty; returns one item to
    /// run now (cf. runqsteal/runqgrab). `runnext` is taken only when
    /// `steal_next` is set and the victim's ring is empty.
    pub(crate) fn steal_into(&self, victim: &RunQueue<T>, steal_next: bool) -> Option<Arc<T>> {
        let my_tail = self.tail.load(Relaxed);
        debug_assert_eq!(
            my_tail,
            self.head.load(Acquire),
            "steal_into needs an empty ring"
        );
        loop {
            let head = victim.head.load(Acquire);
            let tail = victim.tail.load(Acquire);
            let n = tail.wrapping_sub(head);
            if n == 0 {
                return if steal_next {
                    victim.steal_runnext()
                } else {
                    None
                };
            }
            if n > CAP as u32 {
                continue; // inconsistent snapshot: head moved between the loads
            }
            let n = n - n / 2;
            for i in 0..n {
                let p = victim.slots[(head.wrapping_add(i) & MASK) as usize].load(Relaxed);
                self.slots[(my_tail.wrapping_add(i) & MASK) as usize].store(p, Relaxed);
            }
            if victim
                .head
                .compare_exchange(head, head.wrapping_add(n), AcqRel, Acquire)
                .is_err()
            {
                continue; // someone else consumed first; our copies are void
            }
            // The last stolen item runs now; the rest are published in our ring.
            let last = self.slots[(my_tail.wrapping_add(n - 1) & MASK) as usize].load(Relaxed);
            if n > 1 {
                self.tail.store(my_tail.wrapping_add(n - 1), Release);
            }
            // SAFETY: the CAS on the victim's head transferred ownership of
            // these into_raw pointers to us; `last` is not published anywhere.
            return Some(unsafe { Arc::from_raw(last) });
        }
    }

    fn steal_runnext(&self) -> Option<Arc<T>> {
        self.steal_next_if(self.next_id())
    }

    /// What `runnext` holds now, as an opaque identity (null: nothing).
    pub(crate) fn next_id(&self) -> *const T {
        self.runnext.load(Acquire)
    }

    /// Take `runnext` if it still holds `id` (cf. runqgrab's CAS after its
    /// back-off): a thief that waited must not take a newer item.
    pub(crate) fn steal_next_if(&self, id: *const T) -> Option<Arc<T>> {
        if id.is_null() {
            return None;
        }
        self.runnext
            .compare_exchange(id as *mut T, ptr::null_mut(), AcqRel, Acquire)
            .ok()
            // SAFETY: the CAS took exclusive ownership of an into_raw pointer.
            .map(|p| unsafe { Arc::from_raw(p) })
    }

    /// Owner only: remove everything (used when a P is retired).
    pub(crate) fn drain(&self) -> Vec<Arc<T>> {
        let mut out = Vec::new();
        while let Some((item, _)) = self.pop() {
            out.push(item);
        }
        out
    }
}

/// Half a full ring plus the item that did not fit, in queue order: what
/// `push_back` hands to its `overflow` callback. It lives on the stack, so
/// an overflow allocates nothing (the global queue links the items through
/// the Gs themselves; a heap buffer freed by the thread that consumes the
/// batch would cost that thread the allocating thread's arena lock).
pub(crate) struct Overflow<T> {
    /// Claimed by the overflow CAS on `head`: `ptrs[next..]` are still ours
    /// to turn back into Arcs (each came from `Arc::into_raw`).
    ptrs: [*mut T; CAP / 2],
    next: usize,
    item: Option<Arc<T>>,
}

impl<T> Iterator for Overflow<T> {
    type Item = Arc<T>;

    fn next(&mut self) -> Option<Arc<T>> {
        match self.ptrs.get(self.next) {
            Some(&p) => {
                self.next += 1;
                // SAFETY: `p` is one of the claimed into_raw pointers, and
                // `next` moved past it, so it is converted exactly once.
                Some(unsafe { Arc::from_raw(p) })
            }
            None => self.item.take(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = CAP / 2 - self.next + usize::from(self.item.is_some());
        (n, Some(n))
    }
}

impl<T> ExactSizeIterator for Overflow<T> {}

impl<T> Drop for Overflow<T> {
    fn drop(&mut self) {
        self.for_each(drop);
    }
}

impl<T> Drop for RunQueue<T> {
    fn drop(&mut self) {
        // Release any remaining Arcs; only tests drop queues.
        while self.pop().is_some() {}
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::{RunQueue, CAP};
    use loom::sync::Arc as LoomArc;
    use std::sync::Arc;

    /// The owner pushes (overflowing once), pops, and pushes into runnext
    /// while a thief steals: every item ends up in exactly one place.
    #[test]
    fn owner_and_thief_account_for_every_item() {
        loom::model(|| {
            let victim = LoomArc::new(RunQueue::<usize>::new());
            let thief = {
                let victim = victim.clone();
                loom::thread::spawn(move || {
                    let mine = RunQueue::<usize>::new();
                    let mut got: Vec<usize> =
                        mine.steal_into(&victim, true).iter().map(|a| **a).collect();
                    got.extend(mine.drain().iter().map(|a| **a));
                    got
                })
            };
            let mut seen = Vec::new();
            for i in 0..CAP + 1 {
                victim.push_back(Arc::new(i), |batch| seen.extend(batch.map(|a| *a)));
            }
            victim.push_next(Arc::new(100), |batch| seen.extend(batch.map(|a| *a)));
            if let Some((item, _)) = victim.pop() {
                seen.push(*item);
            }
            seen.extend(thief.join().unwrap());
            seen.extend(victim.drain().iter().map(|a| **a));
            seen.sort_unstable();
            let mut want: Vec<usize> = (0..CAP + 1).collect();
            want.push(100);
            assert_eq!(seen, want, "an item was lost or duplicated");
        });
    }
}
