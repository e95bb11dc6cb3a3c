//! Networking, shaped like `std::net` (Go's `net`): TCP, UDP and Unix
//! sockets whose blocking calls park only the calling goroutine.
//!
//! Each socket is a std socket in non-blocking mode, registered with the
//! runtime's netpoller (epoll). A read that finds no data parks the
//! goroutine until the kernel reports the socket readable; its thread runs
//! other goroutines meanwhile — so a server can use one goroutine per
//! connection, as in Go. Called from a plain OS thread, every operation
//! blocks that thread, as std's would.
//!
//! Differences from std, each for a reason:
//! - A read or write that outlasts its timeout fails with
//!   [`ErrorKind::TimedOut`](std::io::ErrorKind::TimedOut) and the message
//!   "i/o timeout" (Go's), on every platform; std returns `WouldBlock` on
//!   Unix. Code written for std that matches both kinds works unchanged.
//! - Name resolution (`getaddrinfo`, which cannot be polled) runs inside
//!   [`gort::syscall`](crate::syscall): a slow lookup hands the goroutine's
//!   P to another thread instead of stalling the goroutines behind it.
//!
//! Every socket converts from its std counterpart (`From`, which panics
//! only if the netpoller cannot register it; `from_std` returns the error).
//! Running out of descriptors (`EMFILE`) is an ordinary error from
//! `accept` or `connect`, not a crash.

#[macro_use]
mod common;
mod fd;
mod tcp;
mod udp;
mod unix;

pub use tcp::{Incoming, TcpListener, TcpStream};
pub use udp::UdpSocket;
pub use unix::{UnixIncoming, UnixListener, UnixStream};

pub use std::net::{
    AddrParseError, IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, SocketAddrV4, SocketAddrV6,
    ToSocketAddrs,
};

use std::io;

/// Resolve `addr` as a blocking call (see the module docs).
fn resolve<A: ToSocketAddrs>(addr: A) -> io::Result<Vec<SocketAddr>> {
    crate::syscall(|| addr.to_socket_addrs().map(|it| it.collect()))
}

/// Try `f` on each address in turn; the first success, or the last error.
fn each_addr<A: ToSocketAddrs, T>(
    addr: A,
    mut f: impl FnMut(&SocketAddr) -> io::Result<T>,
) -> io::Result<T> {
    let mut last = None;
    for a in resolve(addr)? {
        match f(&a) {
            Ok(t) => return Ok(t),
            Err(e) => last = Some(e),
        }
    }
    Err(no_address_worked(last))
}

/// `each_addr`'s error: the last address's, or that there were none.
fn no_address_worked(last: Option<io::Error>) -> io::Error {
    last.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "could not resolve to any addresses",
        )
    })
}
