//! The one place a corosensei coroutine is wrapped, and the one audited
//! `unsafe impl Send` of the runtime.
//!
//! A goroutine's code runs on its own stack inside a coroutine. It leaves the
//! coroutine only by `suspend`ing with a [`Switch`] that tells the scheduler
//! what to do next, or by returning when its function is done.

use crate::stack::Stack;
use corosensei::{Coroutine, CoroutineResult, Yielder};

/// Why a goroutine handed its thread back to the scheduler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Switch {
    /// `yield_now`: still runnable; requeue at the tail of the local queue.
    Yield,
    /// Preempted at a checkpoint (its time slice is used up): still
    /// runnable; requeue on the global queue, behind whatever other Ps and
    /// plain threads (timers) readied meanwhile (Go's gopreempt_m).
    Preempt,
    /// Waiting for an `unpark` (see `g.rs` for the token protocol).
    Park,
    /// The goroutine's function returned.
    Exit,
    /// Back from a blocking call with no P to run on (syscall.rs): the M
    /// queues the goroutine globally and parks until given a P.
    SyscallExit,
}

/// The yielder a goroutine uses to suspend itself.
pub(crate) type GYielder = Yielder<(), Switch>;

/// A goroutine's coroutine: its function and saved registers on its stack.
pub(crate) struct Coro(Coroutine<(), Switch, (), Stack>);

// SAFETY: corosensei marks `Coroutine` !Send because the code it runs could
// hold thread-bound state (a `thread_local!` reference, a `MutexGuard`, an
// `Rc`) across a suspension. Goroutine functions are `Send + 'static`, so
// everything they own may move between threads; what remains is thread-local
// *storage* touched across a switch. The runtime reads its own thread-locals
// only through `#[inline(never)]` accessors (context.rs), so no TLS address is
// cached across a suspension, and never switches while a thread is panicking
// (std keeps the panic count in a thread-local). The hazard left to users —
// a `thread_local!` borrow held across a blocking operation — is documented on
// the crate and in the book, with goroutine-local storage as the alternative.
unsafe impl Send for Coro {}

impl Coro {
    /// Prepare `f` to run on `stack`; it starts at the first `resume`.
    pub(crate) fn new(stack: Stack, f: impl FnOnce(&GYielder) + 'static) -> Coro {
        Coro(Coroutine::with_stack(stack, move |y: &GYielder, ()| f(y)))
    }

    /// Run the goroutine until it suspends or returns.
    pub(crate) fn resume(&mut self) -> Switch {
        match self.0.resume(()) {
            CoroutineResult::Yield(s) => s,
            CoroutineResult::Return(()) => Switch::Exit,
        }
    }

    /// Take the stack back from a finished coroutine.
    pub(crate) fn into_stack(self) -> Stack {
        self.0.into_stack()
    }
}
