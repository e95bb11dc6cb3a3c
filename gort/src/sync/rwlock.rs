//! `RwLock`: many readers or one writer, with writer preference (Go's
//! `sync.RWMutex`, sync/rwmutex.go), and the counting semaphore it parks on.
//!
//! # The problem
//! Readers must run in parallel; a writer must exclude everyone; and a
//! steady stream of overlapping readers must not starve a writer (a lock
//! that admits a reader whenever another reader is inside never lets a
//! writer in). Go's answer, mirrored here field for field: a pending writer
//! makes new readers wait, and waits only for the readers already inside.
//!
//! # State (cf. `RWMutex`)
//! * `w` — a [`RawMutex`] a writer holds for its whole turn, so writers
//!   queue on it one at a time (and inherit its starvation-mode fairness).
//! * `reader_count` — readers inside or waiting to get in. A writer
//!   announces itself by subtracting `MAX_READERS`, so a negative count means
//!   "a writer is pending or active" and new readers park on `reader_sem`.
//! * `reader_wait` — how many of the readers that were inside when the
//!   writer announced itself have yet to leave; the last one to leave posts
//!   `writer_sem`.
//! * `writer_sem`, `reader_sem` — counting semaphores ([`Sema`]).
//!
//! # Protocol
//! * `read`: `reader_count += 1`; if the result is negative, a writer is
//!   pending: acquire `reader_sem`.
//! * read unlock: `reader_count -= 1`; if the result is negative, a writer is
//!   waiting for the readers inside to leave: `reader_wait -= 1`, and the one
//!   that brings it to zero releases `writer_sem` (cf. `rUnlockSlow`).
//! * `write`: lock `w`; `r = (reader_count -= MAX_READERS) + MAX_READERS` is
//!   the readers still inside; if `r != 0` and `(reader_wait += r) != 0`,
//!   acquire `writer_sem`.
//! * write unlock: `r = (reader_count += MAX_READERS)` is the readers that
//!   arrived meanwhile and are parked (or about to park) on `reader_sem`:
//!   release it `r` times, then unlock `w`. Readers thus get a turn between
//!   two writers.
//!
//! `reader_wait` may go transiently negative (a reader leaves before the
//! writer adds `r`); the sum reaches zero exactly once, when the writer and
//! all `r` departing readers have counted, and whoever reaches it lets the
//! writer go. Semaphore releases may come before the matching acquire
//! (that is why they count).
//!
//! # Memory ordering
//! Every read-modify-write of the two counters is `AcqRel` (Go's atomics
//! are sequentially consistent; `AcqRel` suffices because each decision is
//! made on the value an RMW returns). Writer → later reader: the writer's
//! `+= MAX_READERS` releases, the reader's `+= 1` acquires, or the hand-over
//! goes through `reader_sem`'s lock. Reader → writer: the reader's `-= 1`
//! releases into the counter's release sequence, which the writer's
//! `-= MAX_READERS` acquires; readers leaving later chain through
//! `reader_wait` and `writer_sem`.

use super::mutex::RawMutex;
use super::sema::{ticket, Parked};
use crate::runtime::park::WaitReason;
use std::cell::UnsafeCell;
use std::collections::VecDeque;
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicI32, Ordering::*};

/// Offset a writer subtracts from `reader_count` (Go's `rwmutexMaxReaders`).
const MAX_READERS: i32 = 1 << 30;

/// A counting semaphore with FIFO hand-off (a per-lock stand-in for Go's
/// `runtime_Semacquire`/`runtime_Semrelease`). A release with nobody
/// waiting is remembered as a permit.
pub(super) struct Sema {
    inner: parking_lot::Mutex<SemaInner>,
}

struct SemaInner {
    /// Releases not yet claimed (only ever non-zero while `waiters` is
    /// empty).
    permits: u32,
    waiters: VecDeque<Parked>,
}

impl Sema {
    pub(super) const fn new() -> Sema {
        Sema {
            inner: parking_lot::Mutex::new(SemaInner {
                permits: 0,
                waiters: VecDeque::new(),
            }),
        }
    }

    /// Take a permit, parking (for `reason`) until one is released.
    #[track_caller]
    #[inline(never)] // takes a thread-blocking lock: see asyncpreempt.rs
    pub(super) fn acquire(&self, reason: WaitReason) {
        let ticket = {
            let mut inner = self.inner.lock();
            if inner.permits > 0 {
                inner.permits -= 1;
                return;
            }
            let (parked, ticket) = ticket();
            inner.waiters.push_back(parked);
            ticket
        };
        ticket.wait(reason);
    }

    /// Hand a permit to the longest waiter, or keep it for the next acquire.
    #[inline(never)] // takes a thread-blocking lock: see asyncpreempt.rs
    pub(super) fn release(&self) {
        let head = {
            let mut inner = self.inner.lock();
            match inner.waiters.pop_front() {
                Some(head) => head,
                None => {
                    inner.permits += 1;
                    return;
                }
            }
        };
        head.wake(1);
    }
}

/// A reader-writer lock protecting a `T` (Go's `sync.RWMutex`): any number
/// of readers at once, or one writer.
///
/// Waiting parks a goroutine (its thread runs other goroutines) and blocks
/// a plain OS thread. Guards may be held across goroutine switches.
///
/// # Writer preference
/// As in Go, once a writer is waiting, new readers wait behind it; the
/// writer waits only for the readers already inside. So readers that keep
/// overlapping cannot starve a writer, and when the writer leaves, the
/// readers that queued meanwhile all get in before the next writer. One
/// consequence, also Go's: a goroutine that already holds a read lock and
/// asks for another may deadlock if a writer arrived in between. Do not
/// take a read lock recursively.
///
/// No poisoning (see [`Mutex`](super::Mutex)).
///
/// # Example
/// ```
/// use gort::sync::{RwLock, WaitGroup};
/// use std::sync::Arc;
///
/// gort::run(|| {
///     let config = Arc::new(RwLock::new(String::from("v1")));
///     let wg = WaitGroup::new();
///     for _ in 0..4 {
///         let config = config.clone();
///         wg.go(move || assert!(config.read().starts_with('v')));
///     }
///     config.write().replace_range(.., "v2");
///     wg.wait();
///     assert_eq!(*config.read(), "v2");
/// });
/// ```
pub struct RwLock<T: ?Sized> {
    /// Held by the writer for its whole turn.
    w: RawMutex,
    /// Readers inside or waiting, minus `MAX_READERS` while a writer is
    /// pending or active. Updated by readers and writers with `AcqRel` RMWs.
    reader_count: AtomicI32,
    /// Readers the pending writer still waits for. Added to by the writer,
    /// subtracted from by departing readers.
    reader_wait: AtomicI32,
    /// Released by the last departing reader a writer waits for.
    writer_sem: Sema,
    /// Released by a leaving writer, once per reader that arrived meanwhile.
    reader_sem: Sema,
    data: UnsafeCell<T>,
}

// SAFETY: the lock owns a T, so sending it sends the T.
unsafe impl<T: ?Sized + Send> Send for RwLock<T> {}
// SAFETY: writers get `&mut T` from any thread (needs `T: Send`), readers on
// many threads share `&T` at once (needs `T: Sync`), as std's RwLock.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}

impl<T> RwLock<T> {
    /// An unlocked lock holding `value`. A `const fn`, so an `RwLock` can be
    /// a `static`.
    pub const fn new(value: T) -> RwLock<T> {
        RwLock {
            w: RawMutex::new(),
            reader_count: AtomicI32::new(0),
            reader_wait: AtomicI32::new(0),
            writer_sem: Sema::new(),
            reader_sem: Sema::new(),
            data: UnsafeCell::new(value),
        }
    }

    /// Consume the lock and return the data.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    /// Acquire shared read access (Go's `RLock`), waiting while a writer
    /// holds the lock or is waiting for it.
    #[track_caller]
    pub fn read(&self) -> RwLockReadGuard<'_, T> {
        if self.reader_count.fetch_add(1, AcqRel) + 1 < 0 {
            // A writer is pending or active: it will release us.
            self.reader_sem.acquire(WaitReason::RwLockRead);
        }
        RwLockReadGuard::new(self)
    }

    /// Acquire read access if that needs no waiting (Go's `TryRLock`):
    /// `None` while a writer holds the lock or waits for it.
    pub fn try_read(&self) -> Option<RwLockReadGuard<'_, T>> {
        let mut c = self.reader_count.load(Relaxed);
        loop {
            if c < 0 {
                return None;
            }
            match self
                .reader_count
                .compare_exchange_weak(c, c + 1, AcqRel, Relaxed)
            {
                Ok(_) => return Some(RwLockReadGuard::new(self)),
                Err(actual) => c = actual,
            }
        }
    }

    /// Acquire exclusive write access (Go's `Lock`), waiting for the
    /// current writer and the readers inside; new readers wait behind us.
    #[track_caller]
    pub fn write(&self) -> RwLockWriteGuard<'_, T> {
        self.w.lock();
        // Announce ourselves; `r` readers are still inside.
        let r = self.reader_count.fetch_sub(MAX_READERS, AcqRel);
        if r != 0 && self.reader_wait.fetch_add(r, AcqRel) + r != 0 {
            self.writer_sem.acquire(WaitReason::RwLockWrite);
        }
        RwLockWriteGuard::new(self)
    }

    /// Acquire write access if that needs no waiting (Go's `TryLock`).
    pub fn try_write(&self) -> Option<RwLockWriteGuard<'_, T>> {
        if !self.w.try_lock() {
            return None;
        }
        if self
            .reader_count
            .compare_exchange(0, -MAX_READERS, AcqRel, Relaxed)
            .is_err()
        {
            // SAFETY: we locked `w` just above.
            unsafe { self.w.unlock() };
            return None;
        }
        Some(RwLockWriteGuard::new(self))
    }

    /// The data, through a unique borrow of the lock: no locking needed.
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }

    /// Release one read lock (cf. `RUnlock`).
    fn read_unlock(&self) {
        let r = self.reader_count.fetch_sub(1, AcqRel) - 1;
        if r < 0 {
            if r + 1 == 0 || r + 1 == -MAX_READERS {
                crate::runtime::fatal("sync: RUnlock of unlocked RWMutex");
            }
            // A writer is waiting for the readers inside to leave.
            if self.reader_wait.fetch_sub(1, AcqRel) - 1 == 0 {
                self.writer_sem.release();
            }
        }
    }

    /// Release the write lock (cf. `Unlock`).
    fn write_unlock(&self) {
        let r = self.reader_count.fetch_add(MAX_READERS, AcqRel) + MAX_READERS;
        if r >= MAX_READERS {
            crate::runtime::fatal("sync: Unlock of unlocked RWMutex");
        }
        // Let in the readers that arrived while we held the lock.
        for _ in 0..r {
            self.reader_sem.release();
        }
        // SAFETY: the write guard being dropped locked `w` in `write` or
        // `try_write`.
        unsafe { self.w.unlock() };
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> RwLock<T> {
        RwLock::new(T::default())
    }
}

impl<T> From<T> for RwLock<T> {
    fn from(value: T) -> RwLock<T> {
        RwLock::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RwLock");
        match self.try_read() {
            Some(guard) => d.field("data", &&*guard),
            None => d.field("data", &format_args!("<locked>")),
        };
        d.finish_non_exhaustive()
    }
}

/// Shared read access to an [`RwLock`]'s data; releases it when dropped.
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
    /// `&T`'s auto traits: `Send` and `Sync` iff `T: Sync`.
    _marker: PhantomData<&'a T>,
}

impl<'a, T: ?Sized> RwLockReadGuard<'a, T> {
    fn new(lock: &'a RwLock<T>) -> Self {
        RwLockReadGuard {
            lock,
            _marker: PhantomData,
        }
    }
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: while a read guard exists, no writer is inside, so the
        // data is only shared.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.read_unlock();
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// Exclusive write access to an [`RwLock`]'s data; releases it when
/// dropped.
#[must_use = "if unused the RwLock will immediately unlock"]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
    /// `&mut T`'s auto traits: `Send` iff `T: Send`, `Sync` iff `T: Sync`.
    _marker: PhantomData<&'a mut T>,
}

impl<'a, T: ?Sized> RwLockWriteGuard<'a, T> {
    fn new(lock: &'a RwLock<T>) -> Self {
        RwLockWriteGuard {
            lock,
            _marker: PhantomData,
        }
    }
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: a write guard excludes every reader and other writer.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` makes this borrow unique.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.write_unlock();
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicUsize};
    use std::sync::Arc;
    use std::thread;

    #[test]
    fn try_variants() {
        let l = RwLock::new(5);
        let r1 = l.try_read().unwrap();
        let r2 = l.read();
        assert!(l.try_write().is_none());
        drop((r1, r2));
        let w = l.try_write().unwrap();
        assert!(l.try_read().is_none());
        assert!(l.try_write().is_none());
        assert_eq!(format!("{l:?}"), "RwLock { data: <locked>, .. }");
        drop(w);
        *l.write() += 1;
        assert_eq!(format!("{l:?}"), "RwLock { data: 6, .. }");
        assert_eq!(l.reader_count.load(Relaxed), 0);
        assert_eq!(l.into_inner(), 6);
    }

    #[test]
    fn sema_counts_early_releases() {
        let s = Sema::new();
        s.release();
        s.release();
        s.acquire(WaitReason::RwLockRead);
        s.acquire(WaitReason::RwLockRead);
        let s = Arc::new(s);
        let t = {
            let s = s.clone();
            thread::spawn(move || s.acquire(WaitReason::RwLockRead))
        };
        s.release();
        t.join().unwrap();
    }

    #[test]
    fn writers_exclude_on_threads() {
        let l = Arc::new(RwLock::new((0u64, 0u64)));
        let inside = Arc::new(AtomicBool::new(false));
        let readers = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let (l, inside, readers) = (l.clone(), inside.clone(), readers.clone());
                thread::spawn(move || {
                    for i in 0..5_000 {
                        if (i + t) % 3 == 0 {
                            let mut g = l.write();
                            assert!(!inside.swap(true, Relaxed));
                            assert_eq!(readers.load(Relaxed), 0);
                            g.0 += 1;
                            g.1 += 1;
                            inside.store(false, Relaxed);
                        } else {
                            let g = l.read();
                            readers.fetch_add(1, Relaxed);
                            assert!(!inside.load(Relaxed));
                            assert_eq!(g.0, g.1);
                            readers.fetch_sub(1, Relaxed);
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let (a, b) = *l.read();
        assert_eq!(a, b);
        assert_eq!(l.reader_count.load(Relaxed), 0);
    }
}
