//! A small pool of plain threads for calls that block in the kernel with no
//! way to poll them — today, name resolution (`getaddrinfo`) — so that a
//! goroutine making one parks and its P runs others (Go runs cgo
//! `getaddrinfo` on a thread handed off from its P; tokio has
//! `spawn_blocking`).
//!
//! Threads start on demand, when no pool thread is idle, up to
//! `MAX_THREADS` (further calls queue), and exit after `IDLE_EXIT` without
//! work, so an idle program keeps none. The call's
//! closure may borrow from the caller's stack: the caller parks until the
//! closure has finished and touched its borrows for the last time.

use super::park::{park, Waiter};
use parking_lot::{Condvar, Mutex};
use std::collections::VecDeque;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering::*};
use std::sync::OnceLock;
use std::time::Duration;

/// How long a pool thread waits for work before it exits.
const IDLE_EXIT: Duration = Duration::from_secs(10);
/// The most pool threads at once; more calls queue (tokio's default
/// blocking pool allows 512; name lookups need far fewer).
const MAX_THREADS: usize = 64;

type Job = Box<dyn FnOnce() + Send + 'static>;

struct Pool {
    state: Mutex<State>,
    work: Condvar,
}

struct State {
    queue: VecDeque<Job>,
    idle: usize,
    /// Pool threads alive (at most `MAX_THREADS`).
    threads: usize,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| Pool {
        state: Mutex::new(State {
            queue: VecDeque::new(),
            idle: 0,
            threads: 0,
        }),
        work: Condvar::new(),
    })
}

/// Run `f` on a pool thread while the calling goroutine parks; on a plain
/// thread, just call it. A panic in `f` is re-raised in the caller.
pub(crate) fn run<R: Send, F: FnOnce() -> R + Send>(f: F) -> R {
    if super::goroutine_id() == 0 {
        return f();
    }
    let out: Mutex<Option<std::thread::Result<R>>> = Mutex::new(None);
    let done = AtomicBool::new(false);
    let waiter = Waiter::current();
    let job = || {
        let r = catch_unwind(AssertUnwindSafe(f));
        *out.lock() = Some(r);
        done.store(true, Release);
        // From here on the job touches only what it owns.
        waiter.wake();
    };
    let job: Box<dyn FnOnce() + Send + '_> = Box::new(job);
    // SAFETY: the job borrows `out`, `done` and whatever `f` borrows, all of
    // which outlive this call: we return only after seeing `done`, which the
    // job sets after its last use of them (waking uses the owned waiter).
    // Nothing between here and that loop can unwind.
    let job: Job = unsafe { std::mem::transmute::<Box<dyn FnOnce() + Send + '_>, Job>(job) };
    submit(job);
    while !done.load(Acquire) {
        park();
    }
    let r = out.lock().take().expect("the job stored its result");
    match r {
        Ok(r) => r,
        Err(panic) => resume_unwind(panic),
    }
}

fn submit(job: Job) {
    let pool = pool();
    let mut st = pool.state.lock();
    st.queue.push_back(job);
    // Idle workers not yet claimed by an earlier queued job take this one;
    // at the cap, it waits its turn.
    if st.idle >= st.queue.len() || st.threads >= MAX_THREADS {
        drop(st);
        pool.work.notify_one();
        return;
    }
    st.threads += 1;
    drop(st);
    let spawned = std::thread::Builder::new()
        .name("gort-blocking".into())
        .spawn(worker);
    if let Err(e) = spawned {
        let mut st = pool.state.lock();
        st.threads -= 1;
        if st.threads == 0 {
            // No thread to run it and none can start: fail loudly rather
            // than leave the caller parked forever.
            drop(st);
            super::fatal(&format!("cannot start a blocking-pool thread: {e}"));
        }
        // The running workers will take it.
    }
}

fn worker() {
    let pool = pool();
    let mut st = pool.state.lock();
    loop {
        if let Some(job) = st.queue.pop_front() {
            drop(st);
            job();
            st = pool.state.lock();
            continue;
        }
        st.idle += 1;
        let timed_out = pool.work.wait_for(&mut st, IDLE_EXIT).timed_out();
        st.idle -= 1;
        if timed_out && st.queue.is_empty() {
            st.threads -= 1;
            return;
        }
    }
}
