//! HTTP competitor: hyper 1.x (http1, keep-alive) on tokio's multi-thread
//! runtime with GOMAXPROCS workers (default 2; http.sh sets 2). One task per
//! connection, TCP_NODELAY set (as Go does on every TCP connection).
//! Routes, as every server in bench/http:
//!
//! * `/`           200 "Hello, World!\n" (text/plain, Content-Length)
//! * `/work?ms=N`  N ms of CPU work (xorshift64 steps, the monotonic clock
//!   read every 1000 steps, until N ms have passed since the handler started;
//!   default N = 1), then 200 "work <x>\n" (x = the final state, 16 hex
//!   digits). The work runs inline on the worker, as a plain handler would.
//!
//! Usage: http_hyper [addr]   (default 127.0.0.1:8080)
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

/// Burns CPU until `ms` ms have passed since `start`: the same loop in every server.
fn spin(start: Instant, ms: u64) -> u64 {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let d = Duration::from_millis(ms);
    loop {
        for _ in 0..1000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
        }
        if start.elapsed() >= d {
            return x;
        }
    }
}

fn query_ms(query: Option<&str>) -> u64 {
    query
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("ms=")))
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
}

fn text(status: StatusCode, body: Bytes) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(body));
    *res.status_mut() = status;
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    res
}

async fn handle(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let start = Instant::now();
    Ok(match req.uri().path() {
        "/" => text(StatusCode::OK, Bytes::from_static(b"Hello, World!\n")),
        "/work" => {
            let x = spin(start, query_ms(req.uri().query()));
            text(StatusCode::OK, Bytes::from(format!("work {x:016x}\n")))
        }
        _ => text(StatusCode::NOT_FOUND, Bytes::new()),
    })
}

fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let workers = gort_bench::procs();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .unwrap();
    // The accept loop runs as a task on the workers (not on the block_on
    // thread), so the server uses exactly `workers` threads.
    rt.block_on(async move { tokio::spawn(serve(addr, workers)).await.unwrap() });
}

async fn serve(addr: String, workers: usize) {
    let listener = TcpListener::bind(&addr).await.expect("bind");
    eprintln!("hyper listening on {addr} ({workers} workers)");
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                eprintln!("accept: {e}");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service_fn(handle))
                .await;
        });
    }
}
