//! Unix-domain stream sockets: [`UnixListener`] and [`UnixStream`],
//! shaped like `std::os::unix::net`, on the netpoller.

use super::fd::{Dir, PollFd};
use super::Shutdown;
use std::fmt;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::net::SocketAddr;
use std::path::Path;

/// A Unix-domain socket server (std's `UnixListener`).
pub struct UnixListener {
    fd: PollFd<std::os::unix::net::UnixListener>,
}

/// A Unix-domain stream connection (std's `UnixStream`).
pub struct UnixStream {
    fd: PollFd<std::os::unix::net::UnixStream>,
}

/// The iterator [`UnixListener::incoming`] returns: `accept` forever.
pub struct UnixIncoming<'a> {
    listener: &'a UnixListener,
}

impl UnixListener {
    /// Listen at `path` (which must not exist yet).
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixListener> {
        UnixListener::from_std(std::os::unix::net::UnixListener::bind(path)?)
    }

    /// Take a std listener (in any blocking mode) onto the netpoller.
    pub fn from_std(l: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        Ok(UnixListener {
            fd: PollFd::new(l, |l| l.set_nonblocking(true))?,
        })
    }

    /// Wait for a connection.
    #[track_caller]
    pub fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (s, addr) = self.fd.io(Dir::Read, |l| l.accept())?;
        Ok((UnixStream::from_std(s)?, addr))
    }

    /// An endless iterator of `accept` results.
    pub fn incoming(&self) -> UnixIncoming<'_> {
        UnixIncoming { listener: self }
    }

    /// The local address this socket is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.fd.get().local_addr()
    }

    socket_methods!(UnixListener);
}

impl Iterator for UnixIncoming<'_> {
    type Item = io::Result<UnixStream>;

    #[track_caller]
    fn next(&mut self) -> Option<io::Result<UnixStream>> {
        Some(self.listener.accept().map(|(s, _)| s))
    }
}

impl UnixStream {
    /// Connect to the socket at `path`. If the listener's backlog is full,
    /// this fails at once with `WouldBlock` ("resource temporarily
    /// unavailable"), as Go's `net.Dial("unix", …)` does, where std's
    /// blocking connect would wait.
    #[track_caller]
    pub fn connect<P: AsRef<Path>>(path: P) -> io::Result<UnixStream> {
        let started = mio::net::UnixStream::connect(path)?;
        let s = UnixStream {
            fd: PollFd::new(std::os::unix::net::UnixStream::from(started), |_| Ok(()))?,
        };
        s.fd.finish_connect(None, |s| s.take_error(), |s| s.peer_addr())?;
        Ok(s)
    }

    /// Two connected sockets (`socketpair`).
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = std::os::unix::net::UnixStream::pair()?;
        Ok((UnixStream::from_std(a)?, UnixStream::from_std(b)?))
    }

    /// Take a std stream (in any blocking mode) onto the netpoller.
    pub fn from_std(s: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        Ok(UnixStream {
            fd: PollFd::new(s, |s| s.set_nonblocking(true))?,
        })
    }

    /// The address of the remote peer.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.fd.get().peer_addr()
    }

    /// The local address this socket is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.fd.get().local_addr()
    }

    /// Shut down the read, write or both halves.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.fd.get().shutdown(how)
    }

    socket_methods!(UnixStream);
    write_timeout_methods!();
}

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixStream")
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixListener")
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}

socket_conversions!(UnixListener, std::os::unix::net::UnixListener);

socket_conversions!(UnixStream, std::os::unix::net::UnixStream);
stream_read_write!(UnixStream);
