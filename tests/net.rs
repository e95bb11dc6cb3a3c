//! gort::net through the public API: goroutine servers and clients on the
//! netpoller, every byte checked; plain threads against goroutines; read
//! and write timeouts; UDP and Unix sockets; idle connections that must
//! not stop new ones being served. Every test runs under GOMAXPROCS 1, 2,
//! 8, 16 and 64 (see common/mod.rs).

mod common;

use gort::net::{Shutdown, TcpListener, TcpStream, UdpSocket, UnixListener, UnixStream};
use gort::sync::WaitGroup;
use std::io::{ErrorKind, Read, Write};
use std::time::{Duration, Instant};

fn main() {
    common::main(&[
        (
            "echo_server_with_300_goroutine_clients_checks_every_byte",
            echo_server_with_300_goroutine_clients_checks_every_byte,
        ),
        (
            "a_plain_thread_client_talks_to_a_goroutine_server",
            a_plain_thread_client_talks_to_a_goroutine_server,
        ),
        (
            "read_and_write_timeouts_fail_with_timed_out",
            read_and_write_timeouts_fail_with_timed_out,
        ),
        ("udp_round_trip", udp_round_trip),
        (
            "a_thousand_idle_connections_do_not_stop_new_requests",
            a_thousand_idle_connections_do_not_stop_new_requests,
        ),
        (
            "unix_streams_echo_and_pairs_talk",
            unix_streams_echo_and_pairs_talk,
        ),
        (
            "connect_errors_are_errors_not_hangs",
            connect_errors_are_errors_not_hangs,
        ),
        (
            "a_reader_and_a_writer_share_one_stream",
            a_reader_and_a_writer_share_one_stream,
        ),
        (
            "many_short_timeouts_racing_data_all_end",
            many_short_timeouts_racing_data_all_end,
        ),
        (
            "urgent_data_does_not_strand_the_bytes_behind_it",
            urgent_data_does_not_strand_the_bytes_behind_it,
        ),
    ]);
}

/// The byte at offset `i` of client `c`'s stream: every client's data is
/// distinct, so a byte delivered to the wrong connection is caught.
fn pattern(c: usize, i: usize) -> u8 {
    (c.wrapping_mul(31) ^ i.wrapping_mul(7) ^ (i >> 8)) as u8
}

/// Accept forever, echoing each connection in its own goroutine.
fn spawn_echo_server() -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    gort::go!(move || {
        for conn in listener.incoming() {
            let mut conn = conn.unwrap();
            gort::go!(move || {
                let mut buf = [0u8; 4096];
                loop {
                    match conn.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            if conn.write_all(&buf[..n]).is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    addr
}

/// 300 goroutine clients each send 64 KiB in uneven chunks to one echo
/// server while reading the echo back, and check every byte.
fn echo_server_with_300_goroutine_clients_checks_every_byte() {
    const CLIENTS: usize = 300;
    const BYTES: usize = 64 * 1024;
    gort::run(|| {
        let addr = spawn_echo_server();
        let wg = WaitGroup::new();
        for c in 0..CLIENTS {
            wg.add(1);
            let wg = wg.clone();
            gort::go!(move || {
                let conn = TcpStream::connect(addr).unwrap();
                let writer = conn.try_clone().unwrap();
                gort::go!(move || {
                    let data: Vec<u8> = (0..BYTES).map(|i| pattern(c, i)).collect();
                    let mut w = &writer;
                    for chunk in data.chunks(1000 + c % 777) {
                        w.write_all(chunk).unwrap();
                    }
                    writer.shutdown(Shutdown::Write).unwrap();
                });
                let mut got = Vec::with_capacity(BYTES);
                (&conn).read_to_end(&mut got).unwrap();
                assert_eq!(got.len(), BYTES, "client {c} got a short echo");
                for (i, &b) in got.iter().enumerate() {
                    assert_eq!(b, pattern(c, i), "client {c}: byte {i} corrupted");
                }
                wg.done();
            });
        }
        wg.wait();
    });
}

/// A std-thread client (blocking calls that block that thread) against a
/// gort server, and a gort client used from a plain thread.
fn a_plain_thread_client_talks_to_a_goroutine_server() {
    let addr = gort::run(spawn_echo_server);
    let mut std_client = std::net::TcpStream::connect(addr).unwrap();
    std_client.write_all(b"hello from std").unwrap();
    let mut buf = [0u8; 14];
    std_client.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"hello from std");

    let mut gort_client = TcpStream::connect(addr).unwrap(); // on a plain thread
    gort_client.write_all(b"hello from gort").unwrap();
    let mut buf = [0u8; 15];
    gort_client.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"hello from gort");
}

/// A read from a silent peer and a write to a peer that never reads both
/// fail with `TimedOut` after about their timeout — on a goroutine and on
/// a plain thread — and the stream still works afterwards.
fn read_and_write_timeouts_fail_with_timed_out() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let check = move || {
        let client = TcpStream::connect(addr).unwrap();
        let (server, _) = listener.accept().unwrap();
        client
            .set_read_timeout(Some(Duration::from_millis(30)))
            .unwrap();
        assert_eq!(
            client.read_timeout().unwrap(),
            Some(Duration::from_millis(30))
        );
        let start = Instant::now();
        let err = (&client).read(&mut [0u8; 8]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
        assert!(
            start.elapsed() >= Duration::from_millis(30),
            "early timeout"
        );
        // Still usable: data sent now is read.
        (&server).write_all(b"late").unwrap();
        let mut buf = [0u8; 4];
        (&client).read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"late");

        client
            .set_write_timeout(Some(Duration::from_millis(30)))
            .unwrap();
        let chunk = vec![7u8; 1 << 16];
        let err = loop {
            if let Err(e) = (&client).write(&chunk) {
                break e;
            }
        };
        assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
        assert_eq!(
            client
                .set_read_timeout(Some(Duration::ZERO))
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidInput
        );
        listener
    };
    let listener = gort::run(check);
    // The same from a plain thread (poll(2) waits, not the netpoller).
    let check_again = move || {
        let client = TcpStream::connect(addr).unwrap();
        let _server = listener.accept().unwrap();
        client
            .set_read_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        let err = (&client).read(&mut [0u8; 8]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TimedOut, "{err}");
    };
    check_again();
}

/// Datagrams both ways between two goroutine sockets, one connected.
fn udp_round_trip() {
    gort::run(|| {
        let server = UdpSocket::bind("127.0.0.1:0").unwrap();
        let server_addr = server.local_addr().unwrap();
        gort::go!(move || {
            let mut buf = [0u8; 64];
            for _ in 0..100 {
                let (n, from) = server.recv_from(&mut buf).unwrap();
                let reply: Vec<u8> = buf[..n].iter().rev().copied().collect();
                server.send_to(&reply, from).unwrap();
            }
        });
        let client = UdpSocket::bind("127.0.0.1:0").unwrap();
        client.connect(server_addr).unwrap();
        client
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        for i in 0..100u32 {
            let msg = format!("datagram {i}");
            client.send(msg.as_bytes()).unwrap();
            let mut buf = [0u8; 64];
            let n = client.recv(&mut buf).unwrap();
            let back: String = String::from_utf8(buf[..n].to_vec())
                .unwrap()
                .chars()
                .rev()
                .collect();
            assert_eq!(back, msg);
        }
    });
}

/// With a thousand connections open and silent (each parked in a read on
/// the server), new connections are still accepted and answered promptly.
fn a_thousand_idle_connections_do_not_stop_new_requests() {
    gort::run(|| {
        let addr = spawn_echo_server();
        let idle: Vec<TcpStream> = (0..1000)
            .map(|_| TcpStream::connect(addr).unwrap())
            .collect();
        for round in 0..20 {
            let mut c = TcpStream::connect(addr).unwrap();
            c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            c.write_all(format!("ping {round:02}").as_bytes()).unwrap();
            let mut buf = [0u8; 7];
            c.read_exact(&mut buf).unwrap();
            assert_eq!(buf, *format!("ping {round:02}").as_bytes());
        }
        // The idle ones still work too.
        let mut first = &idle[0];
        first.write_all(b"x").unwrap();
        let mut b = [0u8; 1];
        first.read_exact(&mut b).unwrap();
        assert_eq!(&b, b"x");
    });
}

/// A Unix-socket echo between goroutines, and a socketpair.
fn unix_streams_echo_and_pairs_talk() {
    let dir = std::env::temp_dir().join(format!(
        "gort-net-test-{}-{}",
        std::process::id(),
        gort::runtime::gomaxprocs()
    ));
    let _ = std::fs::remove_file(&dir);
    gort::run(move || {
        let listener = UnixListener::bind(&dir).unwrap();
        gort::go!(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut buf = Vec::new();
            conn.read_to_end(&mut buf).unwrap();
            conn.write_all(&buf).unwrap();
        });
        let mut c = UnixStream::connect(&dir).unwrap();
        c.write_all(b"over a unix socket").unwrap();
        c.shutdown(Shutdown::Write).unwrap();
        let mut back = String::new();
        c.read_to_string(&mut back).unwrap();
        assert_eq!(back, "over a unix socket");
        std::fs::remove_file(&dir).unwrap();

        let (a, b) = UnixStream::pair().unwrap();
        gort::go!(move || (&a).write_all(b"pair").unwrap());
        let mut buf = [0u8; 4];
        (&b).read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"pair");
    });
}

/// Connecting to a port nobody listens on fails with `ConnectionRefused`;
/// a name that cannot resolve fails with an error; a zero connect timeout
/// is `InvalidInput`, as in std.
fn connect_errors_are_errors_not_hangs() {
    gort::run(|| {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        }; // closed again: nobody listens there now
        let err = TcpStream::connect(port).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
        assert!(TcpStream::connect("no-such-host.invalid:80").is_err());
        let err = TcpStream::connect_timeout(&port, Duration::ZERO).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        let ok = TcpStream::connect_timeout(&spawn_echo_server(), Duration::from_secs(5));
        assert!(ok.is_ok(), "{ok:?}");
    });
}

/// One goroutine blocks reading a stream while another writes to it
/// through `&TcpStream`: full duplex on one socket, no deadlock.
fn a_reader_and_a_writer_share_one_stream() {
    gort::run(|| {
        let addr = spawn_echo_server();
        let conn = std::sync::Arc::new(TcpStream::connect(addr).unwrap());
        let reader = {
            let conn = conn.clone();
            gort::spawn(move || {
                let mut got = vec![0u8; 10_000];
                (&*conn).read_exact(&mut got).unwrap();
                got
            })
        };
        gort::time::sleep(Duration::from_millis(5)); // the reader parks first
        let data: Vec<u8> = (0..10_000).map(|i| pattern(1, i)).collect();
        (&*conn).write_all(&data).unwrap();
        assert_eq!(reader.join().unwrap(), data);
    });
}

/// 100 connections, each read 30 times with a 1–4 ms timeout while its
/// peer sends a byte at about the same moment: every read ends — with the
/// byte or with `TimedOut` — and no byte is lost or read twice. (Deadline
/// timers are per descriptor and re-armed lazily; a lost deadline would
/// hang here, and the watchdog would fail the test.)
fn many_short_timeouts_racing_data_all_end() {
    const CONNS: usize = 100;
    const ROUNDS: usize = 30;
    gort::run(|| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let wg = WaitGroup::new();
        for c in 0..CONNS {
            wg.add(2);
            let client = TcpStream::connect(addr).unwrap();
            let (server, _) = listener.accept().unwrap();
            let wg2 = wg.clone();
            gort::go!(move || {
                for r in 0..ROUNDS {
                    gort::time::sleep(Duration::from_micros(((c * 7 + r * 13) % 40) as u64 * 100));
                    (&server).write_all(&[r as u8]).unwrap();
                }
                wg2.done();
            });
            let wg = wg.clone();
            gort::go!(move || {
                let mut got = Vec::new();
                let mut timeouts = 0;
                while got.len() < ROUNDS {
                    let t = Duration::from_millis(1 + ((c + got.len() + timeouts) % 4) as u64);
                    client.set_read_timeout(Some(t)).unwrap();
                    let mut b = [0u8; 1];
                    match (&client).read(&mut b) {
                        Ok(1) => got.push(b[0]),
                        Ok(_) => panic!("connection {c} closed early"),
                        Err(e) if e.kind() == ErrorKind::TimedOut => timeouts += 1,
                        Err(e) => panic!("connection {c}: {e}"),
                    }
                }
                let expected: Vec<u8> = (0..ROUNDS as u8).collect();
                assert_eq!(got, expected, "connection {c} lost or repeated a byte");
                wg.done();
            });
        }
        wg.wait();
    });
}

/// A read stops short at a TCP urgent mark, with in-band bytes still
/// queued behind it and no further edge to announce them. Set up so the
/// reader meets exactly that: its last read was short (one byte it waited
/// for), then "abc", one urgent byte and "efg" arrive while it sleeps, and
/// the poller records their edge. The reader must get all six in-band
/// bytes, not wait out its 5 s timeout (it would, if reads were skipped
/// after short ones without heeding urgent data).
fn urgent_data_does_not_strand_the_bytes_behind_it() {
    use std::os::fd::AsRawFd;
    gort::run(|| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let peer = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (conn, _) = listener.accept().unwrap();
        let sender = std::thread::spawn(move || {
            let send = |bytes: &[u8], flags| {
                // SAFETY: send(2) on a socket we own, from a valid buffer.
                let n = unsafe {
                    libc::send(peer.as_raw_fd(), bytes.as_ptr().cast(), bytes.len(), flags)
                };
                assert_eq!(n, bytes.len() as isize);
            };
            std::thread::sleep(Duration::from_millis(20));
            send(b"x", 0); // the reader waits for this one
            std::thread::sleep(Duration::from_millis(20));
            send(b"abc", 0);
            send(b"d", libc::MSG_OOB);
            send(b"efg", 0);
            peer
        });
        conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut buf = [0u8; 4096];
        assert_eq!((&conn).read(&mut buf).unwrap(), 1, "the first byte");
        gort::time::sleep(Duration::from_millis(100)); // everything arrives
        let mut got = Vec::new();
        while got.len() < 6 {
            let n = (&conn)
                .read(&mut buf)
                .expect("in-band bytes stranded behind the urgent mark");
            assert!(n > 0, "closed early");
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(got, b"abcefg");
        drop(sender.join().unwrap());
    });
}
