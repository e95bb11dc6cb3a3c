//! Scoped goroutines: `gort::scope`, the goroutine twin of
//! `std::thread::scope`. Goroutines started in a scope may borrow the
//! caller's locals, because `scope` does not return — not even by unwinding
//! — until every one of them has finished.
//!
//! # Soundness
//! A goroutine's closure must be `'static` to enter the scheduler, so a
//! scoped one is boxed and its lifetime erased (the one `unsafe` here). That
//! is sound because of one invariant: *`scope` returns only after every
//! packet is dropped*, and a goroutine drops its packet only after its
//! closure — with everything it borrowed — is gone. The packets are counted
//! by a WaitGroup: `add` when one is made, `done` as the last thing its
//! `Drop` does (after dropping the result, which may borrow too). `scope`
//! runs the caller's closure under `catch_unwind` and always waits. Join
//! handles borrow the scope (`'scope`), so they cannot outlive it, and the
//! caller's closure cannot return one.
//!
//! # Panics
//! As std: if the caller's closure panics, `scope` re-raises that after the
//! wait; otherwise, if a goroutine panicked and its panic was not taken by
//! `join`, `scope` re-raises the first such payload.

use crate::spawn::ResultSlot;
use crate::sync::WaitGroup;
use std::any::Any;
use std::marker::PhantomData;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::Arc;

/// Run `f` with a [`Scope`] in which goroutines may borrow from the
/// caller, and return `f`'s result once every goroutine started in the
/// scope has finished. Parks a calling goroutine; blocks a calling thread.
///
/// Neither Go (it has a garbage collector) nor async Rust (a future can be
/// forgotten) can offer this; it replaces the `Arc`-and-clone dance.
///
/// # Panics
/// Re-raises the panic of `f`, or else the first panic of a scoped
/// goroutine that was not observed through [`ScopedJoinHandle::join`],
/// after all goroutines finished.
///
/// ```
/// let mut hits = vec![0u32; 4];
/// let total = std::sync::atomic::AtomicU32::new(0);
/// gort::run(move || {
///     gort::scope(|s| {
///         for (i, h) in hits.iter_mut().enumerate() {
///             let total = &total;
///             s.go(move || {
///                 *h = i as u32 * 10;
///                 total.fetch_add(*h, std::sync::atomic::Ordering::Relaxed);
///             });
///         }
///         let answer = s.spawn(|| 6 * 7);
///         assert_eq!(answer.join().unwrap(), 42);
///     });
///     assert_eq!(hits, [0, 10, 20, 30]);
///     assert_eq!(total.into_inner(), 60);
/// });
/// ```
#[track_caller]
#[inline(never)] // its panic slot's lock must not land in preemptible code
pub fn scope<'env, F, T>(f: F) -> T
where
    F: for<'scope> FnOnce(&'scope Scope<'scope, 'env>) -> T,
{
    let scope = Scope {
        data: Arc::new(ScopeData {
            running: WaitGroup::new(),
            panic: parking_lot::Mutex::new(None),
        }),
        scope: PhantomData,
        env: PhantomData,
    };
    let result = catch_unwind(AssertUnwindSafe(|| f(&scope)));
    scope.data.running.wait();
    match result {
        Err(panic) => resume_unwind(panic),
        Ok(value) => {
            let panic = scope.data.panic.lock().take();
            match panic {
                Some(panic) => resume_unwind(panic),
                None => value,
            }
        }
    }
}

/// A scope to start goroutines in; see [`scope`].
pub struct Scope<'scope, 'env: 'scope> {
    data: Arc<ScopeData>,
    /// Invariant in `'scope` and `'env`, as std's: a scope cannot be
    /// shortened or lengthened into something it is not.
    scope: PhantomData<&'scope mut &'scope ()>,
    env: PhantomData<&'env mut &'env ()>,
}

struct ScopeData {
    /// Packets alive (see the header).
    running: WaitGroup,
    /// The first panic nobody joined.
    panic: parking_lot::Mutex<Option<Box<dyn Any + Send>>>,
}

impl<'scope> Scope<'scope, '_> {
    /// Start `f` in a new goroutine of the scope (a scoped `go!`).
    #[track_caller]
    pub fn go<F>(&'scope self, f: F)
    where
        F: FnOnce() + Send + 'scope,
    {
        drop(self.spawn(f));
    }

    /// Start `f` in a new goroutine of the scope and return a handle to
    /// its result (a scoped [`spawn`](crate::spawn)).
    #[track_caller]
    pub fn spawn<F, T>(&'scope self, f: F) -> ScopedJoinHandle<'scope, T>
    where
        F: FnOnce() -> T + Send + 'scope,
        T: Send + 'scope,
    {
        self.data.running.add(1);
        let packet = Arc::new(Packet {
            slot: ResultSlot::new(),
            scope: Arc::clone(&self.data),
        });
        let theirs = Arc::clone(&packet);
        let run: Box<dyn FnOnce() + Send + 'scope> =
            Box::new(move || theirs.slot.fill(catch_unwind(AssertUnwindSafe(f))));
        // SAFETY: only the lifetime changes. Everything `run` borrows lives
        // for 'scope, and `scope` does not return before this goroutine has
        // dropped `run` and then its packet (see the header).
        let run: Box<dyn FnOnce() + Send + 'static> = unsafe { std::mem::transmute(run) };
        crate::runtime::new_goroutine(run);
        ScopedJoinHandle {
            packet,
            scope: PhantomData,
        }
    }
}

/// What a scoped goroutine and its handle share.
struct Packet<T> {
    slot: ResultSlot<T>,
    scope: Arc<ScopeData>,
}

impl<T> Drop for Packet<T> {
    fn drop(&mut self) {
        // Drop the result first: it may borrow from the scope's caller. Its
        // destructor (or a payload's) may panic; that must not skip `done`
        // (the scope would wait forever) nor unwind out of a goroutine, so
        // such a panic is kept and re-raised by `scope` like any other.
        let slot = &self.slot;
        let scope = &self.scope;
        let dropped = catch_unwind(AssertUnwindSafe(|| {
            if let Some(Err(panic)) = slot.take() {
                scope.keep_panic(panic);
            }
        }));
        if let Err(panic) = dropped {
            // A second panic from dropping this payload: leak it instead.
            std::mem::forget(catch_unwind(AssertUnwindSafe(|| scope.keep_panic(panic))));
        }
        self.scope.running.done();
    }
}

impl ScopeData {
    /// Keep `panic` if it is the first unjoined one; drop it otherwise.
    fn keep_panic(&self, panic: Box<dyn Any + Send>) {
        let mut first = self.panic.lock();
        if first.is_none() {
            *first = Some(panic);
        } else {
            drop(first);
            drop(panic);
        }
    }
}

/// Owned permission to join a scoped goroutine (std's
/// `ScopedJoinHandle`).
pub struct ScopedJoinHandle<'scope, T> {
    packet: Arc<Packet<T>>,
    scope: PhantomData<&'scope ()>,
}

impl<T> ScopedJoinHandle<'_, T> {
    /// Wait for the goroutine: `Ok` with its value, or `Err` with its panic
    /// payload (which `scope` then does not re-raise).
    #[track_caller]
    pub fn join(self) -> std::thread::Result<T> {
        self.packet.slot.wait()
    }

    /// Whether the goroutine has finished.
    pub fn is_finished(&self) -> bool {
        self.packet.slot.is_filled()
    }
}

impl<T> std::fmt::Debug for ScopedJoinHandle<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScopedJoinHandle")
            .field("finished", &self.is_finished())
            .finish()
    }
}

impl std::fmt::Debug for Scope<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scope").finish_non_exhaustive()
    }
}
