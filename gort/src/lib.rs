//! # gort — Go's concurrency model, in Rust
//!
//! Goroutines on stackful coroutines, scheduled the way Go schedules them:
//! G-M-P with per-P run queues, a `runnext` slot, work stealing, spinning
//! threads and a sysmon thread. Write Go-flavoured Rust without `async`:
//!
//! ```
//! use gort::sync::WaitGroup;
//!
//! fn greet(name: String, wg: WaitGroup) {
//!     println!("hello, {name}");
//!     wg.done();
//! }
//!
//! gort::run(|| {
//!     let wg = WaitGroup::new();
//!     for name in ["gopher", "crab"] {
//!         wg.add(1);
//!         gort::go!(greet(name.to_string(), wg.clone())); // args evaluated now
//!     }
//!     wg.wait();
//! });
//! ```
//!
//! ## Entry points
//! * [`go!`] starts a goroutine (Go's `go f(x)`); [`spawn`] starts one and
//!   keeps its result in a [`JoinHandle`]; [`scope`] starts goroutines that
//!   may borrow the caller's locals.
//! * [`run`] runs a function as a goroutine from any thread and waits;
//!   `#[gort::main]` runs `main` as goroutine 1; `#[gort::test]` runs a test.
//! * [`yield_now`] is `runtime.Gosched`; [`runtime`] has `num_goroutine`,
//!   `gomaxprocs`, `set_gomaxprocs`, `goroutine_id`.
//! * [`chan()`] makes channels ([`Sender`], [`Receiver`]); [`select!`]
//!   waits on several; [`time`] has `sleep`, `after`, `tick`, `Ticker`,
//!   `Timer`, `after_func` (Go 1.23 timer channels).
//! * [`sync`] has `WaitGroup`, `Mutex`, `RwLock`, `Once`, `Cond`,
//!   `Semaphore`, `ErrGroup` — all park goroutines, not threads — and
//!   goroutine-local storage.
//! * [`syscall`] runs a blocking call without stalling the other
//!   goroutines (Go's system-call hand-off); [`fs`] is `std::fs` on it.
//! * [`context`] is Go's `context` (cancellation, deadlines, values);
//!   [`signal`] turns process signals into channel values.
//! * [`net`] is `std::net`-shaped TCP, UDP and Unix sockets on the
//!   runtime's netpoller (epoll via mio): a read that must wait parks only
//!   its goroutine, so a server can spend one goroutine per connection.
//!
//! ## The runtime underneath
//! Timers live in the scheduler: each scheduling round runs the due ones,
//! and the last idle thread sleeps in the netpoller until the next one —
//! so an idle program sleeps in a single `epoll_wait`.
//!
//! ## Preemption
//! A goroutine that has run a 10 ms time slice gives up its P at its next
//! checkpoint: every channel operation (even one that does not wait),
//! `yield_now`, [`checkpoint`], the return of a [`syscall`], and the entry
//! of a function marked [`#[gort::preemptible]`](preemptible) — and of
//! course whenever it blocks (a lock, a sleep, I/O). A loop that
//! reaches none — pure computation — is stopped by signal instead (SIGURG,
//! as Go does; x86_64 Linux), but only inside `#[gort::preemptible]`
//! functions: mark the function that holds such a loop. Two rules come with
//! that attribute, because the goroutine may resume on another thread after
//! any instruction of the function:
//! * it must not use thread-locals (`thread_local!`, `std::thread::current()`,
//!   `HashMap::new()`'s random keys): put such code in a helper without the
//!   attribute (`tests/ptext.rs` shows how to check a binary mechanically);
//! * a `std::sync::Mutex` held there stays held while the goroutine waits
//!   for a P again: prefer [`sync::Mutex`].
//!
//! As in Go since 1.14, a blocking system call of your own in a goroutine
//! may now return `EINTR` (`ErrorKind::Interrupted`): retry it (gort's own
//! calls do). When every P is busy and a goroutine is woken (a timer, a
//! socket, a plain thread), gort ends the longest slice that has run at
//! least 1 ms, so a woken goroutine starts within a few milliseconds where
//! Go may leave it waiting a whole slice.
//!
//! ## Environment
//! * `GOMAXPROCS` — number of Ps (default: CPUs available to the process).
//! * `GORTDEBUG=schedtrace=N` — print Go's `SCHED` line (Ps, threads,
//!   queue lengths) on stderr every N ms; `preemptslice=N` — the time slice
//!   in ms (or `Nus`); `asyncpreemptoff=1` — no preemption by signal.
//! * `GORT_STACK_SIZE` — virtual bytes per goroutine stack (default 256 KiB;
//!   `K`/`M` suffixes accepted). Only touched pages use memory. Overflowing it
//!   prints `fatal error: goroutine N stack overflow …` and exits with 2.
//!
//! ## Soundness: what to know about thread-locals
//! A goroutine may resume on a different OS thread after any call that can
//! park it (`join`, `WaitGroup::wait`, `yield_now`, …). Two rules follow:
//! * Do not hold a borrow of a `thread_local!`, or a `std::sync::MutexGuard`,
//!   across such a call: both belong to the thread that made them.
//! * In a function that makes such a call, read thread-locals (including
//!   `std::thread::current()`) through a separate `#[inline(never)]`
//!   function. LLVM assumes a function stays on one thread and may reuse a
//!   thread-local's address computed before the call (llvm-project#98479),
//!   reading the *old* thread's value; gort's soundness tests caught this
//!   with a plain `thread_local!` read on both sides of `yield_now`.
//!
//! For per-goroutine state, use [`goroutine_local!`] instead of
//! `thread_local!`: its values follow the goroutine from thread to thread.
//! gort's own thread-locals are read only through out-of-line accessors,
//! and a goroutine never switches while its thread is unwinding.
//!
//! ## Deadlocks
//! When every goroutine is blocked and nothing can wake one — no timer
//! pending, no socket awaited, no blocking call running, `signal::notify`
//! unused — the program prints Go's
//! `fatal error: all goroutines are asleep - deadlock!`, each goroutine's
//! id and wait reason (`chan receive`, `sync.Mutex.Lock`, …), and exits
//! with status 2, within about a second of the last goroutine blocking.
//! SIGQUIT (Ctrl-\\) prints the same list of goroutines — `running`,
//! `runnable`, `syscall` (inside [`syscall()`]) or why each waits, and for
//! how many minutes — and exits with status 2, as Go does (unless
//! `signal::notify` subscribed to it); [`runtime::stack`] returns that
//! list as a string. Where Go prints a stack trace, gort prints where each
//! goroutine blocked (the line that called the gort API it waits in) and
//! where it was started, by which goroutine.
//! One rule Go does not need: a plain OS thread that is *not* itself
//! blocked in a gort call might still send on a channel, so while such a
//! thread exists, gort never reports a deadlock.
//!
//! ## Panics
//! A panic in a `go!` goroutine prints `panic in goroutine N: <message>` and
//! ends the process with status 2, as in Go. Use [`spawn`] to catch one.
//! Once `#[gort::main]`'s body has returned, the exit status is main's: a
//! goroutine that main's own drops make panic ends silently.
#![warn(missing_docs)]

extern crate self as gort;

mod batch_pool;
pub mod chan;
mod config;
pub mod context;
pub mod fs;
mod lifo_pool;
mod loom_shim;
pub mod net;
mod overflow;
mod panic;
pub mod runtime;
mod scope;
pub mod signal;
mod spawn;
mod stack;
pub mod sync;
pub mod time;

pub use chan::{chan, Receiver, Sender};
pub use gort_macros::{go, main, preemptible, select, test};
pub use runtime::syscall::syscall;
pub use scope::{scope, Scope, ScopedJoinHandle};
pub use spawn::{run, spawn, JoinHandle};

/// Let other goroutines run; the caller stays runnable and continues soon
/// (Go's `runtime.Gosched`). On a plain thread it yields the thread.
pub fn yield_now() {
    runtime::park::yield_now();
}

/// An explicit preemption point. Costs one relaxed load unless sysmon has
/// asked a goroutine that has run for a whole time slice (10 ms) to yield,
/// in which case the goroutine on that P yields here.
#[inline]
pub fn checkpoint() {
    runtime::sysmon::checkpoint();
}

/// Commonly used items: `use gort::prelude::*;`.
pub mod prelude {
    pub use crate::sync::WaitGroup;
    pub use crate::{chan, go, scope, select, spawn, yield_now, JoinHandle, Receiver, Sender};
}

#[doc(hidden)]
pub mod __private {
    //! Expansion targets of gort's macros; not a public API.

    /// `go!` expands to this. The bounds' comments are what rustc shows
    /// beside a borrow or a non-`Send` capture, so they say what to do.
    #[track_caller]
    pub fn go<F, R>(f: F)
    where
        F: FnOnce() -> R
            + Send // a goroutine may run on any thread: share with Arc, not Rc
            + 'static, // a goroutine may outlive its caller: move or clone what it uses, or borrow inside gort::scope
        R: GoroutineReturn,
    {
        crate::spawn::go(move || {
            f();
        })
    }

    /// What a `go!` goroutine may return: nothing (see `go!`'s docs).
    #[diagnostic::on_unimplemented(
        message = "a goroutine started with `go!` returns nothing, but this one returns `{Self}`",
        label = "this value would be lost",
        note = "to keep it, start the goroutine with `gort::spawn(...)` and `join()` its handle; to drop it on purpose, end the body with `;`: `go!({{ f(); }})`"
    )]
    pub trait GoroutineReturn {}
    #[diagnostic::do_not_recommend]
    impl GoroutineReturn for () {}
    /// A goroutine that never returns (`go!(|| loop { .. })`) returns
    /// nothing either. `!` cannot be named on stable; a function pointer's
    /// output can.
    #[diagnostic::do_not_recommend]
    impl GoroutineReturn for <fn() -> ! as Returns>::Output {}

    /// Names a function type's output.
    pub trait Returns {
        type Output;
    }
    impl<R> Returns for fn() -> R {
        type Output = R;
    }

    /// `#[gort::main]` expands to this.
    #[track_caller]
    pub fn main<T: Send + 'static, F: FnOnce() -> T + Send + 'static>(f: F) -> T {
        crate::spawn::main(f)
    }

    /// `#[gort::main]` wraps every value main's body returns in this: from
    /// here on the exit status is main's (see gort-macros' main_exit.rs).
    pub fn main_returns<T>(value: T) -> T {
        crate::panic::main_returned();
        value
    }

    /// `#[gort::main]` wraps the operand of each `?` in main's body in this:
    /// an `Err` leaves main.
    pub fn main_try<T, E>(result: Result<T, E>) -> Result<T, E> {
        if result.is_err() {
            crate::panic::main_returned();
        }
        result
    }

    pub use crate::chan::{
        recv_operand, select, select_forever, send_operand, CaseRef, RecvCase, SendCase,
    };
}
