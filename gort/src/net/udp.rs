//! UDP: [`UdpSocket`], std-shaped, on the netpoller.

use super::fd::{Dir, PollFd};
use super::{each_addr, resolve, SocketAddr, ToSocketAddrs};
use std::fmt;
use std::io;
use std::os::fd::AsRawFd;

/// A UDP socket (std's `UdpSocket`; Go's `net.UDPConn`). Receives park
/// only the calling goroutine.
pub struct UdpSocket {
    fd: PollFd<std::net::UdpSocket>,
}

impl UdpSocket {
    /// Bind to `addr` (the first address it resolves to that binds).
    pub fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<UdpSocket> {
        UdpSocket::from_std(each_addr(addr, |a| std::net::UdpSocket::bind(a))?)
    }

    /// Take a std socket (in any blocking mode) onto the netpoller.
    pub fn from_std(s: std::net::UdpSocket) -> io::Result<UdpSocket> {
        Ok(UdpSocket {
            fd: PollFd::new(s, |s| s.set_nonblocking(true))?,
        })
    }

    /// Give the socket back as a blocking std socket.
    pub fn into_std(self) -> io::Result<std::net::UdpSocket> {
        let s = self.fd.into_inner();
        s.set_nonblocking(false)?;
        Ok(s)
    }

    /// Set the default peer for `send` and the only one `recv` accepts.
    pub fn connect<A: ToSocketAddrs>(&self, addr: A) -> io::Result<()> {
        each_addr(addr, |a| self.fd.get().connect(a))
    }

    /// Send to the connected peer.
    #[track_caller]
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.fd.io(Dir::Write, |s| s.send(buf))
    }

    /// Receive one datagram from the connected peer.
    #[track_caller]
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.fd.io(Dir::Read, |s| s.recv(buf))
    }

    /// Receive one datagram without taking it off the queue.
    #[track_caller]
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.fd.io(Dir::Read, |s| s.peek(buf))
    }

    /// Send to `addr` (its first resolved address, as std).
    #[track_caller]
    pub fn send_to<A: ToSocketAddrs>(&self, buf: &[u8], addr: A) -> io::Result<usize> {
        let to = resolve(addr)?.into_iter().next().ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "no addresses to send data to")
        })?;
        self.fd.io(Dir::Write, |s| s.send_to(buf, to))
    }

    /// Receive one datagram and the address it came from.
    #[track_caller]
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.fd.io(Dir::Read, |s| s.recv_from(buf))
    }

    /// `recv_from` without taking the datagram off the queue.
    #[track_caller]
    pub fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.fd.io(Dir::Read, |s| s.peek_from(buf))
    }

    /// The local address this socket is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.fd.get().local_addr()
    }

    /// The address of the remote peer.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.fd.get().peer_addr()
    }

    /// Set `SO_BROADCAST`.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.fd.get().set_broadcast(on)
    }

    /// The `SO_BROADCAST` option.
    pub fn broadcast(&self) -> io::Result<bool> {
        self.fd.get().broadcast()
    }

    /// Set `IP_TTL`, the time-to-live of outgoing packets.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.fd.get().set_ttl(ttl)
    }

    /// The `IP_TTL` option.
    pub fn ttl(&self) -> io::Result<u32> {
        self.fd.get().ttl()
    }

    socket_methods!(UdpSocket);
    write_timeout_methods!();
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpSocket")
            .field("addr", &self.local_addr().ok())
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}

socket_conversions!(UdpSocket, std::net::UdpSocket);
