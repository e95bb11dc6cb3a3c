//! TCP: [`TcpListener`] and [`TcpStream`], std-shaped, on the netpoller.

use super::fd::{Dir, PollFd};
use super::{each_addr, Shutdown, SocketAddr, ToSocketAddrs};
use std::fmt;
use std::io::{self, IoSlice, IoSliceMut, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
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
    pub fn bind<A: ToSocketAddrs + Send>(addr: A) -> io::Result<TcpListener> {
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

    /// Take the pending `SO_ERROR`, if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.fd.get().take_error()
    }

    /// A second handle to the same socket (a `dup`), with its own
    /// registration.
    pub fn try_clone(&self) -> io::Result<TcpListener> {
        let clone = TcpListener::from_std(self.fd.get().try_clone()?)?;
        clone.fd.copy_settings_from(&self.fd);
        Ok(clone)
    }

    /// With `true`, `accept` returns `WouldBlock` instead of waiting.
    pub fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
        self.fd.set_nonblocking(nonblocking);
        Ok(())
    }
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

    fn next(&mut self) -> Option<io::Result<TcpStream>> {
        Some(self.listener.accept().map(|(s, _)| s))
    }
}

impl TcpStream {
    /// Connect to `addr`, trying each address it resolves to in turn.
    pub fn connect<A: ToSocketAddrs + Send>(addr: A) -> io::Result<TcpStream> {
        each_addr(addr, |a| connect(a, None))
    }

    /// Connect to `addr`, failing with `TimedOut` after `timeout`.
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
            fd: PollFd::new(s, |s| s.set_nonblocking(true))?,
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

    /// Take the pending `SO_ERROR`, if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.fd.get().take_error()
    }

    /// How long each read may wait (`None`: forever). Past it, the read
    /// fails with `TimedOut`. `Some(Duration::ZERO)` is an error, as in std.
    pub fn set_read_timeout(&self, d: Option<Duration>) -> io::Result<()> {
        self.fd.set_timeout(Dir::Read, d)
    }

    /// How long each write may wait (`None`: forever).
    pub fn set_write_timeout(&self, d: Option<Duration>) -> io::Result<()> {
        self.fd.set_timeout(Dir::Write, d)
    }

    /// The timeout each read may wait, if any.
    pub fn read_timeout(&self) -> io::Result<Option<Duration>> {
        Ok(self.fd.get_timeout(Dir::Read))
    }

    /// The timeout each write may wait, if any.
    pub fn write_timeout(&self) -> io::Result<Option<Duration>> {
        Ok(self.fd.get_timeout(Dir::Write))
    }

    /// Read without removing the data from the socket's queue.
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.fd.io(Dir::Read, |s| s.peek(buf))
    }

    /// A second handle to the same connection (a `dup`, with this one's
    /// timeouts), e.g. for a reader and a writer goroutine.
    pub fn try_clone(&self) -> io::Result<TcpStream> {
        let clone = TcpStream::from_std(self.fd.get().try_clone()?)?;
        clone.fd.copy_settings_from(&self.fd);
        Ok(clone)
    }

    /// With `true`, reads and writes return `WouldBlock` instead of waiting.
    pub fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
        self.fd.set_nonblocking(nonblocking);
        Ok(())
    }
}

/// Start a non-blocking connect and wait for it to complete (Go's
/// `connect` + wait-for-write + `SO_ERROR`).
fn connect(addr: &SocketAddr, deadline: Option<Instant>) -> io::Result<TcpStream> {
    let started = mio::net::TcpStream::connect(*addr)?;
    let s = TcpStream {
        fd: PollFd::new(std::net::TcpStream::from(started), |_| Ok(()))?,
    };
    loop {
        s.fd.wait(Dir::Write, deadline)?;
        if let Some(e) = s.take_error()? {
            return Err(e);
        }
        match s.peer_addr() {
            Ok(_) => return Ok(s),
            // Not connected yet: the edge was stale (a recycled PollDesc).
            Err(e) if e.kind() == io::ErrorKind::NotConnected => continue,
            Err(e) => return Err(e),
        }
    }
}

impl Read for &TcpStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let len = buf.len();
        self.fd.read_stream(len, |mut s| s.read(buf))
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        let len = bufs.iter().map(|b| b.len()).sum();
        self.fd.read_stream(len, |mut s| s.read_vectored(bufs))
    }
}

impl Write for &TcpStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.fd.io(Dir::Write, |mut s| s.write(buf))
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.fd.io(Dir::Write, |mut s| s.write_vectored(bufs))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Read for TcpStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }

    fn read_vectored(&mut self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        (&*self).read_vectored(bufs)
    }
}

impl Write for TcpStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        (&*self).write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Takes the std socket onto the netpoller.
///
/// # Panics
/// If the netpoller cannot register it (the kernel's watch limit); use
/// [`TcpStream::from_std`] to get the error instead.
impl From<std::net::TcpStream> for TcpStream {
    fn from(s: std::net::TcpStream) -> TcpStream {
        TcpStream::from_std(s).expect("gort: cannot register the socket with the netpoller")
    }
}

/// Takes the std listener onto the netpoller.
///
/// # Panics
/// If the netpoller cannot register it; use [`TcpListener::from_std`] to
/// get the error instead.
impl From<std::net::TcpListener> for TcpListener {
    fn from(l: std::net::TcpListener) -> TcpListener {
        TcpListener::from_std(l).expect("gort: cannot register the socket with the netpoller")
    }
}

impl AsRawFd for TcpStream {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl AsFd for TcpStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.get().as_fd()
    }
}

impl AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl AsFd for TcpListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.get().as_fd()
    }
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
