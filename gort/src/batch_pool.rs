//! An unbounded, lock-free FIFO pool of batches: the cold tier behind a
//! `LifoPool` (free Gs past its bound; the stack pool's clean, scavenged
//! list), where order does not matter and nothing may be dropped. (Recently
//! used things go to the `LifoPool`, which gives back the warmest first.) A crossbeam-deque `Injector` of `Vec`s: putting and
//! taking a batch is one CAS on the tail or the head, and neither side
//! waits for the other.
//!
//! Batch buffers are recycled through a second `Injector`, never freed: a
//! thread that frees a buffer another thread allocated takes that thread's
//! glibc arena lock (see global.rs for what that cost).
//!
//! Invariant: the pool never holds an empty batch, so "not empty" means
//! "holds something to take".

use crossbeam_deque::{Injector, Steal};

pub(crate) struct BatchPool<T> {
    batches: Injector<Vec<T>>,
    /// Emptied batch buffers, for the next spill.
    spare: Injector<Vec<T>>,
}

impl<T> BatchPool<T> {
    pub(crate) fn new() -> Self {
        BatchPool {
            batches: Injector::new(),
            spare: Injector::new(),
        }
    }

    /// Add `items` as one batch (nothing if there are none).
    pub(crate) fn put(&self, items: impl IntoIterator<Item = T>) {
        let mut batch = steal(&self.spare).unwrap_or_default();
        batch.extend(items);
        self.put_batch(batch);
    }

    /// Add a batch someone took whole; an empty one is kept as a spare.
    pub(crate) fn put_batch(&self, batch: Vec<T>) {
        match batch.is_empty() {
            true => self.spare.push(batch),
            false => self.batches.push(batch),
        }
    }

    /// Move the oldest batch into `to`; false if there was none.
    pub(crate) fn take_into(&self, to: &mut Vec<T>) -> bool {
        // `is_empty` is two plain loads; a steal from an empty `Injector`
        // pays a SeqCst fence.
        if self.batches.is_empty() {
            return false;
        }
        let Some(mut batch) = self.take() else {
            return false;
        };
        to.append(&mut batch);
        self.spare.push(batch);
        true
    }

    /// Take the oldest batch whole, to give back with `put_batch`.
    pub(crate) fn take(&self) -> Option<Vec<T>> {
        steal(&self.batches)
    }
}

/// Take the front item of `q`, retrying while other consumers contend;
/// `None` only when the queue was empty.
pub(crate) fn steal<T>(q: &Injector<T>) -> Option<T> {
    loop {
        match q.steal() {
            Steal::Success(t) => return Some(t),
            Steal::Empty => return None,
            Steal::Retry => std::hint::spin_loop(),
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::BatchPool;

    #[test]
    fn batches_come_back_whole_and_empty_ones_are_not_kept() {
        let pool = BatchPool::new();
        pool.put([1, 2, 3]);
        pool.put([]);
        pool.put([4]);
        let mut got = vec![0];
        assert!(pool.take_into(&mut got));
        assert_eq!(got, [0, 1, 2, 3]);
        assert_eq!(pool.take(), Some(vec![4]));
        assert_eq!(pool.take(), None);
        assert!(!pool.take_into(&mut got));
    }

    #[test]
    fn emptied_buffers_are_reused_for_the_next_batch() {
        let pool = BatchPool::new();
        pool.put_batch(Vec::with_capacity(1000));
        pool.put([1, 2]);
        let batch = pool.take().unwrap();
        assert!(batch.capacity() >= 1000, "a spare buffer was not reused");
    }

    #[test]
    fn concurrent_spills_and_refills_lose_and_duplicate_nothing() {
        const THREADS: usize = 4;
        const BATCHES: usize = 2_000;
        let pool = BatchPool::new();
        let taken: Vec<Vec<usize>> = std::thread::scope(|s| {
            let takers: Vec<_> = (0..THREADS)
                .map(|t| {
                    let pool = &pool;
                    s.spawn(move || {
                        let mut got = Vec::new();
                        for b in 0..BATCHES {
                            let base = (t * BATCHES + b) * 3;
                            pool.put([base, base + 1, base + 2]);
                            pool.take_into(&mut got);
                        }
                        got
                    })
                })
                .collect();
            takers.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let mut all: Vec<usize> = taken.into_iter().flatten().collect();
        while let Some(batch) = pool.take() {
            all.extend(batch);
        }
        all.sort_unstable();
        assert_eq!(all, (0..THREADS * BATCHES * 3).collect::<Vec<_>>());
    }
}
