//! The server examples (examples/{http_server,echo_server,chat_server}.rs),
//! run as real processes and driven over real sockets: routes and
//! keep-alive, and each fault a server on the Internet meets — a malformed
//! request (400 and close), an oversized header (431), a client trickling
//! its header (cut off by the header timeout), an idle keep-alive
//! connection (closed after the idle timeout), a peer that resets
//! mid-request (only its goroutine ends), running out of file descriptors
//! (accept backs off and the server recovers), and SIGTERM (requests in
//! flight finish, then the process exits 0).
//!
//! This binary is its own child: run with GORT_TEST_EXAMPLE=<name>, it
//! becomes that example (each is compiled in below as a module), so the
//! tests need no path to the example binaries.

use libtest_mimic::{Arguments, Failed, Trial};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod http_server {
    include!("../examples/http_server.rs");
    pub fn run() {
        main()
    }
}

mod echo_server {
    include!("../examples/echo_server.rs");
    pub fn run() {
        let _ = main();
    }
}

mod chat_server {
    include!("../examples/chat_server.rs");
    pub fn run() {
        let _ = main();
    }
}

fn main() {
    if let Ok(which) = std::env::var("GORT_TEST_EXAMPLE") {
        match which.as_str() {
            "http_server" => http_server::run(),
            "echo_server" => echo_server::run(),
            "chat_server" => chat_server::run(),
            other => panic!("no example {other}"),
        }
        return;
    }
    let tests: &[(&str, Check)] = &[
        ("http_routes_and_keep_alive", http_routes_and_keep_alive),
        (
            "http_sleep_parks_only_its_goroutine",
            http_sleep_parks_only_its_goroutine,
        ),
        (
            "http_malformed_request_gets_400_and_close",
            http_malformed_request_gets_400_and_close,
        ),
        (
            "http_oversized_header_gets_431",
            http_oversized_header_gets_431,
        ),
        (
            "http_slowloris_is_cut_off_by_the_header_timeout",
            http_slowloris_is_cut_off_by_the_header_timeout,
        ),
        (
            "http_idle_keep_alive_connection_times_out",
            http_idle_keep_alive_connection_times_out,
        ),
        (
            "http_reset_mid_request_ends_only_its_goroutine",
            http_reset_mid_request_ends_only_its_goroutine,
        ),
        (
            "http_accept_emfile_backs_off_and_recovers",
            http_accept_emfile_backs_off_and_recovers,
        ),
        (
            "http_sigterm_drains_requests_in_flight",
            http_sigterm_drains_requests_in_flight,
        ),
        (
            "echo_server_echoes_every_byte",
            echo_server_echoes_every_byte,
        ),
        (
            "chat_server_broadcasts_to_the_others",
            chat_server_broadcasts_to_the_others,
        ),
    ];
    let trials = tests
        .iter()
        .map(|&(name, f)| Trial::test(name, f))
        .collect();
    libtest_mimic::run(&Arguments::from_args(), trials).exit()
}

/// A test: `Err` says what went wrong.
type Check = fn() -> Result<(), Failed>;

/// A running example process; killed when dropped.
struct Server {
    child: std::process::Child,
    addr: SocketAddr,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    /// Start example `name` on a free port with `env` set (and `nofile`
    /// as its descriptor limit, if given); wait until it listens.
    fn start(name: &str, env: &[(&str, &str)], nofile: Option<u32>) -> Server {
        let exe = std::env::current_exe().unwrap();
        let mut cmd = match nofile {
            Some(n) => {
                let mut c = Command::new("sh");
                c.arg("-c")
                    .arg(format!("ulimit -n {n} && exec \"$0\" \"$@\""))
                    .arg(exe);
                c
            }
            None => Command::new(exe),
        };
        cmd.arg("127.0.0.1:0")
            .env("GORT_TEST_EXAMPLE", name)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("the test binary runs as a child");
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("{name} printed {line:?}"))
            .parse()
            .unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err = child.stderr.take().unwrap();
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 1024];
            while let Ok(n @ 1..) = err.read(&mut buf) {
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Server {
            child,
            addr,
            stderr,
        }
    }

    fn connect(&self) -> TcpStream {
        let c = TcpStream::connect(self.addr).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        c
    }

    /// One request on a fresh connection (closed after): status and body.
    fn get(&self, path: &str) -> (u16, String) {
        let mut c = self.connect();
        write!(
            c,
            "GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut resp = String::new();
        c.read_to_string(&mut resp).unwrap();
        parse_response(&resp)
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Status and body of one complete response.
fn parse_response(resp: &str) -> (u16, String) {
    let status = resp
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {resp:?}"));
    let body = resp.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, body.to_string())
}

/// Read one response with a Content-Length from a kept-alive connection.
fn read_one_response(c: &mut TcpStream) -> (u16, String, String) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(
            c.read(&mut byte).unwrap(),
            1,
            "connection closed mid-response"
        );
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let mut body = vec![0u8; len];
    c.read_exact(&mut body).unwrap();
    let status = head[9..12].parse().unwrap();
    (status, head, String::from_utf8(body).unwrap())
}

/// Whether the server closed `c`: a read returns end of file (or a reset)
/// within `limit`.
fn closed_within(c: &mut TcpStream, limit: Duration) -> bool {
    c.set_read_timeout(Some(limit)).unwrap();
    let mut rest = Vec::new();
    match c.read_to_end(&mut rest) {
        Ok(_) => true,
        Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
    }
}

fn check(cond: bool, what: impl Into<String>) -> Result<(), Failed> {
    if cond {
        Ok(())
    } else {
        Err(what.into().into())
    }
}

/// Every route answers; two requests share one HTTP/1.1 connection, two
/// pipelined requests get two responses, and HTTP/1.0 keep-alive (ab's
/// dialect) keeps the connection.
fn http_routes_and_keep_alive() -> Result<(), Failed> {
    let s = Server::start("http_server", &[], None);
    check(
        s.get("/") == (200, "Hello, World!\n".into()),
        "/ says hello",
    )?;
    check(
        s.get("/sleep?ms=20") == (200, "slept 20 ms\n".into()),
        "/sleep",
    )?;
    let (status, body) = s.get("/work?ms=2");
    check(
        status == 200 && body.starts_with("work "),
        format!("/work: {body}"),
    )?;
    let (status, body) = s.get("/stats");
    check(
        status == 200 && body.starts_with("goroutines: "),
        format!("/stats: {body}"),
    )?;
    check(s.get("/nope").0 == 404, "unknown path is 404")?;

    let mut c = s.connect();
    c.write_all(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
    let (st, _, body) = read_one_response(&mut c);
    check(
        st == 200 && body == "Hello, World!\n",
        "first keep-alive request",
    )?;
    c.write_all(b"GET /stats HTTP/1.1\r\nHost: t\r\n\r\nGET / HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    let (st, _, body) = read_one_response(&mut c);
    check(
        st == 200 && body.starts_with("goroutines"),
        "pipelined request 1",
    )?;
    let (st, _, body) = read_one_response(&mut c);
    check(
        st == 200 && body == "Hello, World!\n",
        "pipelined request 2",
    )?;

    let mut c = s.connect();
    for _ in 0..2 {
        c.write_all(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            .unwrap();
        let (st, head, _) = read_one_response(&mut c);
        check(
            st == 200 && head.contains("Connection: keep-alive"),
            "HTTP/1.0 keep-alive",
        )?;
    }
    Ok(())
}

/// With GOMAXPROCS=1, a request sleeping 2 s does not delay another.
fn http_sleep_parks_only_its_goroutine() -> Result<(), Failed> {
    let s = Server::start("http_server", &[("GOMAXPROCS", "1")], None);
    let mut slow = s.connect();
    write!(slow, "GET /sleep?ms=2000 HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
    std::thread::sleep(Duration::from_millis(50));
    let start = Instant::now();
    check(s.get("/").0 == 200, "hello while another sleeps")?;
    check(
        start.elapsed() < Duration::from_millis(1500),
        format!("hello took {:?} behind a sleeping request", start.elapsed()),
    )?;
    let (st, _, body) = read_one_response(&mut slow);
    check(
        st == 200 && body == "slept 2000 ms\n",
        "the sleeper answers too",
    )
}

fn http_malformed_request_gets_400_and_close() -> Result<(), Failed> {
    let s = Server::start("http_server", &[], None);
    let mut c = s.connect();
    c.write_all(b"GARBAGE\r\n\r\n").unwrap();
    let mut resp = String::new();
    c.read_to_string(&mut resp).unwrap(); // returns: the server closed
    check(resp.starts_with("HTTP/1.1 400 "), format!("got {resp:?}"))?;
    check(s.get("/").0 == 200, "the server still serves")
}

fn http_oversized_header_gets_431() -> Result<(), Failed> {
    let s = Server::start("http_server", &[], None);
    let mut c = s.connect();
    let big = "x".repeat(20 * 1024);
    // The server may close before taking it all: ignore write errors.
    let _ = write!(c, "GET / HTTP/1.1\r\nHost: t\r\nX-Big: {big}\r\n\r\n");
    let mut resp = Vec::new();
    let _ = c.read_to_end(&mut resp);
    let resp = String::from_utf8_lossy(&resp);
    check(resp.starts_with("HTTP/1.1 431 "), format!("got {resp:?}"))
}

/// A client sending its header a byte every 100 ms is cut off once the
/// 400 ms header timeout passes, while others are served meanwhile.
fn http_slowloris_is_cut_off_by_the_header_timeout() -> Result<(), Failed> {
    let s = Server::start("http_server", &[("HEADER_TIMEOUT_MS", "400")], None);
    let mut c = s.connect();
    let start = Instant::now();
    let mut cut_off = None;
    for b in b"GET / HTTP/1.1\r\nHost: slowly-slowly-slowly\r\n"
        .iter()
        .cycle()
        .take(40)
    {
        if c.write_all(&[*b]).is_err() {
            cut_off = Some(start.elapsed());
            break;
        }
        check(s.get("/").0 == 200, "others are served meanwhile")?;
        std::thread::sleep(Duration::from_millis(100));
    }
    let cut_off = match cut_off {
        Some(t) => t,
        None => {
            check(closed_within(&mut c, Duration::from_secs(2)), "not cut off")?;
            start.elapsed()
        }
    };
    check(
        cut_off >= Duration::from_millis(400) && cut_off < Duration::from_secs(3),
        format!("cut off after {cut_off:?}"),
    )
}

/// A keep-alive connection idle for the 300 ms idle timeout is closed.
fn http_idle_keep_alive_connection_times_out() -> Result<(), Failed> {
    let s = Server::start("http_server", &[("IDLE_TIMEOUT_MS", "300")], None);
    let mut c = s.connect();
    c.write_all(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
    read_one_response(&mut c);
    let start = Instant::now();
    check(
        closed_within(&mut c, Duration::from_secs(3)),
        "idle connection not closed",
    )?;
    let after = start.elapsed();
    check(
        after >= Duration::from_millis(250),
        format!("closed after only {after:?}"),
    )
}

/// A client that resets its connection mid-request (SO_LINGER 0, then
/// close) ends only that connection's goroutine: the goroutine count comes
/// back down and the server keeps serving.
fn http_reset_mid_request_ends_only_its_goroutine() -> Result<(), Failed> {
    let s = Server::start("http_server", &[], None);
    let goroutines = || s.get("/stats").1;
    let before = goroutines();
    for _ in 0..20 {
        let c = s.connect();
        (&c).write_all(b"GET /sleep?ms=1 HTTP/1.1\r\nHost: t\r\nX-Part")
            .unwrap();
        let linger = libc::linger {
            l_onoff: 1,
            l_linger: 0,
        };
        use std::os::fd::AsRawFd;
        // SAFETY: setsockopt on a socket we own, with a valid linger struct.
        let rc = unsafe {
            libc::setsockopt(
                c.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_LINGER,
                &linger as *const libc::linger as *const libc::c_void,
                std::mem::size_of::<libc::linger>() as libc::socklen_t,
            )
        };
        assert_eq!(rc, 0);
        drop(c); // sends RST
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while goroutines() != before && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    check(
        goroutines() == before,
        format!("goroutines {} != {before}", goroutines()),
    )?;
    check(s.get("/").0 == 200, "the server still serves")
}

/// With a 40-descriptor limit and 60 idle connections, `accept` fails with
/// EMFILE; the server says so, backs off, and once the idle connections
/// close, serves again.
fn http_accept_emfile_backs_off_and_recovers() -> Result<(), Failed> {
    let s = Server::start("http_server", &[], Some(40));
    let idle: Vec<TcpStream> = (0..60).map(|_| s.connect()).collect();
    let saw_emfile = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(20));
        s.stderr().contains("Too many open files")
    });
    check(
        saw_emfile,
        format!("no EMFILE reported; stderr: {}", s.stderr()),
    )?;
    drop(idle);
    // The server closes its ends as it sees EOF; the backlog drains.
    let mut served = false;
    for _ in 0..50 {
        let mut c = s.connect();
        c.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let _ = c.write_all(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        let mut resp = String::new();
        if c.read_to_string(&mut resp).is_ok() && resp.starts_with("HTTP/1.1 200") {
            served = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    check(
        served,
        format!(
            "not serving after descriptors freed; stderr: {}",
            s.stderr()
        ),
    )?;
    check(s.child.id() > 0, "still running")
}

/// SIGTERM while a 500 ms request is in flight: it completes with 200,
/// then the process exits with status 0.
fn http_sigterm_drains_requests_in_flight() -> Result<(), Failed> {
    let mut s = Server::start("http_server", &[], None);
    let mut c = s.connect();
    c.write_all(b"GET /sleep?ms=500 HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let killed = Command::new("kill")
        .args(["-TERM", &s.child.id().to_string()])
        .status()
        .unwrap();
    check(killed.success(), "kill -TERM")?;
    let (st, head, body) = read_one_response(&mut c);
    check(
        st == 200 && body == "slept 500 ms\n",
        format!("in-flight request: {st} {body}"),
    )?;
    check(
        head.contains("Connection: close"),
        "a draining server closes",
    )?;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(status) = s.child.try_wait().unwrap() {
            return check(
                status.success(),
                format!("exit status {status}; {}", s.stderr()),
            );
        }
        check(Instant::now() < deadline, "did not exit after draining")?;
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Fifty clients at once; each sends 100 KB and gets the same back.
fn echo_server_echoes_every_byte() -> Result<(), Failed> {
    let s = Server::start("echo_server", &[], None);
    let clients: Vec<_> = (0..50u8)
        .map(|i| {
            let mut c = s.connect();
            std::thread::spawn(move || {
                let data: Vec<u8> = (0..100_000u32).map(|j| (j as u8) ^ i).collect();
                let mut w = c.try_clone().unwrap();
                let sent = data.clone();
                let writer = std::thread::spawn(move || {
                    w.write_all(&sent).unwrap();
                    w.shutdown(std::net::Shutdown::Write).unwrap();
                });
                let mut back = Vec::new();
                c.read_to_end(&mut back).unwrap();
                writer.join().unwrap();
                back == data
            })
        })
        .collect();
    let ok = clients.into_iter().all(|c| c.join().unwrap());
    check(ok, "an echo differed")
}

/// Three clients join; what one says reaches the two others, prefixed with
/// its name.
fn chat_server_broadcasts_to_the_others() -> Result<(), Failed> {
    let s = Server::start("chat_server", &[], None);
    let mut clients: Vec<BufReader<TcpStream>> = Vec::new();
    for name in ["ann", "bob", "cy"] {
        let mut c = s.connect();
        let mut r = BufReader::new(c.try_clone().unwrap());
        let mut prompt = String::new();
        r.read_line(&mut prompt).unwrap();
        check(prompt == "your name?\n", format!("prompt {prompt:?}"))?;
        writeln!(c, "{name}").unwrap();
        // Everyone already in the room hears of the newcomer.
        for other in clients.iter_mut() {
            let mut line = String::new();
            other.read_line(&mut line).unwrap();
            check(
                line == format!("* {name} joined\n"),
                format!("join line {line:?}"),
            )?;
        }
        clients.push(r);
    }
    writeln!(clients[0].get_mut(), "hello, room").unwrap();
    for other in &mut clients[1..] {
        let mut line = String::new();
        other.read_line(&mut line).unwrap();
        check(line == "ann: hello, room\n", format!("got {line:?}"))?;
    }
    Ok(())
}
