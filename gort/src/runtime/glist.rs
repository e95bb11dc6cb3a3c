//! `GList`: a list of Gs linked through the Gs themselves (Go's `gList`
//! and `schedlink`), and `GListPool`, a lock-free pool of such lists: how
//! the Ps keep finished Gs for reuse and trade their surplus.
//!
//! Linking through a field of the G means moving a list between threads
//! allocates and frees nothing. That matters more than it looks: a first
//! version moved `Vec`s, and a thread that frees a buffer another thread
//! allocated takes that thread's glibc arena lock; on the spawn benchmark
//! (one P creates goroutines, another runs and frees them) that cost
//! thousands of futex sleeps per million goroutines. Walking a list chases
//! one pointer per G, which is why the global run queue, which moves Gs in
//! bulk, recycles arrays instead (global.rs); a free list hands out one G
//! per spawn, which is then written anyway.
//!
//! # Ownership
//! A list owns one strong count of each G on it: a G enters by
//! `Arc::into_raw` and leaves by `Arc::from_raw`. A G is on at most one
//! list at a time (only finished Gs are listed, each once, by the P that
//! freed it). Hence a G's `link` is written and read only by the one
//! owner of the list it is on;
//! a list that moves to another thread does so through a queue that orders
//! memory (crossbeam's `Injector`: release on push, acquire on steal), so
//! the links need no ordering of their own. A G on no list has a null link.

use super::g::G;
use crate::batch_pool::steal;
use crossbeam_deque::Injector;
use std::ptr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

pub(crate) struct GList {
    head: *const G,
    tail: *const G,
    len: usize,
}

// SAFETY: a GList owns strong counts of its Gs, which are Send + Sync; the
// links are only touched through the list, by whoever owns it.
unsafe impl Send for GList {}

impl GList {
    pub(crate) const fn new() -> Self {
        GList {
            head: ptr::null(),
            tail: ptr::null(),
            len: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Add `g` at the back.
    pub(crate) fn push_back(&mut self, g: Arc<G>) {
        let p = Arc::into_raw(g);
        match self.tail.is_null() {
            true => self.head = p,
            // SAFETY: `tail` is a G this list owns a count of, so it is alive.
            false => unsafe { &*self.tail }.link.store(p.cast_mut(), Relaxed),
        }
        self.tail = p;
        self.len += 1;
    }

    /// Add `g` at the front.
    pub(crate) fn push_front(&mut self, g: Arc<G>) {
        g.link.store(self.head.cast_mut(), Relaxed);
        let p = Arc::into_raw(g);
        if self.tail.is_null() {
            self.tail = p;
        }
        self.head = p;
        self.len += 1;
    }

    /// Remove the front G.
    pub(crate) fn pop_front(&mut self) -> Option<Arc<G>> {
        if self.head.is_null() {
            return None;
        }
        // SAFETY: `head` came from Arc::into_raw and this list owns that
        // count; unlinking it below hands the count to the caller.
        let g = unsafe { Arc::from_raw(self.head) };
        self.head = g.link.swap(ptr::null_mut(), Relaxed);
        if self.head.is_null() {
            self.tail = ptr::null();
        }
        self.len -= 1;
        Some(g)
    }

    /// Split off the first `n` Gs (all of them, if fewer) as a new list.
    pub(crate) fn split_front(&mut self, n: usize) -> GList {
        if n >= self.len {
            return std::mem::replace(self, GList::new());
        }
        let mut front = GList::new();
        for _ in 0..n {
            front.push_back(self.pop_front().expect("n < len"));
        }
        front
    }
}

impl Drop for GList {
    fn drop(&mut self) {
        while self.pop_front().is_some() {}
    }
}

/// A lock-free pool of non-empty lists (a crossbeam-deque `Injector`):
/// producers and consumers never wait for one another.
pub(crate) struct GListPool {
    lists: Injector<GList>,
}

impl GListPool {
    pub(crate) fn new() -> Self {
        GListPool {
            lists: Injector::new(),
        }
    }

    /// Add a list; an empty one is dropped.
    pub(crate) fn put(&self, list: GList) {
        if !list.is_empty() {
            self.lists.push(list);
        }
    }

    /// Take the oldest list, if any.
    pub(crate) fn take(&self) -> Option<GList> {
        steal(&self.lists)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn g(id: u64) -> Arc<G> {
        Arc::new(G::new(id, || ()))
    }

    fn ids(mut list: GList) -> Vec<u64> {
        std::iter::from_fn(|| list.pop_front().map(|g| g.id)).collect()
    }

    #[test]
    fn lists_keep_order_at_both_ends_and_split_from_the_front() {
        let mut list = GList::new();
        (3..=5).for_each(|id| list.push_back(g(id)));
        list.push_front(g(2));
        list.push_front(g(1));
        let front = list.split_front(2);
        assert_eq!((front.len(), list.len()), (2, 3));
        assert_eq!(ids(front), [1, 2]);
        assert_eq!(ids(list.split_front(10)), [3, 4, 5]);
        assert!(list.is_empty() && list.pop_front().is_none());
        list.push_back(g(6)); // usable again after being emptied
        assert_eq!(ids(list), [6]);
    }

    #[test]
    fn a_list_owns_one_count_of_each_g_and_gives_it_back() {
        let shared = g(7);
        let mut list = GList::new();
        list.push_back(Arc::clone(&shared));
        assert_eq!(Arc::strong_count(&shared), 2);
        let back = list.pop_front().unwrap();
        assert!(Arc::ptr_eq(&back, &shared));
        drop(back);
        list.push_back(Arc::clone(&shared));
        drop(list);
        assert_eq!(
            Arc::strong_count(&shared),
            1,
            "dropping a list releases its Gs"
        );
    }

    #[test]
    fn the_pool_keeps_whole_lists_and_drops_empty_ones() {
        let pool = GListPool::new();
        let mut list = GList::new();
        list.push_back(g(1));
        list.push_back(g(2));
        pool.put(list);
        pool.put(GList::new());
        assert_eq!(pool.take().map(ids), Some(vec![1, 2]));
        assert!(pool.take().is_none());
    }

    #[test]
    fn lists_cross_threads_through_the_pool_without_loss() {
        const THREADS: u64 = 4;
        const LISTS: u64 = 500;
        let pool = GListPool::new();
        let got: Vec<u64> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..THREADS)
                .map(|t| {
                    let pool = &pool;
                    s.spawn(move || {
                        let mut got = Vec::new();
                        for l in 0..LISTS {
                            let mut list = GList::new();
                            (0..3).for_each(|i| list.push_back(g((t * LISTS + l) * 3 + i)));
                            pool.put(list);
                            got.extend(pool.take().map(ids).unwrap_or_default());
                        }
                        got
                    })
                })
                .collect();
            hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
        });
        let mut all = got;
        while let Some(list) = pool.take() {
            all.extend(ids(list));
        }
        all.sort_unstable();
        assert_eq!(all, (0..THREADS * LISTS * 3).collect::<Vec<_>>());
    }

    #[test]
    fn a_long_list_drops_without_recursing() {
        let mut list = GList::new();
        (0..200_000).for_each(|id| list.push_back(g(id)));
        drop(list);
    }
}
