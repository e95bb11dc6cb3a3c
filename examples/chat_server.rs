// A chat room: one goroutine per client reads its lines, one broadcaster
// goroutine owns the room, and channels connect them — no locks.
//
//     cargo run --example chat_server [ADDR]        (default 127.0.0.1:7001)
//     nc 127.0.0.1 7001          (in several terminals; the first line is your name)
//
// Each client has two goroutines: a reader that turns lines from the
// socket into messages for the broadcaster, and a writer that drains the
// client's own outbox to the socket — so one slow client cannot stall the
// room: when its outbox is full, the broadcaster drops messages for it.

use gort::net::{TcpListener, TcpStream};
use gort::{Receiver, Sender};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};

/// What the client goroutines tell the broadcaster.
enum Event {
    Join {
        id: u64,
        name: String,
        outbox: Sender<String>,
    },
    Say {
        id: u64,
        text: String,
    },
    Leave {
        id: u64,
    },
}

#[gort::main]
fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:7001".into());
    let listener = TcpListener::bind(addr.as_str())?;
    println!("listening on {}", listener.local_addr()?);
    let (events, inbox) = gort::chan::<Event>(64);
    gort::go!(broadcaster(inbox));
    for (id, conn) in (1..).zip(listener.incoming()) {
        match conn {
            Ok(conn) => gort::go!(client(id, conn, events.clone())),
            Err(e) => eprintln!("chat_server: accept: {e}"),
        }
    }
    Ok(())
}

/// Owns the room: who is in it, and each one's outbox.
fn broadcaster(inbox: Receiver<Event>) {
    let mut room: HashMap<u64, (String, Sender<String>)> = HashMap::new();
    for event in inbox {
        let (from, line) = match event {
            Event::Join { id, name, outbox } => {
                let line = format!("* {name} joined\n");
                room.insert(id, (name, outbox));
                (id, line)
            }
            Event::Say { id, text } => match room.get(&id) {
                Some((name, _)) => (id, format!("{name}: {text}\n")),
                None => continue,
            },
            Event::Leave { id } => match room.remove(&id) {
                Some((name, _)) => (id, format!("* {name} left\n")),
                None => continue,
            },
        };
        for (&to, (_, outbox)) in &room {
            if to != from {
                // A full outbox means a slow client: it misses this line.
                let _ = outbox.try_send(line.clone());
            }
        }
    }
}

/// Read one client's lines: the first is its name, the rest are said.
fn client(id: u64, conn: TcpStream, events: Sender<Event>) {
    let Ok(writer) = conn.try_clone() else { return };
    let (outbox, pending) = gort::chan::<String>(32);
    gort::go!(write_out(writer, pending));
    let _ = outbox.send("your name?\n".into());
    let mut lines = BufReader::new(conn).lines();
    let name = match lines.next() {
        Some(Ok(name)) => name.trim().to_string(),
        _ => return,
    };
    let _ = events.send(Event::Join { id, name, outbox });
    for line in lines {
        let Ok(text) = line else { break };
        let _ = events.send(Event::Say { id, text });
    }
    let _ = events.send(Event::Leave { id });
}

/// Drain a client's outbox to its socket; ends when the broadcaster drops
/// the outbox (the client left) or the socket fails.
fn write_out(mut conn: TcpStream, pending: Receiver<String>) {
    for line in pending {
        if conn.write_all(line.as_bytes()).is_err() {
            return;
        }
    }
}
