//! A bounded, lock-free LIFO pool of batches: how the per-P caches of free
//! Gs and of recently used stacks trade their surplus without a global lock
//! on the spawn → exit path (Go keeps both pools under a mutex).
//!
//! # Why LIFO, and why written here
//! The batch given out is the one put in last, whose Gs and stacks are the
//! most likely to still be in cache. The same interface on crossbeam-deque's
//! `Injector` (FIFO) hands out the oldest batch, and that cost the spawn
//! benchmark 1.16× its time at GOMAXPROCS=2 (median of 15 alternating
//! rounds, 2-core VM), where a mutex-guarded `Vec` of batches (LIFO) cost
//! 1.01×. crossbeam has no shared LIFO, so this file is a Treiber stack —
//! over a fixed array of slots, which makes it simple to get right.
//!
//! Batches are arrays, not lists linked through the items: a version that
//! linked free Gs through a field of the G (Go's `gList`) made every spawn
//! load that field from a G last written on another core — a stall that
//! an array's store-only reuse does not have; skynet spent 8% of its time
//! in that one load.
//!
//! # Structure
//! `slots` is allocated once. Each slot is on exactly one of two stacks,
//! `full` (holds a batch) or `empty`, or is owned by the one thread that
//! popped it and has not pushed it yet. A stack's head packs a 32-bit tag
//! and the slot's index + 1 (0: the stack is empty); each slot's `next` is
//! the index + 1 of the slot below it. A batch stays in its slot's own
//! `Vec`, so moving Gs in and out allocates nothing after a slot's first
//! use, and no buffer is ever freed by a thread other than the one that
//! allocated it (which would take that thread's glibc arena lock).
//!
//! # Ordering argument
//! * Contents: a thread writes a slot's batch only while it owns the slot
//!   (after popping it, before pushing it). It publishes it with the push:
//!   a Release CAS on the head. The next owner pops it with an Acquire CAS,
//!   which reads that push's value or a later one; every write to a head
//!   is a CAS (a read-modify-write), so it is in the push's release
//!   sequence, and the batch written before the push happens-before the
//!   new owner's access. The same holds for a slot passed through `empty`.
//! * `next` is an atomic: a popper may read it while the slot is being
//!   popped and re-pushed elsewhere, but then the head it read has changed
//!   and its CAS fails.
//! * ABA: every successful CAS increments the tag, so a pop succeeds only
//!   if the head did not change between its load and its CAS, unless 2^32
//!   pushes and pops happened in between — accepted, as Go's run queue
//!   accepts it for its 32-bit head.
//!
//! `loom_tests` below check that no batch is lost or duplicated and that
//! contents are seen whole; weaken the Release push or the Acquire pop and
//! loom reports the race on the slot.

use crate::loom_shim::{AtomicU32, AtomicU64, UnsafeCell};
use crossbeam_utils::CachePadded;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};

pub(crate) struct LifoPool<T> {
    slots: Box<[Slot<T>]>,
    /// On a cache line of their own: every put and take writes both.
    heads: CachePadded<Heads>,
}

struct Heads {
    full: AtomicU64,
    empty: AtomicU64,
}

struct Slot<T> {
    /// Index + 1 of the slot below this one on its stack (0: none).
    next: AtomicU32,
    /// The batch; touched only by the slot's owner (see the header).
    batch: UnsafeCell<Vec<T>>,
}

// SAFETY: the pool moves `T`s between threads (hence `T: Send`); a slot's
// batch is only touched by the one thread that owns the slot, with the
// hand-over ordered as the header argues.
unsafe impl<T: Send> Sync for LifoPool<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Send for LifoPool<T> {}

impl<T> LifoPool<T> {
    /// A pool that holds at most `capacity` batches.
    pub(crate) fn new(capacity: usize) -> Self {
        assert!(
            capacity < u32::MAX as usize,
            "pool capacity must fit in 32 bits"
        );
        let slots: Box<[Slot<T>]> = (0..capacity)
            .map(|i| Slot {
                next: AtomicU32::new(i as u32), // the slot below: i - 1
                batch: UnsafeCell::new(Vec::new()),
            })
            .collect();
        LifoPool {
            slots,
            heads: CachePadded::new(Heads {
                full: AtomicU64::new(0),
                empty: AtomicU64::new(capacity as u64),
            }),
        }
    }

    /// Add `items` as one batch, unless the pool is full: then they come
    /// back untouched. An empty batch is not kept.
    pub(crate) fn put<I: IntoIterator<Item = T>>(&self, items: I) -> Result<(), I> {
        let Some(i) = self.pop(&self.heads.empty) else {
            return Err(items);
        };
        let kept = self.slots[i].batch.with_mut(|b| {
            // SAFETY: popping slot `i` made this thread its only owner; a
            // slot on `empty` holds an empty `Vec`.
            let b = unsafe { &mut *b };
            b.extend(items);
            !b.is_empty()
        });
        let stack = match kept {
            true => &self.heads.full,
            false => &self.heads.empty,
        };
        self.push(stack, i);
        Ok(())
    }

    /// Move the most recently added batch into `to`; false if none.
    pub(crate) fn take_into(&self, to: &mut Vec<T>) -> bool {
        let Some(i) = self.pop(&self.heads.full) else {
            return false;
        };
        // SAFETY: popping slot `i` made this thread its only owner.
        self.slots[i]
            .batch
            .with_mut(|b| to.append(unsafe { &mut *b }));
        self.push(&self.heads.empty, i);
        true
    }

    /// Pop a slot off `stack`; the caller then owns it.
    fn pop(&self, stack: &AtomicU64) -> Option<usize> {
        let mut head = stack.load(Acquire);
        loop {
            let slot = head as u32 as usize;
            if slot == 0 {
                return None;
            }
            let next = self.slots[slot - 1].next.load(Relaxed);
            match stack.compare_exchange_weak(head, retag(head, next), Acquire, Acquire) {
                Ok(_) => return Some(slot - 1),
                Err(now) => head = now,
            }
        }
    }

    /// Push slot `i`, which the caller owns, onto `stack`.
    fn push(&self, stack: &AtomicU64, i: usize) {
        let mut head = stack.load(Relaxed);
        loop {
            self.slots[i].next.store(head as u32, Relaxed);
            match stack.compare_exchange_weak(head, retag(head, i as u32 + 1), Release, Relaxed) {
                Ok(_) => return,
                Err(now) => head = now,
            }
        }
    }
}

/// A head that points at slot index + 1 `slot`, with the next tag.
fn retag(head: u64, slot: u32) -> u64 {
    ((head >> 32).wrapping_add(1) << 32) | u64::from(slot)
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::LifoPool;

    #[test]
    fn the_last_batch_in_is_the_first_out() {
        let pool = LifoPool::new(4);
        pool.put([1, 2]).unwrap();
        pool.put([3]).unwrap();
        let mut got = vec![0];
        assert!(pool.take_into(&mut got));
        assert_eq!(got, [0, 3]);
        assert!(pool.take_into(&mut got));
        assert_eq!(got, [0, 3, 1, 2]);
        assert!(!pool.take_into(&mut got));
    }

    #[test]
    fn a_full_pool_gives_the_items_back_and_empty_batches_take_no_slot() {
        let pool = LifoPool::new(2);
        pool.put(Vec::<u32>::new()).unwrap();
        pool.put([1]).unwrap();
        pool.put([2]).unwrap();
        assert_eq!(pool.put([3]), Err([3]));
        let mut got = Vec::new();
        while pool.take_into(&mut got) {}
        assert_eq!(got, [2, 1]);
        pool.put([4]).unwrap(); // slots come back for reuse
    }

    #[test]
    fn concurrent_puts_and_takes_lose_and_duplicate_nothing() {
        const THREADS: usize = 4;
        const ROUNDS: usize = 20_000;
        let pool = LifoPool::new(8);
        let mut all: Vec<usize> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..THREADS)
                .map(|t| {
                    let pool = &pool;
                    s.spawn(move || {
                        let (mut got, mut dropped) = (Vec::new(), Vec::new());
                        for r in 0..ROUNDS {
                            let base = (t * ROUNDS + r) * 2;
                            if let Err(back) = pool.put([base, base + 1]) {
                                dropped.extend(back);
                            }
                            if r % 3 != 0 {
                                pool.take_into(&mut got);
                            }
                        }
                        got.extend(dropped);
                        got
                    })
                })
                .collect();
            hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
        });
        while pool.take_into(&mut all) {}
        all.sort_unstable();
        assert_eq!(all, (0..THREADS * ROUNDS * 2).collect::<Vec<_>>());
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::LifoPool;
    use loom::sync::Arc;

    /// Two threads each put a batch and take one, on a pool that starts
    /// with a batch already in it and room for two more: every item comes
    /// out exactly once, and whole (loom checks the slot accesses).
    #[test]
    fn puts_and_takes_hand_over_whole_batches() {
        loom::model(|| {
            let pool = Arc::new(LifoPool::new(3));
            pool.put([0, 1]).unwrap();
            let other = {
                let pool = pool.clone();
                loom::thread::spawn(move || {
                    let mut got = Vec::new();
                    pool.put([10, 11]).unwrap();
                    pool.take_into(&mut got);
                    got
                })
            };
            let mut got = Vec::new();
            pool.put([20, 21]).unwrap();
            pool.take_into(&mut got);
            got.extend(other.join().unwrap());
            while pool.take_into(&mut got) {}
            assert!(
                got.chunks(2).all(|c| c[1] == c[0] + 1),
                "a batch came apart: {got:?}"
            );
            got.sort_unstable();
            assert_eq!(got, [0, 1, 10, 11, 20, 21]);
        });
    }

    /// From the two edge states: a full pool (a put races a take and may
    /// get its items back) and an empty one (a take races a put and may
    /// find nothing). Every item ends up taken or handed back, once.
    #[test]
    fn full_and_empty_pools_lose_and_duplicate_nothing() {
        for start_full in [true, false] {
            loom::model(move || {
                let pool = Arc::new(LifoPool::new(1));
                if start_full {
                    pool.put([0, 1]).unwrap();
                }
                let putter = {
                    let pool = pool.clone();
                    loom::thread::spawn(move || match pool.put([10, 11]) {
                        Ok(()) => Vec::new(),
                        Err(back) => back.to_vec(),
                    })
                };
                let mut got = Vec::new();
                pool.take_into(&mut got);
                got.extend(putter.join().unwrap());
                while pool.take_into(&mut got) {}
                got.sort_unstable();
                let want: &[i32] = if start_full {
                    &[0, 1, 10, 11]
                } else {
                    &[10, 11]
                };
                assert_eq!(got, want);
            });
        }
    }
}
