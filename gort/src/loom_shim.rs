//! The atomics the lock-free parts of the runtime are written against.
//!
//! Under `--cfg loom` these are loom's model-checked types, so the run queue and
//! the parking protocol can be explored exhaustively on plain threads
//! (`RUSTFLAGS="--cfg loom" cargo test -p gort --release --lib loom`); otherwise
//! they are std's. Only code that is checked with loom imports from here.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{
    fence, AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicU8, AtomicUsize,
};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{
    fence, AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicU8, AtomicUsize,
};

/// An `UnsafeCell` with loom's closure-based access, so that loom can check
/// that accesses to it are ordered (std's is wrapped to the same shape).
#[cfg(loom)]
pub(crate) use loom::cell::UnsafeCell;

#[cfg(not(loom))]
#[derive(Debug, Default)]
pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    pub(crate) fn new(value: T) -> Self {
        UnsafeCell(std::cell::UnsafeCell::new(value))
    }

    /// Run `f` with a pointer to the contents; dereferencing it is the
    /// caller's responsibility, as with `std::cell::UnsafeCell::get`.
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}
