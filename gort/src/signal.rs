//! `gort::signal`: Go's `os/signal` — incoming process signals delivered on
//! a channel, so a server can shut down gracefully inside a `select!`.
//!
//! # Design
//! One dispatcher thread, started on first use, owns a signal-hook
//! `Signals` set (a self-pipe written by an async-signal-safe handler) and
//! blocks reading it. Each delivered signal is offered to every subscriber
//! that asked for it with a non-blocking send on its channel (one value of
//! room, as Go advises `make(chan os.Signal, 1)`): a subscriber that is not
//! ready misses the signal rather than stalling the others, as in Go. A
//! subscriber whose receiver was dropped is forgotten at its next signal.
//!
//! The synchronous signals the runtime or the kernel own — SIGSEGV and
//! SIGBUS (gort's stack-overflow handler), SIGILL, SIGFPE — and SIGKILL and
//! SIGSTOP (which cannot be caught) are ignored by [`notify`], as Go's
//! `Notify` ignores what it cannot deliver. Unlike Go, the default action
//! of a signal once asked for (ending the process, for SIGINT) stays
//! disabled after its receivers are dropped.

use crate::chan::{chan, Receiver, Sender, TrySendError};
use std::fmt;
use std::os::raw::c_int;
use std::sync::OnceLock;

/// A process signal (Go's `os.Signal` / `syscall.Signal`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signal(c_int);

impl Signal {
    /// SIGINT: Ctrl-C (Go's `os.Interrupt`).
    pub const INTERRUPT: Signal = Signal(libc::SIGINT);
    /// SIGTERM: the polite request to stop (`kill`, container runtimes).
    pub const TERMINATE: Signal = Signal(libc::SIGTERM);
    /// SIGHUP: the terminal went away; by convention, reload configuration.
    pub const HANGUP: Signal = Signal(libc::SIGHUP);
    /// SIGQUIT: Ctrl-\.
    pub const QUIT: Signal = Signal(libc::SIGQUIT);
    /// SIGUSR1.
    pub const USER1: Signal = Signal(libc::SIGUSR1);
    /// SIGUSR2.
    pub const USER2: Signal = Signal(libc::SIGUSR2);
    /// SIGWINCH: the terminal was resized.
    pub const WINDOW_CHANGED: Signal = Signal(libc::SIGWINCH);
    /// SIGPIPE: a write to a closed pipe or socket.
    pub const PIPE: Signal = Signal(libc::SIGPIPE);

    /// The signal with number `n` (as `kill -n`).
    pub const fn from_raw(n: c_int) -> Signal {
        Signal(n)
    }

    /// The signal's number.
    pub const fn raw(self) -> c_int {
        self.0
    }

    /// Whether `notify` can deliver it (see the module docs).
    fn deliverable(self) -> bool {
        ![
            libc::SIGKILL,
            libc::SIGSTOP,
            libc::SIGSEGV,
            libc::SIGBUS,
            libc::SIGILL,
            libc::SIGFPE,
        ]
        .contains(&self.0)
    }
}

impl fmt::Display for Signal {
    /// As Go prints them: "interrupt", "terminated", ….
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.0 {
            libc::SIGINT => "interrupt",
            libc::SIGTERM => "terminated",
            libc::SIGHUP => "hangup",
            libc::SIGQUIT => "quit",
            libc::SIGUSR1 => "user defined signal 1",
            libc::SIGUSR2 => "user defined signal 2",
            libc::SIGWINCH => "window changed",
            libc::SIGPIPE => "broken pipe",
            n => return write!(f, "signal {n}"),
        };
        f.write_str(name)
    }
}

impl fmt::Debug for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signal({}: {self})", self.0)
    }
}

/// A channel that receives each of `signals` the process gets from now on
/// (Go's `signal.Notify`). Signals that cannot be delivered (SIGKILL,
/// SIGSTOP, and the synchronous SIGSEGV, SIGBUS, SIGILL, SIGFPE) are
/// ignored. The channel holds one signal: a receiver that is not ready
/// misses later ones, as in Go. Drop the receiver to stop (Go's
/// `signal.Stop`).
///
/// # Panics
/// If signal delivery cannot be set up (an OS error, such as running out
/// of file descriptors); [`try_notify`] returns that error instead.
///
/// ```no_run
/// use gort::signal::{self, Signal};
///
/// gort::run(|| {
///     let stop = signal::notify(&[Signal::INTERRUPT, Signal::TERMINATE]);
///     let (_work, jobs) = gort::chan::<u32>(0);
///     loop {
///         gort::select! {
///             job = <-&jobs => { let _ = job; /* serve it */ }
///             sig = <-&stop => {
///                 println!("got {}, draining", sig.unwrap());
///                 break;
///             }
///         }
///     }
/// });
/// ```
pub fn notify(signals: &[Signal]) -> Receiver<Signal> {
    try_notify(signals).unwrap_or_else(|e| panic!("gort::signal::notify: {e}"))
}

/// [`notify`], returning an error if signal delivery cannot be set up.
#[inline(never)] // takes a thread-blocking lock: see asyncpreempt.rs
pub fn try_notify(signals: &[Signal]) -> std::io::Result<Receiver<Signal>> {
    let d = dispatcher()?;
    let wanted: Vec<Signal> = signals
        .iter()
        .copied()
        .filter(|s| s.deliverable())
        .collect();
    let mut subs = d.subscribers.lock();
    for s in &wanted {
        if !subs.watched.contains(s) {
            d.handle.add_signal(s.0)?;
            subs.watched.push(*s);
        }
    }
    let (tx, rx) = chan(1);
    subs.list.push((wanted, tx));
    // Only now can a goroutine wait for a signal (and only on `rx`).
    STARTED.store(true, std::sync::atomic::Ordering::SeqCst);
    Ok(rx)
}

struct Dispatcher {
    handle: signal_hook::iterator::Handle,
    subscribers: parking_lot::Mutex<Subscribers>,
}

#[derive(Default)]
struct Subscribers {
    /// Signals registered with the handler (never removed).
    watched: Vec<Signal>,
    list: Vec<(Vec<Signal>, Sender<Signal>)>,
}

/// Whether a `notify` subscription asks for `sig` (then the program, not
/// the runtime, handles it: Go's rule for SIGQUIT's goroutine dump).
#[inline(never)] // takes a thread-blocking lock: see asyncpreempt.rs
pub(crate) fn notified(sig: Signal) -> bool {
    if !in_use() {
        return false;
    }
    let Ok(d) = dispatcher() else { return false };
    let subs = d.subscribers.lock();
    subs.list.iter().any(|(wanted, _)| wanted.contains(&sig))
}

/// Set once a `notify` subscription has been made: a signal may then wake
/// a goroutine, so deadlock detection stands down. (A failed `try_notify`
/// does not set it.)
static STARTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Set once the dispatcher thread runs (even if the subscription that
/// started it then failed): it is one of the runtime's own threads.
static DISPATCHER_THREAD: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The runtime threads this module started (for deadlock detection, which
/// counts every other thread as one that might send on a channel).
pub(crate) fn threads() -> usize {
    usize::from(DISPATCHER_THREAD.load(std::sync::atomic::Ordering::SeqCst))
}

/// Whether `notify` has ever been used in this process.
pub(crate) fn in_use() -> bool {
    STARTED.load(std::sync::atomic::Ordering::SeqCst)
}

fn dispatcher() -> std::io::Result<&'static Dispatcher> {
    static DISPATCHER: OnceLock<Result<Dispatcher, String>> = OnceLock::new();
    let d = DISPATCHER.get_or_init(|| {
        let mut signals = signal_hook::iterator::Signals::new::<[c_int; 0], c_int>([])
            .map_err(|e| e.to_string())?;
        let handle = signals.handle();
        std::thread::Builder::new()
            .name("gort-signals".into())
            .spawn(move || {
                for n in signals.forever() {
                    deliver(Signal(n));
                }
            })
            .map_err(|e| e.to_string())?;
        DISPATCHER_THREAD.store(true, std::sync::atomic::Ordering::SeqCst);
        Ok(Dispatcher {
            handle,
            subscribers: parking_lot::Mutex::new(Subscribers::default()),
        })
    });
    d.as_ref()
        .map_err(|e| std::io::Error::other(format!("cannot set up signal delivery: {e}")))
}

/// Offer `sig` to each subscriber that asked for it; forget the gone ones.
fn deliver(sig: Signal) {
    let Ok(d) = dispatcher() else { return };
    d.subscribers.lock().list.retain(|(wanted, tx)| {
        !wanted.contains(&sig) || !matches!(tx.try_send(sig), Err(TrySendError::Closed(_)))
    });
}
