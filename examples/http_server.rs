// An HTTP/1.1 server in the Go style: one goroutine per connection,
// blocking reads and writes, keep-alive, and the limits a server facing
// the Internet needs.
//
//     cargo run --release --example http_server [ADDR]     (default 127.0.0.1:8080)
//
// Routes:
//   /             "Hello, World!"
//   /sleep?ms=N   waits N ms — parks this goroutine only
//   /work?ms=N    N ms of computation
//   /stats        how many goroutines exist
//
// Protection: a malformed request gets 400 and the connection is closed;
// a header block over 16 KiB gets 431; a client must finish its headers
// within HEADER_TIMEOUT_MS (default 10 000) of starting them — a client
// trickling a byte a second (slowloris) is cut off; a keep-alive
// connection idle for IDLE_TIMEOUT_MS (default 60 000) is closed. When
// `accept` fails (out of file descriptors), the accept loop backs off and
// retries, as Go's http.Server does. On SIGINT or SIGTERM the server stops
// taking requests, finishes the ones in flight, and exits.

use gort::net::{TcpListener, TcpStream};
use gort::signal::{self, Signal};
use std::io::{ErrorKind, Read, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The largest request head (request line and headers) accepted.
const MAX_HEAD: usize = 16 * 1024;
/// The largest request body accepted.
const MAX_BODY: usize = 1024 * 1024;

/// What every connection's goroutine shares.
struct Server {
    header_timeout: Duration,
    idle_timeout: Duration,
    /// Requests being handled now; shutdown waits for this to reach 0.
    in_flight: AtomicUsize,
    /// Set on SIGINT/SIGTERM: finish what is in flight, start nothing new.
    draining: AtomicBool,
}

// ANCHOR: main
#[gort::main]
fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let listener = match TcpListener::bind(addr.as_str()) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("http_server: cannot listen on {addr}: {e}");
            std::process::exit(1);
        }
    };
    println!("listening on {}", listener.local_addr().unwrap());
    let server = Arc::new(Server {
        header_timeout: env_ms("HEADER_TIMEOUT_MS", 10_000),
        idle_timeout: env_ms("IDLE_TIMEOUT_MS", 60_000),
        in_flight: AtomicUsize::new(0),
        draining: AtomicBool::new(false),
    });
    let stop = signal::notify(&[Signal::INTERRUPT, Signal::TERMINATE]);
    let accepting = server.clone();
    gort::go!(accept_loop(listener, accepting));

    let sig = stop.recv().unwrap();
    eprintln!("http_server: {sig}: draining requests in flight");
    server.draining.store(true, SeqCst);
    while server.in_flight.load(SeqCst) > 0 {
        gort::time::sleep(Duration::from_millis(5));
    }
    eprintln!("http_server: done");
}

/// Accept connections forever, each served by its own goroutine. Accept
/// errors (EMFILE: too many open files) are not fatal: wait 5 ms, doubling
/// up to 1 s, and try again — connections closing meanwhile free
/// descriptors (Go's http.Server does the same).
fn accept_loop(listener: TcpListener, server: Arc<Server>) {
    let mut backoff = Duration::ZERO;
    loop {
        match listener.accept() {
            Ok((conn, _)) => {
                backoff = Duration::ZERO;
                let server = server.clone();
                gort::go!(serve(conn, server));
            }
            Err(e) => {
                backoff = (backoff * 2).clamp(Duration::from_millis(5), Duration::from_secs(1));
                eprintln!("http_server: accept: {e}; retrying in {backoff:?}");
                gort::time::sleep(backoff);
            }
        }
    }
}

// ANCHOR_END: main

/// One parsed request: what routing needs.
struct Request {
    path: String,
    keep_alive: bool,
}

/// Why a connection stops reading requests.
enum Stop {
    /// The peer closed, reset, or went quiet too long: just close.
    Close,
    /// The request was bad: answer with this status, then close.
    Reject(u16),
}

// ANCHOR: serve
/// Serve requests on `conn` until the peer closes it, it times out or a
/// request is bad.
fn serve(conn: TcpStream, server: Arc<Server>) {
    let _ = conn.set_nodelay(true);
    let mut buf = Vec::with_capacity(4096);
    let mut first = true;
    loop {
        let req = match read_request(&conn, &mut buf, &server, first) {
            Ok(req) => req,
            Err(Stop::Close) => return,
            Err(Stop::Reject(status)) => {
                let _ = respond(&conn, status, "", false);
                return;
            }
        };
        first = false;
        // Count the request in flight before looking at `draining` (the
        // shutdown side sets `draining`, then watches the count): either
        // we see the flag and close after this response, or shutdown sees
        // us and waits for it.
        server.in_flight.fetch_add(1, SeqCst);
        let (status, body) = route(&req.path);
        let keep_alive = req.keep_alive && !server.draining.load(SeqCst);
        let written = respond(&conn, status, &body, keep_alive);
        server.in_flight.fetch_sub(1, SeqCst);
        if written.is_err() || !keep_alive {
            return;
        }
    }
}

// ANCHOR_END: serve

/// Read and parse one request head (and skip its body) from `conn`.
/// `buf` carries bytes already read past the previous request (a client
/// may pipeline). Waiting for a new request's first byte may take the idle
/// timeout; once it has started, the whole head must arrive within the
/// header timeout (a fresh connection gets the header timeout from the start).
fn read_request(
    conn: &TcpStream,
    buf: &mut Vec<u8>,
    server: &Server,
    first: bool,
) -> Result<Request, Stop> {
    let mut deadline = match (first, buf.is_empty()) {
        (false, true) => None, // keep-alive and idle: the idle timeout applies
        _ => Some(Instant::now() + server.header_timeout),
    };
    loop {
        if !buf.is_empty() {
            deadline.get_or_insert_with(|| Instant::now() + server.header_timeout);
            if let Some((req, head_len, body_len)) = parse(buf)? {
                let total = head_len + body_len;
                fill(conn, buf, total, deadline)?;
                buf.drain(..total);
                return Ok(req);
            }
            if buf.len() >= MAX_HEAD {
                return Err(Stop::Reject(431));
            }
        }
        let wait = match deadline {
            Some(d) => d.saturating_duration_since(Instant::now()),
            None => server.idle_timeout,
        };
        read_more(conn, buf, wait)?;
    }
}

/// Parse the head in `buf`: `None` if incomplete, else the request, the
/// head's length and the body's.
fn parse(buf: &[u8]) -> Result<Option<(Request, usize, usize)>, Stop> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut req = httparse::Request::new(&mut headers);
    let head_len = match req.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => return Err(Stop::Reject(431)),
        Err(_) => return Err(Stop::Reject(400)),
    };
    let mut body_len = 0;
    let mut connection = None;
    for h in req.headers.iter() {
        if h.name.eq_ignore_ascii_case("content-length") {
            body_len = std::str::from_utf8(h.value)
                .ok()
                .and_then(|v| v.trim().parse::<usize>().ok())
                .ok_or(Stop::Reject(400))?;
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            return Err(Stop::Reject(501)); // chunked request bodies: not supported
        } else if h.name.eq_ignore_ascii_case("connection") {
            connection = Some(h.value.to_ascii_lowercase());
        }
    }
    if body_len > MAX_BODY {
        return Err(Stop::Reject(413));
    }
    // HTTP/1.1 keeps the connection unless told to close; HTTP/1.0 closes
    // it unless asked to keep it (as `ab -k` does).
    let keep_alive = match req.version {
        Some(1) => connection.as_deref() != Some(b"close"),
        _ => connection.as_deref() == Some(b"keep-alive"),
    };
    let path = req.path.ok_or(Stop::Reject(400))?.to_string();
    Ok(Some((Request { path, keep_alive }, head_len, body_len)))
}

/// Read until `buf` holds `len` bytes (a request's body), by `deadline`.
fn fill(
    conn: &TcpStream,
    buf: &mut Vec<u8>,
    len: usize,
    deadline: Option<Instant>,
) -> Result<(), Stop> {
    while buf.len() < len {
        let wait = deadline.map_or(Duration::from_secs(60), |d| {
            d.saturating_duration_since(Instant::now())
        });
        read_more(conn, buf, wait)?;
    }
    Ok(())
}

/// One read into `buf`'s spare room, waiting at most `wait`.
fn read_more(mut conn: &TcpStream, buf: &mut Vec<u8>, wait: Duration) -> Result<(), Stop> {
    if wait.is_zero() || conn.set_read_timeout(Some(wait)).is_err() {
        return Err(Stop::Close);
    }
    let start = buf.len();
    buf.resize(start + 4096, 0);
    let n = conn.read(&mut buf[start..]);
    buf.truncate(start + *n.as_ref().unwrap_or(&0));
    match n {
        Ok(0) => Err(Stop::Close), // the peer closed
        Ok(_) => Ok(()),
        Err(e) if e.kind() == ErrorKind::TimedOut => Err(Stop::Close),
        Err(_) => Err(Stop::Close), // reset by the peer, …
    }
}

/// The status and body for `path`.
fn route(path: &str) -> (u16, String) {
    let (route, query) = path.split_once('?').unwrap_or((path, ""));
    let ms = || {
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix("ms="))
            .and_then(|v| v.parse::<u64>().ok())
    };
    match route {
        "/" => (200, "Hello, World!\n".into()),
        "/sleep" => match ms() {
            Some(ms) => {
                gort::time::sleep(Duration::from_millis(ms));
                (200, format!("slept {ms} ms\n"))
            }
            None => (400, "usage: /sleep?ms=N\n".into()),
        },
        "/work" => match ms() {
            Some(ms) => (
                200,
                format!("work {:016x}\n", work(Duration::from_millis(ms))),
            ),
            None => (400, "usage: /work?ms=N\n".into()),
        },
        "/stats" => (
            200,
            format!("goroutines: {}\n", gort::runtime::num_goroutine()),
        ),
        _ => (404, "not found\n".into()),
    }
}

/// `d` of computation (the benchmark's definition: xorshift steps, the
/// clock checked every 1000). The checkpoint lets other goroutines on this
/// thread run if the work outlasts its time slice.
fn work(d: Duration) -> u64 {
    let start = Instant::now();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    loop {
        for _ in 0..1000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
        }
        if start.elapsed() >= d {
            return x;
        }
        gort::checkpoint();
    }
}

/// Write one response.
fn respond(mut conn: &TcpStream, status: u16, body: &str, keep_alive: bool) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        413 => "Payload Too Large",
        431 => "Request Header Fields Too Large",
        501 => "Not Implemented",
        _ => "",
    };
    let connection = if keep_alive { "keep-alive" } else { "close" };
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: {connection}\r\n\r\n{body}",
        body.len()
    );
    conn.write_all(response.as_bytes())
}

/// A duration in milliseconds from the environment, or `default`.
fn env_ms(name: &str, default: u64) -> Duration {
    let ms = std::env::var(name).ok().and_then(|v| v.parse().ok());
    Duration::from_millis(ms.unwrap_or(default))
}
