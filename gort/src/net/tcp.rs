//! TCP: [`TcpListener`] and [`TcpStream`], std-shaped, on the netpoller.

use super::fd::{Dir, PollFd};
use super::{each_addr, no_address_worked, resolve, Shutdown, SocketAddr, ToSocketAddrs};
use std::fmt;
use std::io;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

/// A TCP socket server, listening for connections (std's `TcpListener`;
/// Go's `net.Listen("tcp", …)`). `accept` parks only the calling goroutine.
pub struct TcpListener {
    fd: PollFd<std::net::TcpListener>,
}

/// A TCP connection (std's `TcpStream`; Go's `net.Conn`). Reads and writes
/// park only the calling goroutine; `&TcpStream` reads and writes too, so
/// one goroutine can read while another writes.
pub struct TcpStream {
    fd: PollFd<std::net::TcpStream>,
}

/// The iterator [`TcpListener::incoming`] returns: `accept` forever.
pub struct Incoming<'a> {
    listener: &'a TcpListener,
}

impl TcpListener {
    /// Listen on `addr` (the first address it resolves to that binds), as
    /// std's `bind`. The backlog is the system's maximum
    /// (`net.core.somaxconn`), as Go's, not std's 128: a burst of
    /// connections is queued rather than dropped.
    pub fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<TcpListener> {
        let l = each_addr(addr, |a| std::net::TcpListener::bind(a))?;
        // SAFETY: listen(2) on a descriptor we own; calling it again on a
        // listening socket only changes the backlog.
        if unsafe { libc::listen(l.as_raw_fd(), max_backlog()) } == -1 {
            return Err(io::Error::last_os_error());
        }
        TcpListener::from_std(l)
    }

    /// Take a std listener (in any blocking mode) onto the netpoller.
    pub fn from_std(l: std::net::TcpListener) -> io::Result<TcpListener> {
        Ok(TcpListener {
            fd: PollFd::new(l, |l| l.set_nonblocking(true))?,
        })
    }

    /// Give the socket back as a blocking std listener.
    pub fn into_std(self) -> io::Result<std::net::TcpListener> {
        let l = self.fd.into_inner();
        l.set_nonblocking(false)?;
        Ok(l)
    }

    /// Wait for a connection. Running out of descriptors is an error
    /// (`EMFILE`, "Too many open files"), as in std and Go; a server should
    /// back off and retry, as Go's `http.Server` does.
    #[track_caller]
    pub fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (s, addr) = self.fd.io(Dir::Read, |l| l.accept())?;
        Ok((TcpStream::from_std(s)?, addr))
    }

    /// An endless iterator of `accept` results.
    pub fn incoming(&self) -> Incoming<'_> {
        Incoming { listener: self }
    }

    /// The local address this socket is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.fd.get().local_addr()
    }

    /// Set `IP_TTL`, the time-to-live of outgoing packets.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.fd.get().set_ttl(ttl)
    }

    /// The `IP_TTL` option.
    pub fn ttl(&self) -> io::Result<u32> {
        self.fd.get().ttl()
    }

    socket_methods!(TcpListener);
}

/// Go's listen backlog: the kernel's limit, read once.
fn max_backlog() -> i32 {
    static BACKLOG: std::sync::OnceLock<i32> = std::sync::OnceLock::new();
    *BACKLOG.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/net/core/somaxconn")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(libc::SOMAXCONN)
    })
}

impl Iterator for Incoming<'_> {
    type Item = io::Result<TcpStream>;

    #[track_caller]
    fn next(&mut self) -> Option<io::Result<TcpStream>> {
        Some(self.listener.accept().map(|(s, _)| s))
    }
}

impl TcpStream {
    /// Connect to `addr`, trying each address it resolves to in turn.
    /// (`each_addr`'s loop, written out: a closure would hide the
    /// caller's location from goroutine dumps.)
    #[track_caller]
    pub fn connect<A: ToSocketAddrs>(addr: A) -> io::Result<TcpStream> {
        let mut last = None;
        for a in resolve(addr)? {
            match connect(&a, None) {
                Ok(s) => return Ok(s),
                Err(e) => last = Some(e),
            }
        }
        Err(no_address_worked(last))
    }

    /// Connect to `addr`, failing with `TimedOut` after `timeout`.
    #[track_caller]
    pub fn connect_timeout(addr: &SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
        if timeout.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "cannot set a 0 duration timeout",
            ));
        }
        connect(addr, Some(Instant::now() + timeout))
    }

    /// Take a std stream (in any blocking mode) onto the netpoller.
    pub fn from_std(s: std::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            fd: PollFd::new(s, |s| s.set_nonblocking(true))?.allow_short_read_skip(),
        })
    }

    /// Give the socket back as a blocking std stream.
    pub fn into_std(self) -> io::Result<std::net::TcpStream> {
        let s = self.fd.into_inner();
        s.set_nonblocking(false)?;
        Ok(s)
    }

    /// The address of the remote peer.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.fd.get().peer_addr()
    }

    /// The local address this socket is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.fd.get().local_addr()
    }

    /// Shut down the read, write or both halves (Go's `CloseRead`/`CloseWrite`).
    /// A goroutine blocked reading this socket then sees end of file.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.fd.get().shutdown(how)
    }

    /// Set `TCP_NODELAY` (disable Nagle's algorithm).
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.fd.get().set_nodelay(nodelay)
    }

    /// The `TCP_NODELAY` option.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.fd.get().nodelay()
    }

    /// Set `IP_TTL`, the time-to-live of outgoing packets.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.fd.get().set_ttl(ttl)
    }

    /// The `IP_TTL` option.
    pub fn ttl(&self) -> io::Result<u32> {
        self.fd.get().ttl()
    }

    /// Read without removing the data from the socket's queue.
    #[track_caller]
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.fd.io(Dir::Read, |s| s.peek(buf))
    }

    socket_methods!(TcpStream);
    write_timeout_methods!();
}

/// Start a non-blocking connect and wait for it to complete (Go's
/// `connect` + wait-for-write + `SO_ERROR`).
#[track_caller]
fn connect(addr: &SocketAddr, deadline: Option<Instant>) -> io::Result<TcpStream> {
    let started = mio::net::TcpStream::connect(*addr)?;
    let s = TcpStream {
        fd: PollFd::new(std::net::TcpStream::from(started), |_| Ok(()))?.allow_short_read_skip(),
    };
    s.fd.finish_connect(deadline, |s| s.take_error(), |s| s.peer_addr())?;
    Ok(s)
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("addr", &self.local_addr().ok())
            .field("peer", &self.peer_addr().ok())
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("addr", &self.local_addr().ok())
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}

socket_conversions!(TcpListener, std::net::TcpListener);

socket_conversions!(TcpStream, std::net::TcpStream);
stream_read_write!(TcpStream);
