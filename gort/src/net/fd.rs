//! `PollFd`: a std socket in non-blocking mode, registered with the
//! netpoller, and the loop every gort socket operation runs (cf. Go's
//! internal/poll.FD).
//!
//! An operation tries the syscall; on `WouldBlock` it waits for the
//! direction's readiness and tries again; `EINTR` is retried at once.
//! - On a goroutine, waiting parks the goroutine on the descriptor's
//!   PollDesc (netpoll.rs), with the operation's deadline as a timer. One
//!   goroutine per direction runs the loop at a time (a gort `Mutex`, Go's
//!   fdMutex), which is what lets a PollDesc slot hold a single waiter.
//! - On a plain thread, waiting is `poll(2)` on the descriptor: the thread
//!   blocks, as a std socket's would.
//!
//! Timeouts are per operation, as std's: each read or write may wait that
//! long (Go has absolute deadlines instead). `set_nonblocking(true)` makes
//! operations return `WouldBlock` instead of waiting, as std's does.

use crate::runtime::netpoll::{self, PollDesc, Side};
use crate::runtime::{goroutine_id, rt};
use crate::sync::Mutex;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// Which way an operation moves data.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dir {
    Read,
    Write,
}

pub(crate) struct PollFd<T: AsRawFd> {
    io: Option<T>,
    pd: &'static PollDesc,
    read_lock: Mutex<()>,
    write_lock: Mutex<()>,
    /// Per-operation timeouts in nanoseconds; 0 = none.
    read_timeout: AtomicU64,
    write_timeout: AtomicU64,
    nonblocking: AtomicBool,
    /// The last goroutine read of a stream came back short (see
    /// `read_stream`). Only touched under `read_lock`.
    drained: AtomicBool,
    /// Whether `read_stream` may skip reads after short ones: for TCP
    /// only. A Unix stream's read also stops short at a message carrying
    /// descriptors (SCM_RIGHTS), with data behind it and no edge to come.
    short_read_skip: bool,
}

/// Reads larger than this may come back short with data left (the kernel
/// caps one read near 2 GiB): they never skip.
const MAX_SKIP_LEN: usize = 1 << 30;

impl<T: AsRawFd> PollFd<T> {
    /// Take `io` (any blocking mode), make it non-blocking and register it.
    pub(crate) fn new(
        io: T,
        set_nonblocking: impl FnOnce(&T) -> io::Result<()>,
    ) -> io::Result<Self> {
        set_nonblocking(&io)?;
        let pd = rt().netpoll.register(io.as_raw_fd())?;
        Ok(PollFd {
            io: Some(io),
            pd,
            read_lock: Mutex::new(()),
            write_lock: Mutex::new(()),
            read_timeout: AtomicU64::new(0),
            write_timeout: AtomicU64::new(0),
            nonblocking: AtomicBool::new(false),
            drained: AtomicBool::new(false),
            short_read_skip: false,
        })
    }

    /// The socket itself, for calls that never block.
    pub(crate) fn get(&self) -> &T {
        self.io
            .as_ref()
            .expect("a PollFd holds its socket until dropped")
    }

    /// Give the socket back, deregistered (still non-blocking).
    pub(crate) fn into_inner(mut self) -> T {
        let io = self
            .io
            .take()
            .expect("a PollFd holds its socket until dropped");
        rt().netpoll.deregister(io.as_raw_fd(), self.pd);
        io
    }

    /// Run `op` until it does not report `WouldBlock`, waiting for
    /// `dir`-readiness in between (see the module docs).
    #[track_caller]
    pub(crate) fn io<R>(&self, dir: Dir, mut op: impl FnMut(&T) -> io::Result<R>) -> io::Result<R> {
        let deadline = self.timeout(dir).map(|t| Instant::now() + t);
        let nonblocking = self.nonblocking.load(Relaxed);
        let on_goroutine = goroutine_id() != 0;
        // (Not `bool::then` with a closure: that would hide the caller's
        // location from goroutine dumps while this waits for its turn.)
        let _turn = if on_goroutine && !nonblocking {
            Some(match dir {
                Dir::Read => self.read_lock.lock(),
                Dir::Write => self.write_lock.lock(),
            })
        } else {
            None
        };
        if dir == Dir::Read && on_goroutine {
            // This op may consume an edge that a drained read would wait for.
            self.drained.store(false, Relaxed);
        }
        loop {
            match op(self.get()) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock && !nonblocking => {
                    if on_goroutine {
                        netpoll::wait(self.side(dir), deadline)?;
                    } else {
                        poll_fd(self.get().as_raw_fd(), dir, deadline)?;
                    }
                }
                r => return r,
            }
        }
    }

    /// `io` for a read from a stream socket into `len` bytes of buffer,
    /// skipping a syscall that is sure to fail: after a read that returned
    /// fewer bytes than asked for, the socket's buffer was empty, and with
    /// edge-triggered polling any byte arriving later records a new edge —
    /// so the next read waits for that edge first instead of trying a read
    /// that would return `WouldBlock` (tokio does the same). A server
    /// saves one of its four syscalls per request this way. Not once the
    /// poller has seen the peer close: end of file sends no further edge,
    /// so the read must be tried (and returns 0).
    #[track_caller]
    pub(crate) fn read_stream(
        &self,
        len: usize,
        mut op: impl FnMut(&T) -> io::Result<usize>,
    ) -> io::Result<usize> {
        let skip_ok = self.short_read_skip && len <= MAX_SKIP_LEN;
        if !skip_ok || len == 0 || goroutine_id() == 0 || self.nonblocking.load(Relaxed) {
            return self.io(Dir::Read, op);
        }
        let _turn = self.read_lock.lock();
        let deadline = self.timeout(Dir::Read).map(|t| Instant::now() + t);
        if self.drained.swap(false, Relaxed) && !self.pd.read.slot.is_sticky() {
            netpoll::wait(&self.pd.read, deadline)?;
        }
        loop {
            match op(self.get()) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    netpoll::wait(&self.pd.read, deadline)?;
                }
                Ok(n) => {
                    self.drained.store(n > 0 && n < len, Relaxed);
                    return Ok(n);
                }
                r => return r,
            }
        }
    }

    /// Wait for a non-blocking connect started on this socket to finish
    /// (Go's wait-for-write, then `SO_ERROR`): `take_error` and `peer_addr`
    /// are the socket type's own.
    #[track_caller]
    pub(crate) fn finish_connect<A>(
        &self,
        deadline: Option<Instant>,
        take_error: impl Fn(&T) -> io::Result<Option<io::Error>>,
        peer_addr: impl Fn(&T) -> io::Result<A>,
    ) -> io::Result<()> {
        loop {
            if goroutine_id() != 0 {
                netpoll::wait(self.side(Dir::Write), deadline)?;
            } else {
                poll_fd(self.get().as_raw_fd(), Dir::Write, deadline)?;
            }
            if let Some(e) = take_error(self.get())? {
                return Err(e);
            }
            match peer_addr(self.get()) {
                Ok(_) => return Ok(()),
                // Not connected yet: the edge was stale (a recycled PollDesc).
                Err(e) if e.kind() == io::ErrorKind::NotConnected => continue,
                Err(e) => return Err(e),
            }
        }
    }

    fn side(&self, dir: Dir) -> &'static Side {
        match dir {
            Dir::Read => &self.pd.read,
            Dir::Write => &self.pd.write,
        }
    }

    fn timeout(&self, dir: Dir) -> Option<Duration> {
        let t = match dir {
            Dir::Read => &self.read_timeout,
            Dir::Write => &self.write_timeout,
        };
        match t.load(Relaxed) {
            0 => None,
            n => Some(Duration::from_nanos(n)),
        }
    }

    /// std's rule: `Some(0)` is an error; `None` waits forever.
    pub(crate) fn set_timeout(&self, dir: Dir, d: Option<Duration>) -> io::Result<()> {
        let n = match d {
            Some(d) if d.is_zero() => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "cannot set a 0 duration timeout",
                ))
            }
            Some(d) => u64::try_from(d.as_nanos()).unwrap_or(u64::MAX).max(1),
            None => 0,
        };
        match dir {
            Dir::Read => self.read_timeout.store(n, Relaxed),
            Dir::Write => self.write_timeout.store(n, Relaxed),
        }
        Ok(())
    }

    pub(crate) fn get_timeout(&self, dir: Dir) -> Option<Duration> {
        self.timeout(dir)
    }

    /// Let `read_stream` skip doomed reads (a TCP stream: see the field).
    pub(crate) fn allow_short_read_skip(mut self) -> Self {
        self.short_read_skip = true;
        self
    }

    /// Take `other`'s timeouts and blocking mode (a `try_clone`: std's
    /// clones share them, being socket options of one socket).
    pub(crate) fn copy_settings_from<U: AsRawFd>(&self, other: &PollFd<U>) {
        let load = |a: &AtomicU64| a.load(Relaxed);
        self.read_timeout.store(load(&other.read_timeout), Relaxed);
        self.write_timeout
            .store(load(&other.write_timeout), Relaxed);
        self.nonblocking
            .store(other.nonblocking.load(Relaxed), Relaxed);
    }

    pub(crate) fn set_nonblocking(&self, on: bool) {
        self.nonblocking.store(on, Relaxed);
    }
}

impl<T: AsRawFd> Drop for PollFd<T> {
    fn drop(&mut self) {
        if let Some(io) = self.io.take() {
            rt().netpoll.deregister(io.as_raw_fd(), self.pd);
        }
    }
}

impl<T: AsRawFd> AsRawFd for PollFd<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.get().as_raw_fd()
    }
}

/// Block this thread until `fd` is ready for `dir` or `deadline` passes.
fn poll_fd(fd: RawFd, dir: Dir, deadline: Option<Instant>) -> io::Result<()> {
    let events = match dir {
        Dir::Read => libc::POLLIN,
        Dir::Write => libc::POLLOUT,
    };
    loop {
        let timeout_ms = match deadline {
            None => -1,
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(netpoll::timed_out());
                }
                // Round up, so a wait never ends before the deadline.
                left.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as i32
            }
        };
        let mut pfd = libc::pollfd {
            fd,
            events,
            revents: 0,
        };
        // SAFETY: `pfd` is a valid pollfd array of length 1 for the call.
        match unsafe { libc::poll(&mut pfd, 1, timeout_ms) } {
            -1 => {
                let e = io::Error::last_os_error();
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
            0 => {} // timed out: the loop reports it, or waits the rest
            _ => return Ok(()),
        }
    }
}
