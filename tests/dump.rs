//! Goroutine dumps (`gort::runtime::stack()`, the SIGQUIT and deadlock
//! reports) say where each waiting goroutine blocked — the user's call of
//! the gort API it waits in — and where it was started, and by which
//! goroutine.
//!
//! One test, alone in its binary, so that every goroutine in the dump is
//! one of its own. Each blocking call below carries a `// site: NAME`
//! marker; the test reads this file to learn the line each one is on and
//! checks that the dump names that line for that goroutine. A call whose
//! path to the park loses the caller's location shows up as a site inside
//! gort, and fails here.

use gort::sync::{Cond, Mutex, Once, RwLock, Semaphore, WaitGroup};
use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

/// The line of this file that carries `// site: name`.
fn site_line(name: &str) -> u32 {
    let marker = format!("// site: {name}");
    let src = include_str!("dump.rs");
    let hits: Vec<usize> = src
        .lines()
        .enumerate()
        .filter(|(_, l)| l.trim_end().ends_with(&marker))
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(hits.len(), 1, "marker {marker:?} must appear exactly once");
    hits[0] as u32
}

/// The dump's entry (header and detail lines) for the goroutine blocked at
/// `name`'s line, if there is one.
fn entry_for<'d>(dump: &'d str, name: &str) -> Option<&'d str> {
    let at = format!("blocked at {}:{}:", file!(), site_line(name));
    dump.split("\n\n").find(|e| e.contains(&at))
}

#[test]
fn dumps_show_where_each_goroutine_blocked_and_who_started_it() {
    let dump = gort::run(|| {
        let me = gort::runtime::goroutine_id();
        let (_tx0, rx0) = gort::chan::<u32>(0);
        let rx0b = rx0.clone();
        let (tx1, _rx1) = gort::chan::<u32>(0);
        let tx1b = tx1.clone();
        gort::go!(move || {
            let _ = rx0.recv(); // site: recv
        });
        gort::go!(move || {
            let _ = rx0b.recv_timeout(Duration::from_secs(3600)); // site: recv_timeout
        });
        gort::go!(move || {
            let _ = tx1.send(1); // site: send
        });
        gort::go!(move || {
            let _ = tx1b.send_timeout(2, Duration::from_secs(3600)); // site: send_timeout
        });
        let (_tx2, rx2) = gort::chan::<u32>(0);
        let rx2b = rx2.clone();
        gort::go!(move || {
            for _ in rx2.iter() {} // site: iter
        });
        gort::go!(move || {
            gort::select! { // site: select
                v = <-rx2b => { let _ = v; },
            }
        });
        gort::go!(|| {
            gort::select! {} // site: select_no_cases
        });

        let mutex = Arc::new(Mutex::new(()));
        let held = mutex.lock();
        let m = mutex.clone();
        gort::go!(move || {
            let _g = m.lock(); // site: mutex
        });
        let rw = Arc::new(RwLock::new(()));
        let w = rw.write();
        let r = rw.clone();
        gort::go!(move || {
            let _g = r.read(); // site: rwlock_read
        });
        // A writer waits for readers as `RWMutex.Lock` (for another
        // writer it would wait on the writers' mutex, as in Go).
        let rw2 = Arc::new(RwLock::new(()));
        let read = rw2.read();
        let r = rw2.clone();
        gort::go!(move || {
            let _g = r.write(); // site: rwlock_write
        });
        let pair = Arc::new((Mutex::new(false), Cond::new()));
        let p = pair.clone();
        gort::go!(move || {
            let (lock, cond) = &*p;
            let g = lock.lock();
            let _g = cond.wait(g); // site: cond
        });
        let wg = WaitGroup::new();
        wg.add(1);
        let w2 = wg.clone();
        gort::go!(move || {
            w2.wait(); // site: waitgroup
        });
        let sem = Arc::new(Semaphore::new(1));
        sem.acquire(1);
        let s = sem.clone();
        gort::go!(move || {
            s.acquire(1); // site: semaphore
        });
        let once = Arc::new(Once::new());
        let o = once.clone();
        let (started_tx, started_rx) = gort::chan::<()>(0);
        let (_never_tx, never_rx) = gort::chan::<()>(0);
        gort::go!(move || {
            o.call_once(|| {
                started_tx.send(()).unwrap();
                let _ = never_rx.recv();
            })
        });
        started_rx.recv().unwrap();
        let o = once.clone();
        gort::go!(move || {
            o.call_once(|| ()); // site: once
        });
        gort::go!(|| {
            gort::time::sleep(Duration::from_secs(3600)); // site: sleep
        });
        let listener = gort::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (conn_tx, conn_rx) = gort::chan(1);
        gort::go!(move || {
            let (conn, _) = listener.accept().unwrap();
            conn_tx.send(conn).unwrap();
            let _ = listener.accept(); // site: accept
        });
        let mut client = gort::net::TcpStream::connect(addr).unwrap();
        let _server_side = conn_rx.recv().unwrap();
        gort::go!(move || {
            let mut buf = [0u8; 8];
            let _ = client.read(&mut buf); // site: tcp_read
        });
        let udp = Arc::new(gort::net::UdpSocket::bind("127.0.0.1:0").unwrap());
        let u = udp.clone();
        gort::go!(move || {
            let mut buf = [0u8; 8];
            let _ = u.recv_from(&mut buf); // site: udp_recv
        });
        gort::time::sleep(Duration::from_millis(50)); // the first reader waits first
        gort::go!(move || {
            let mut buf = [0u8; 8];
            let _ = udp.recv_from(&mut buf); // site: udp_second_reader
        });
        let (mut unix_a, _unix_b) = gort::net::UnixStream::pair().unwrap();
        gort::go!(move || {
            let mut buf = [0u8; 8];
            let _ = unix_a.read_exact(&mut buf); // site: read_exact
        });
        gort::go!(|| {
            let ticker = gort::time::Ticker::new(Duration::from_secs(3600));
            ticker.recv(); // site: ticker
        });
        let forever = gort::spawn(|| gort::time::sleep(Duration::from_secs(3600)));
        gort::go!(move || {
            let _ = forever.join(); // site: join
        });

        // Let all of them park, then take the dump.
        gort::time::sleep(Duration::from_millis(200));
        let dump = gort::runtime::stack();
        drop((held, w, read));
        (me, dump)
    });
    let (me, dump) = dump;
    let expect = [
        ("recv", "chan receive"),
        ("recv_timeout", "chan receive"),
        ("send", "chan send"),
        ("send_timeout", "chan send"),
        ("iter", "chan receive"),
        ("select", "select"),
        ("select_no_cases", "select (no cases)"),
        ("mutex", "sync.Mutex.Lock"),
        ("rwlock_read", "sync.RWMutex.RLock"),
        ("rwlock_write", "sync.RWMutex.Lock"),
        ("cond", "sync.Cond.Wait"),
        ("waitgroup", "sync.WaitGroup.Wait"),
        ("semaphore", "semaphore acquire"),
        ("once", "sync.Once.Do"),
        ("sleep", "sleep"),
        ("accept", "IO wait"),
        ("tcp_read", "IO wait"),
        ("udp_recv", "IO wait"),
        // Waits for its turn on the socket (as a Go reader waits on the
        // conn's fdMutex), still shown at the user's call.
        ("udp_second_reader", "sync.Mutex.Lock"),
        ("read_exact", "IO wait"),
        ("ticker", "chan receive"),
        ("join", "JoinHandle.join"),
    ];
    let mut missing = Vec::new();
    for (site, reason) in expect {
        match entry_for(&dump, site) {
            None => missing.push(site),
            Some(e) => {
                assert!(e.contains(&format!("[{reason}")), "{site}: {e}");
                // Started by the test's goroutine, at a line of this file.
                let created = format!("created at {}:", file!());
                assert!(e.contains(&created), "{site}: {e}");
                assert!(e.contains(&format!("in goroutine {me}")), "{site}: {e}");
            }
        }
    }
    assert!(
        missing.is_empty(),
        "no goroutine shown blocked at the line of {missing:?}:\n{dump}"
    );
}
