//! Synchronization that parks goroutines instead of blocking threads
//! (Go's `sync` package). Every type here also works from plain OS threads,
//! which it blocks.

mod waitgroup;

pub use waitgroup::WaitGroup;
