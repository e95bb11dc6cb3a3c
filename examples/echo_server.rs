// The smallest useful server: every connection gets its own goroutine,
// which copies what it reads back to the client until the client closes.
// Blocking code, thousands of connections: each waiting read parks only
// its goroutine.
//
//     cargo run --example echo_server [ADDR]        (default 127.0.0.1:7000)
//     nc 127.0.0.1 7000

use gort::net::{TcpListener, TcpStream};
use std::io::{Read, Write};

#[gort::main]
fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:7000".into());
    let listener = TcpListener::bind(addr.as_str())?;
    println!("listening on {}", listener.local_addr()?);
    for conn in listener.incoming() {
        match conn {
            Ok(conn) => gort::go!(echo(conn)),
            Err(e) => eprintln!("echo_server: accept: {e}"),
        }
    }
    Ok(())
}

/// Copy everything the client sends back to it.
fn echo(mut conn: TcpStream) {
    let mut buf = [0u8; 4096];
    loop {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => return, // closed or reset: this goroutine ends
            Ok(n) => {
                if conn.write_all(&buf[..n]).is_err() {
                    return;
                }
            }
        }
    }
}
