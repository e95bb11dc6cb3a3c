//! Synchronization that parks goroutines instead of blocking threads
//! (Go's `sync` package). Every type here also works from plain OS threads,
//! which it blocks, and goroutines and threads may share one.
//!
//! * [`Mutex`] — Go's `sync.Mutex` (normal and starvation modes), with the
//!   data inside; no poisoning.
//! * [`RwLock`] — Go's `sync.RWMutex`: a waiting writer holds back new
//!   readers, so writers do not starve.
//! * [`Once`] — Go's `sync.Once`; a panicking initialiser leaves it
//!   incomplete, so the next caller retries.
//! * [`Cond`] — Go's `sync.Cond`, over a gort [`MutexGuard`].
//! * [`WaitGroup`] — Go's `sync.WaitGroup`.
//! * [`Semaphore`] and [`ErrGroup`] — golang.org/x/sync's weighted
//!   semaphore and errgroup.
//! * [`LocalKey`] and [`goroutine_local!`](crate::goroutine_local) —
//!   goroutine-local storage, the replacement for `thread_local!` in code
//!   that runs on goroutines (which may move between threads).
//!
//! Guards of gort's locks may be held across anything that switches
//! goroutines. Do not hold a `std::sync::MutexGuard` (or a `parking_lot`
//! one) across such a point: it belongs to the thread that locked it, and a
//! goroutine blocked on it blocks its whole thread.

mod cond;
mod errgroup;
pub(crate) mod local;
mod mutex;
mod once;
mod rwlock;
mod sema;
mod semaphore;
mod waitgroup;

pub use cond::Cond;
pub use errgroup::ErrGroup;
pub use local::LocalKey;
pub use mutex::{Mutex, MutexGuard};
pub use once::Once;
pub use rwlock::{RwLock, RwLockReadGuard, RwLockWriteGuard};
pub use semaphore::Semaphore;
pub use waitgroup::WaitGroup;
