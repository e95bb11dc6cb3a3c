//! The atomics the lock-free parts of the runtime are written against.
//!
//! Under `--cfg loom` these are loom's model-checked types, so the run queue and
//! the parking protocol can be explored exhaustively on plain threads
//! (`RUSTFLAGS="--cfg loom" cargo test -p gort --release --lib loom`); otherwise
//! they are std's. Only code that is checked with loom imports from here.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicPtr, AtomicU32, AtomicU8, AtomicUsize};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{fence, AtomicPtr, AtomicU32, AtomicU8, AtomicUsize};
