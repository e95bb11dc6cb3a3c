//! Go's own channel tests, ported to gort: the conformance suite of DESIGN.md §12.
//!
//! As in crossbeam-channel's `tests/golang.rs`, there is a module per Go file, headed by
//! the file it re-expresses and what that file checks. The Go sources are
//! <https://github.com/golang/go>, `test/chan/*.go` and `src/runtime/chan_test.go`
//! (Copyright 2009 The Go Authors; BSD-style license, <https://golang.org/LICENSE>).
//! `test/chan/perm.go`, which is about compile errors, became the ui-tests
//! `ui-tests/chan-perm-*.rs`.
//!
//! The ports re-express the tests rather than transliterate them. How Go maps onto gort:
//! - `make(chan T, n)` is `gort::chan::<T>(n)`; a goroutine takes clones of the ends it
//!   uses, and `chan<- T` / `<-chan T` parameters become `Sender<T>` / `Receiver<T>`.
//! - A receive from a closed, drained channel: Go yields the zero value and `ok == false`,
//!   gort `Err(RecvError)`.
//! - A send on a closed channel: Go panics; gort's `send` hands the value back in
//!   `Err(SendError(v))`, while a plain `tx <- v` arm of `select!` panics, as Go does.
//!   A second `close`: Go panics, gort's `close` returns `false`.
//! - Go's nil channel is `None` as a `select!` operand (there is no nil `Sender` outside
//!   `select!`, so Go's plain operations on a nil channel become one-case selects, which
//!   Go's spec makes equivalent).
//! - Go tests that call `runtime.GOMAXPROCS(n)` do not here: it is process-wide and the
//!   test harness runs these tests in parallel. Run the file under `GOMAXPROCS=1` or `8`
//!   to vary the shape.
//! - Networks that Go leaves blocked when `main` returns are torn down where Rust makes
//!   that natural (dropping the last `Receiver` closes a channel, so a pipeline's senders
//!   fail and return); elsewhere their goroutines stay parked, as in Go.
//! - A failed check in a `go!` goroutine ends the test process, as a panic in a goroutine
//!   ends a Go program; where the test should report it instead, `spawn` and `join` are
//!   used.
//! - Stress tests tag every message and count them all: no loss, no duplicate.
//! - Iteration counts are Go's (its full counts, not `-short`'s): the whole file still
//!   runs in about a second on two cores, in the optimized test profile.

use gort::chan::{RecvError, SendError, TryRecvError, TrySendError};
use gort::{chan, go, select, spawn, Receiver, Sender};
use std::time::Duration;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

// ---------------------------------------------------------------------------------------

/// `test/chan/doubleselect.go`: two cases of one `select` must never both run. A sender
/// selects over four unbuffered channels, four goroutines forward what they receive to
/// one channel, and the receiver checks that no value arrives twice (and, here, that none
/// is lost).
mod doubleselect {
    use super::*;

    /// Go's default (its `-n` flag).
    const ITERATIONS: usize = 100_000;

    /// Sends a counter to one of four channels. If two cases both ran in one iteration,
    /// the same value would go to two channels. Go defers `close(c1)` .. `close(c4)`:
    /// dropping the only `Sender`s on return closes them.
    fn sender(
        n: usize,
        c1: Sender<usize>,
        c2: Sender<usize>,
        c3: Sender<usize>,
        c4: Sender<usize>,
    ) {
        for i in 0..n {
            select! {
                c1 <- i => {}
                c2 <- i => {}
                c3 <- i => {}
                c4 <- i => {}
            }
        }
    }

    /// Forwards the values from `input` onto `out`.
    fn mux(out: Sender<usize>, input: Receiver<usize>, done: Sender<bool>) {
        for v in input {
            out.send(v).unwrap();
        }
        done.send(true).unwrap();
    }

    #[gort::test]
    fn main() {
        let (c1, r1) = chan::<usize>(0);
        let (c2, r2) = chan::<usize>(0);
        let (c3, r3) = chan::<usize>(0);
        let (c4, r4) = chan::<usize>(0);
        let (done_tx, done) = chan::<bool>(0);
        let (cmux_tx, cmux) = chan::<usize>(0);
        go!(sender(ITERATIONS, c1, c2, c3, c4));
        for r in [r1, r2, r3, r4] {
            go!(mux(cmux_tx.clone(), r, done_tx.clone()));
        }
        go!(move || {
            for _ in 0..4 {
                done.recv().unwrap();
            }
            cmux_tx.close();
        });
        // The receiver: no duplicate (Go's check), and nothing lost.
        let mut seen = vec![false; ITERATIONS];
        for v in &cmux {
            assert!(!seen[v], "got duplicate value: {v}");
            seen[v] = true;
        }
        let lost = seen.iter().filter(|&&s| !s).count();
        assert_eq!(lost, 0, "{lost} values lost");
    }
}

// ---------------------------------------------------------------------------------------

/// `test/chan/fifo.go`: channels are pure FIFOs — a buffered one filled then drained, and
/// an unbuffered one read by a daisy chain of goroutines that take turns.
mod fifo {
    use super::*;

    const N: i32 = 10;

    #[gort::test]
    fn asynch_fifo() {
        let (tx, rx) = chan::<i32>(N as usize);
        for i in 0..N {
            tx.send(i).unwrap();
        }
        for i in 0..N {
            assert_eq!(rx.recv(), Ok(i), "bad receive");
        }
    }

    /// Waits for its turn on `input`, takes one value from the shared `ch`, passes the turn.
    fn chain(ch: Receiver<i32>, val: i32, input: Receiver<i32>, out: Sender<i32>) {
        input.recv().unwrap();
        assert_eq!(ch.recv(), Ok(val));
        out.send(1).unwrap();
    }

    /// Thread together a daisy chain to read the elements in sequence.
    #[gort::test]
    fn synch_fifo() {
        let (ch_tx, ch_rx) = chan::<i32>(0);
        let (start, mut input) = chan::<i32>(0);
        for i in 0..N {
            let (out_tx, out_rx) = chan::<i32>(0);
            go!(chain(ch_rx.clone(), i, input, out_tx));
            input = out_rx;
        }
        start.send(0).unwrap();
        for i in 0..N {
            ch_tx.send(i).unwrap();
        }
        input.recv().unwrap();
    }
}

// ---------------------------------------------------------------------------------------

/// `test/chan/goroutines.go`: make a lot of goroutines (Go's 10,000), threaded together by
/// unbuffered channels, and tear them down cleanly by passing one value down the chain.
mod goroutines {
    use super::*;

    fn f(left: Sender<i32>, right: Receiver<i32>) {
        left.send(right.recv().unwrap()).unwrap();
    }

    #[gort::test]
    fn main() {
        let n = 10_000;
        let (leftmost_tx, leftmost) = chan::<i32>(0);
        let mut left = leftmost_tx;
        for _ in 0..n {
            let (right_tx, right) = chan::<i32>(0);
            go!(f(left, right));
            left = right_tx;
        }
        go!(move || left.send(1).unwrap());
        assert_eq!(leftmost.recv(), Ok(1));
    }
}

// ---------------------------------------------------------------------------------------

/// `test/chan/nonblock.go`: non-blocking sends and receives (`select!` with `default`) on
/// unbuffered and one-slot channels of several element types: an empty channel is never
/// ready, and each operation eventually succeeds once a goroutine on the other side
/// arrives. Go repeats the code per type; here one generic function runs for `i32`,
/// `i64`, `bool` and `String`.
mod nonblock {
    use super::*;
    use std::fmt::Debug;
    use std::time::Instant;

    /// Up to 100 ms per operation (Go's comment; each try waits two 10 µs ticks).
    const MAX_TRIES: usize = 10_000;

    fn receiver<T: PartialEq + Debug + Send>(c: Receiver<T>, want: T, strobe: Sender<bool>) {
        assert_eq!(c.recv(), Ok(want));
        strobe.send(true).unwrap();
    }

    fn sender<T: Send>(c: Sender<T>, v: T, strobe: Sender<bool>) {
        c.send(v).unwrap();
        strobe.send(true).unwrap();
    }

    fn sleep(ticker: &Receiver<Instant>) {
        ticker.recv().unwrap();
        ticker.recv().unwrap();
        gort::yield_now();
        gort::yield_now();
        gort::yield_now();
    }

    /// One type's part of Go's `main` for one buffer size.
    fn check<T>(buffer: usize, to_receiver: T, from_sender: T, ticker: &Receiver<Instant>)
    where
        T: Clone + PartialEq + Debug + Send + 'static,
    {
        let name = std::any::type_name::<T>();
        let (sync_tx, sync) = chan::<bool>(0);
        let (tx, rx) = chan::<T>(buffer);

        select! {
            _v = <-rx => panic!("blocked {name} sender"),
            default => {}
        }

        go!(receiver(rx.clone(), to_receiver.clone(), sync_tx.clone()));
        let mut tries = 0;
        loop {
            select! {
                tx <- to_receiver.clone() => break,
                default => {
                    tries += 1;
                    assert!(tries <= MAX_TRIES, "{name} receiver buffer={buffer}");
                    sleep(ticker);
                }
            }
        }
        sync.recv().unwrap();

        go!(sender(tx.clone(), from_sender.clone(), sync_tx.clone()));
        if buffer > 0 {
            sync.recv().unwrap();
        }
        let mut tries = 0;
        loop {
            select! {
                v = <-rx => {
                    assert_eq!(v.as_ref(), Ok(&from_sender), "{name} sender value");
                    break;
                }
                default => {
                    tries += 1;
                    assert!(tries <= MAX_TRIES, "{name} sender buffer={buffer}");
                    sleep(ticker);
                }
            }
        }
        if buffer == 0 {
            sync.recv().unwrap();
        }
    }

    #[gort::test]
    fn main() {
        let ticker = gort::time::tick(Duration::from_micros(10));
        for buffer in 0..2 {
            check::<i32>(buffer, 123, 234, &ticker);
            check::<i64>(buffer, 123_456, 234_567, &ticker);
            check::<bool>(buffer, true, true, &ticker);
            check::<String>(buffer, "hello".into(), "hello again".into(), &ticker);
        }
    }
}

// ---------------------------------------------------------------------------------------

/// `test/chan/powser1.go`: Doug McIlroy's power series, from Newsqueak ("Squinting at
/// Power Series"). A power series is a demand channel — the consumer asks for the next
/// rational coefficient on one channel and receives it on another — and each operation
/// (sum, product, derivative, integral, exponential, substitution) is a network of
/// goroutines. Products and exponentials split a series between two consumers that read
/// at different rates, with generations of `dosplit` goroutines handing over through
/// `select`s on nil-able channels. The test checks the first terms of each series.
///
/// Ported: everything the test uses (`Printn`, `Evaln`, `Mon`, `Xmul`, `Binom`, `Recip`,
/// `Subst` are not). Go's request channels carry a sequence number used for debugging
/// only; here they carry `()`. Go checks `Add(Ones, Ones)`, `Add(Ones, Twos)` and
/// `Sub(Ones, Twos)` with a count of 0, checking nothing; here 10 terms. As in Go, the
/// networks stay parked when the test ends: a series holds both ends of its channels.
mod powser1 {
    use super::*;

    /// Go's `rat`; a denominator of zero marks the end of a (finite) series.
    #[derive(Clone, Copy, PartialEq, Eq, Debug)]
    struct Rat {
        num: i64,
        den: i64,
    }

    fn gcd(u: i64, v: i64) -> i64 {
        if u < 0 {
            return gcd(-u, v);
        }
        if u == 0 {
            return v;
        }
        gcd(v % u, u)
    }

    /// A rational from two ints.
    fn i2tor(u: i64, v: i64) -> Rat {
        let g = gcd(u, v);
        if v > 0 {
            Rat {
                num: u / g,
                den: v / g,
            }
        } else {
            Rat {
                num: -u / g,
                den: -v / g,
            }
        }
    }

    fn itor(u: i64) -> Rat {
        i2tor(u, 1)
    }

    fn zero() -> Rat {
        itor(0)
    }

    fn one() -> Rat {
        itor(1)
    }

    /// The end mark.
    fn finis() -> Rat {
        i2tor(1, 0)
    }

    fn end(u: Rat) -> i64 {
        i64::from(u.den == 0)
    }

    fn add(u: Rat, v: Rat) -> Rat {
        let g = gcd(u.den, v.den);
        i2tor(
            u.num * (v.den / g) + v.num * (u.den / g),
            u.den * (v.den / g),
        )
    }

    fn mul(u: Rat, v: Rat) -> Rat {
        let g1 = gcd(u.num, v.den);
        let g2 = gcd(u.den, v.num);
        Rat {
            num: (u.num / g1) * (v.num / g2),
            den: (u.den / g2) * (v.den / g1),
        }
    }

    fn neg(u: Rat) -> Rat {
        i2tor(-u.num, u.den)
    }

    /// A power series: Go's `dch`, a demand channel. The consumer sends on `req`, then
    /// receives the next coefficient on `dat`.
    #[derive(Clone)]
    struct Ps {
        req_tx: Sender<()>,
        req_rx: Receiver<()>,
        dat_tx: Sender<Rat>,
        dat_rx: Receiver<Rat>,
    }

    fn mk_ps() -> Ps {
        let (req_tx, req_rx) = chan(0);
        let (dat_tx, dat_rx) = chan(0);
        Ps {
            req_tx,
            req_rx,
            dat_tx,
            dat_rx,
        }
    }

    impl Ps {
        /// Waits for the consumer's next request (Go's `<-Z.req`).
        ///
        /// Going through `&self` matters: a `move` closure that named only `out.req_rx`
        /// would capture only that field (Rust 2021 captures disjoint fields), drop the
        /// rest of `out` — its `Sender`s among them — and so close the channels once the
        /// consumer dropped its handle.
        fn wait_req(&self) {
            self.req_rx.recv().unwrap();
        }

        /// Hands the consumer a coefficient (Go's `Z.dat <- r`).
        fn send_dat(&self, r: Rat) {
            self.dat_tx.send(r).unwrap();
        }
    }

    fn put(dat: Rat, out: &Ps) {
        out.wait_req();
        out.send_dat(dat);
    }

    fn get(input: &Ps) -> Rat {
        input.req_tx.send(()).unwrap();
        input.dat_rx.recv().unwrap()
    }

    /// Gets one coefficient from each of two series, serving whichever is ready first.
    fn get2(in0: &Ps, in1: &Ps) -> [Rat; 2] {
        let mut req = [Some(&in0.req_tx), Some(&in1.req_tx)];
        let mut dat: [Option<&Receiver<Rat>>; 2] = [None, None];
        let mut out = [zero(); 2];
        for _ in 0..4 {
            select! {
                req[0] <- () => {
                    dat[0] = Some(&in0.dat_rx);
                    req[0] = None;
                }
                req[1] <- () => {
                    dat[1] = Some(&in1.dat_rx);
                    req[1] = None;
                }
                it = <-dat[0] => {
                    out[0] = it.unwrap();
                    dat[0] = None;
                }
                it = <-dat[1] => {
                    out[1] = it.unwrap();
                    dat[1] = None;
                }
            }
        }
        out
    }

    fn copy(input: Ps, out: Ps) -> ! {
        loop {
            out.wait_req();
            out.send_dat(get(&input));
        }
    }

    fn repeat(dat: Rat, out: Ps) -> ! {
        loop {
            put(dat, &out);
        }
    }

    // `split` reads a single demand channel and replicates its output onto two, which
    // may be read at different rates. A goroutine is created at the first demand for a
    // coefficient and dies after sending it to both outputs.
    //
    // When several generations of `dosplit` exist, the newest services requests on one
    // channel, which is always renamed to be `out[0]`; the oldest services requests on
    // the other, `out[1]`. All generations but the newest hold data already sent to
    // `out[0]`. When data has finally been sent to `out[1]`, a signal on the
    // release-wait channel tells the next newer generation to begin servicing `out[1]`.
    //
    // Go's generations share one `*dch2`, so a swap is seen by all of them. Only a
    // generation that has been released swaps, and by then every older one has finished
    // and no newer one exists yet, so handing each generation its own copy is the same.
    fn dosplit(input: Ps, mut out: [Ps; 2], wait: Receiver<()>) {
        let mut both = false; // do not service both channels
        select! {
            <-out[0].req_rx => {}
            <-wait => {
                both = true;
                select! {
                    <-out[0].req_rx => {}
                    <-out[1].req_rx => out.swap(0, 1),
                }
            }
        }
        input.req_tx.send(()).unwrap();
        let (release_tx, release) = chan::<()>(0);
        go!(dosplit(input.clone(), out.clone(), release));
        let dat = input.dat_rx.recv().unwrap();
        out[0].send_dat(dat);
        if !both {
            wait.recv().unwrap();
        }
        out[1].wait_req();
        out[1].send_dat(dat);
        release_tx.send(()).unwrap();
    }

    fn split(input: Ps, out: [Ps; 2]) {
        let (release_tx, release) = chan::<()>(0);
        go!(dosplit(input, out, release));
        release_tx.send(()).unwrap();
    }

    // Power-series constructors return demand channels on which the series flow; each
    // starts an encapsulated generator (Go's upper-case functions).
    impl Ps {
        /// A pair of power series identical to `u`.
        fn split(u: Ps) -> [Ps; 2] {
            let uu = [mk_ps(), mk_ps()];
            go!(split(u, uu.clone()));
            uu
        }

        fn add(u: Ps, v: Ps) -> Ps {
            let z = mk_ps();
            let out = z.clone();
            go!(move || loop {
                out.wait_req();
                let uv = get2(&u, &v);
                match end(uv[0]) + 2 * end(uv[1]) {
                    0 => out.send_dat(add(uv[0], uv[1])),
                    1 => {
                        out.send_dat(uv[1]);
                        copy(v, out);
                    }
                    2 => {
                        out.send_dat(uv[0]);
                        copy(u, out);
                    }
                    _ => out.send_dat(finis()),
                }
            });
            z
        }

        /// `u` multiplied by the constant `c`.
        fn cmul(c: Rat, u: Ps) -> Ps {
            let z = mk_ps();
            let out = z.clone();
            go!(move || {
                loop {
                    out.wait_req();
                    let u = get(&u);
                    if end(u) != 0 {
                        break;
                    }
                    out.send_dat(mul(c, u));
                }
                out.send_dat(finis());
            });
            z
        }

        fn sub(u: Ps, v: Ps) -> Ps {
            Ps::add(u, Ps::cmul(neg(one()), v))
        }

        /// The constant series `c c c ...`.
        fn rep(c: Rat) -> Ps {
            let z = mk_ps();
            go!(repeat(c, z.clone()));
            z
        }

        /// Multiply. The algorithm is
        ///   let U = u + x*UU
        ///   let V = v + x*VV
        ///   then UV = u*v + x*(u*VV+v*UU) + x*x*UU*VV
        fn mul(u: Ps, v: Ps) -> Ps {
            let z = mk_ps();
            let out = z.clone();
            go!(move || {
                out.wait_req();
                let uv = get2(&u, &v);
                if end(uv[0]) != 0 || end(uv[1]) != 0 {
                    out.send_dat(finis());
                } else {
                    out.send_dat(mul(uv[0], uv[1]));
                    let [uu0, uu1] = Ps::split(u);
                    let [vv0, vv1] = Ps::split(v);
                    let w = Ps::add(Ps::cmul(uv[0], vv0), Ps::cmul(uv[1], uu0));
                    out.wait_req();
                    out.send_dat(get(&w));
                    copy(Ps::add(w, Ps::mul(uu1, vv1)), out);
                }
            });
            z
        }

        /// Differentiate.
        fn diff(u: Ps) -> Ps {
            let z = mk_ps();
            let out = z.clone();
            go!(move || {
                out.wait_req();
                if end(get(&u)) == 0 {
                    for i in 1.. {
                        let c = get(&u);
                        if end(c) != 0 {
                            break;
                        }
                        out.send_dat(mul(itor(i), c));
                        out.wait_req();
                    }
                }
                out.send_dat(finis());
            });
            z
        }

        /// Integrate, with constant of integration `c`.
        fn integ(c: Rat, u: Ps) -> Ps {
            let z = mk_ps();
            let out = z.clone();
            go!(move || {
                put(c, &out);
                for i in 1.. {
                    out.wait_req();
                    let c = get(&u);
                    out.send_dat(mul(i2tor(1, i), c));
                    if end(c) != 0 {
                        break;
                    }
                }
                out.send_dat(finis());
            });
            z
        }

        /// Exponential of a power series with constant term 0 (a nonzero constant term
        /// would make nonrational coefficients; it is simply ignored):
        ///   Z = exp(U), DZ = Z*DU, integrate to get Z.
        fn exp(u: Ps) -> Ps {
            let zz = [mk_ps(), mk_ps()];
            split(
                Ps::integ(one(), Ps::mul(zz[0].clone(), Ps::diff(u))),
                zz.clone(),
            );
            zz[1].clone()
        }

        /// Monomial substitution, `U(c0 x^n)`: each coefficient `Ui` is multiplied by
        /// `c0^i` and followed by `n - 1` zeros.
        fn mon_subst(u: Ps, c0: Rat, n: usize) -> Ps {
            let z = mk_ps();
            let out = z.clone();
            go!(move || {
                let mut c = one();
                loop {
                    out.wait_req();
                    let ui = get(&u);
                    out.send_dat(mul(ui, c));
                    c = mul(c, c0);
                    if end(ui) != 0 {
                        out.send_dat(finis());
                        break;
                    }
                    for _ in 1..n {
                        out.wait_req();
                        out.send_dat(zero());
                    }
                }
            });
            z
        }
    }

    fn check(u: &Ps, c: Rat, count: usize, what: &str) {
        for i in 0..count {
            assert_eq!(get(u), c, "{what}, term {i}");
        }
    }

    const N: usize = 10;

    fn checka(u: &Ps, a: &[Rat; N], what: &str) {
        for (i, &c) in a.iter().enumerate() {
            assert_eq!(get(u), c, "{what}, term {i}");
        }
    }

    #[gort::test]
    fn main() {
        let ones = Ps::rep(one());
        let twos = Ps::rep(itor(2));

        check(&ones, one(), 5, "Ones");
        check(
            &Ps::add(ones.clone(), ones.clone()),
            itor(2),
            N,
            "Add Ones Ones",
        ); // 2 2 2 2 2
        check(
            &Ps::add(ones.clone(), twos.clone()),
            itor(3),
            N,
            "Add Ones Twos",
        ); // 3 3 3 3 3

        let d = Ps::diff(ones.clone());
        checka(&d, &std::array::from_fn(|i| itor(i as i64 + 1)), "Diff"); // 1 2 3 4 5

        let integral = Ps::integ(zero(), ones.clone());
        let a = std::array::from_fn(|i| if i == 0 { zero() } else { i2tor(1, i as i64) });
        checka(&integral, &a, "Integ"); // 0 1 1/2 1/3 1/4 1/5

        check(&Ps::cmul(neg(one()), twos.clone()), itor(-2), 10, "CMul"); // -2 -2 -2 -2 -2
        check(
            &Ps::sub(ones.clone(), twos.clone()),
            itor(-1),
            N,
            "Sub Ones Twos",
        ); // -1 -1 -1

        let m = Ps::mul(ones.clone(), ones.clone());
        checka(&m, &std::array::from_fn(|i| itor(i as i64 + 1)), "Mul"); // 1 2 3 4 5

        let e = Ps::exp(ones.clone());
        let a = [
            itor(1),
            itor(1),
            i2tor(3, 2),
            i2tor(13, 6),
            i2tor(73, 24),
            i2tor(167, 40),
            i2tor(4051, 720),
            i2tor(37633, 5040),
            i2tor(43817, 4480),
            i2tor(4596553, 362880),
        ];
        checka(&e, &a, "Exp"); // 1 1 3/2 13/6 73/24

        let at = Ps::integ(zero(), Ps::mon_subst(ones.clone(), neg(one()), 2));
        let mut c = 1;
        let a = std::array::from_fn(|i| {
            if i % 2 == 0 {
                zero()
            } else {
                let term = i2tor(c, i as i64);
                c = -c;
                term
            }
        });
        checka(&at, &a, "ATan"); // 0 1 0 -1/3 0 1/5
    }
}

// ---------------------------------------------------------------------------------------

/// `test/chan/select.go`: a `select` evaluates every send value — a nil channel's
/// included — exactly once each time it runs; a nil channel's case is never chosen; and
/// `default` runs when nothing else can.
mod select {
    use super::*;
    use std::cell::Cell;

    #[gort::test]
    fn main() {
        let counter = Cell::new(0u32);
        let shift = Cell::new(0u32);
        let get_value = || {
            counter.set(counter.get() + 1);
            1u32 << shift.get()
        };
        let send = |mut a: Option<&Sender<u32>>, mut b: Option<&Sender<u32>>| {
            let mut i = 0;
            loop {
                select! {
                    a <- get_value() => {
                        i += 1;
                        a = None;
                    }
                    b <- get_value() => {
                        i += 1;
                        b = None;
                    }
                    default => break,
                }
                shift.set(shift.get() + 1);
            }
            i
        };

        let (a, a_rx) = chan::<u32>(1);
        let (b, b_rx) = chan::<u32>(1);
        assert_eq!(send(Some(&a), Some(&b)), 2);
        let (av, bv) = (a_rx.recv().unwrap(), b_rx.recv().unwrap());
        assert_eq!(av | bv, 3, "bad values {av} {bv}");
        assert_eq!(send(Some(&a), None), 1);
        assert_eq!(counter.get(), 10);
    }
}

// ---------------------------------------------------------------------------------------

/// `test/chan/select2.go`: `select` does not leak. After a warm-up of 100,000
/// send/select round trips, another 100,000 may not grow the heap by more than 100,000
/// bytes (Go reads `runtime.MemStats` after a GC; here a counting global allocator gives
/// the bytes still allocated).
///
/// The allocator counts the whole process, and the test harness runs other tests in
/// parallel, so the measurement runs in a child process: the test re-runs this test
/// binary filtered to itself, with `GORT_GOLANG_SELECT2_CHILD` set.
mod select2 {
    use super::*;
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::sync::atomic::{AtomicIsize, Ordering::Relaxed};

    const N: usize = 100_000;
    const CHILD: &str = "GORT_GOLANG_SELECT2_CHILD";

    /// Bytes allocated and not yet freed, by the whole process.
    static LIVE: AtomicIsize = AtomicIsize::new(0);

    struct Counting;

    // SAFETY: every call is forwarded to `System` unchanged; the counter is a side effect.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            // SAFETY: the caller upholds `alloc`'s contract, which `System.alloc` shares.
            let p = unsafe { System.alloc(layout) };
            if !p.is_null() {
                LIVE.fetch_add(layout.size() as isize, Relaxed);
            }
            p
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            LIVE.fetch_sub(layout.size() as isize, Relaxed);
            // SAFETY: `ptr` came from `alloc` above, i.e. from `System`, with `layout`.
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    #[global_allocator]
    static ALLOCATOR: Counting = Counting;

    fn sender(c: Sender<i32>, n: usize) {
        for _ in 0..n {
            c.send(1).unwrap();
        }
    }

    fn receiver(c: &Receiver<i32>, dummy: &Receiver<i32>, n: usize) {
        for _ in 0..n {
            select! {
                <-c => {}
                <-dummy => panic!("dummy"),
            }
        }
    }

    #[gort::test]
    fn main() {
        if std::env::var_os(CHILD).is_none() {
            let out = std::process::Command::new(std::env::current_exe().unwrap())
                .args([
                    "select2::main",
                    "--exact",
                    "--test-threads=1",
                    "--nocapture",
                ])
                .env(CHILD, "1")
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                out.status.success() && stdout.contains("1 passed"),
                "the measuring child failed ({}):\n{stdout}\n{stderr}",
                out.status
            );
            return;
        }

        let (c_tx, c) = chan::<i32>(0);
        // Both ends of `dummy` are kept: were its last `Sender` dropped, the channel would
        // close and its case would be ready.
        let (_dummy_tx, dummy) = chan::<i32>(0);

        // Warm up.
        go!(sender(c_tx.clone(), N));
        receiver(&c, &dummy, N);
        gort::time::sleep(ms(10)); // let the sender goroutine finish and be recycled
        let before = LIVE.load(Relaxed);

        // A second time shouldn't increase the footprint by much.
        go!(sender(c_tx.clone(), N));
        receiver(&c, &dummy, N);
        gort::time::sleep(ms(10));
        let grown = LIVE.load(Relaxed) - before;
        println!("select2: live bytes grew by {grown} over {N} selects");
        assert!(
            grown <= 100_000,
            "too much memory for {N} selects: {grown} bytes"
        );
    }
}

// ---------------------------------------------------------------------------------------

/// `test/chan/select3.go`: the semantics of `select` and of plain channel operations for
/// the basic cases — which of them block, always or never, and which panic: nil
/// channels, closed channels, full and empty ones, `default`, and a `select` that sees
/// the same channel in two cases.
///
/// Go races each function against a 100 ms sleep. Here a function that must never block
/// gets 10 s to finish (a loaded machine cannot fail it), and the functions that must
/// always block are all started at once, so that their 100 ms waits overlap. Their
/// goroutines stay parked, as Go's do.
mod select3 {
    use super::*;
    use gort::JoinHandle;
    use std::panic::{catch_unwind, AssertUnwindSafe};

    #[derive(Clone, Copy, PartialEq, Debug)]
    enum Expect {
        Always,
        Never,
    }
    use Expect::*;

    fn unreachable() -> ! {
        panic!("control flow shouldn't reach here")
    }

    /// Calls `f` and verifies that it always/never panics.
    fn test_panic(what: &str, expect: Expect, f: impl FnOnce()) {
        let panicked = catch_unwind(AssertUnwindSafe(f)).is_err();
        assert_eq!(
            if panicked { Always } else { Never },
            expect,
            "{what}: expected it to panic {expect:?}"
        );
    }

    /// Runs `f` in a goroutine and verifies, empirically, that it always/never blocks.
    fn test_block(
        what: &'static str,
        expect: Expect,
        f: impl FnOnce() + Send + 'static,
    ) -> JoinHandle<()> {
        spawn(move || {
            let (done_tx, done) = chan::<()>(1);
            go!(move || {
                f();
                done_tx.send(()).unwrap();
            });
            match expect {
                Always => assert!(done.recv_timeout(ms(100)).is_err(), "{what}: did not block"),
                Never => assert!(
                    done.recv_timeout(Duration::from_secs(10)).is_ok(),
                    "{what}: blocked"
                ),
            }
        })
    }

    fn nil_tx() -> Option<Sender<i32>> {
        None
    }

    fn nil_rx() -> Option<Receiver<i32>> {
        None
    }

    #[gort::test]
    fn main() {
        const ASYNC: usize = 1; // asynchronous channels
        let (closed_tx, closed_rx) = chan::<i32>(0);
        closed_tx.close();
        let mut checks = Vec::new();

        // Sending/receiving on a nil channel blocks. (A nil channel exists only as a
        // `select!` operand; Go's spec makes `nilch <- 7` and a one-case select the same.)
        checks.push(test_block("nil send", Always, || {
            select! { nil_tx() <- 7 => unreachable() }
        }));
        checks.push(test_block("nil receive", Always, || {
            select! { <-nil_rx() => unreachable() }
        }));

        // Sending/receiving on a nil channel inside a select is never selected.
        test_panic("nil send with default", Never, || {
            select! {
                nil_tx() <- 7 => unreachable(),
                default => {}
            }
        });
        test_panic("nil receive with default", Never, || {
            select! {
                <-nil_rx() => unreachable(),
                default => {}
            }
        });

        // Sending to an async channel with free buffer space never blocks.
        checks.push(test_block("send with room", Never, || {
            let (ch, _rx) = chan::<i32>(ASYNC);
            ch.send(7).unwrap();
        }));

        // Receiving from a closed channel never blocks: Go's zero value and `ok == false`
        // are gort's `Err(RecvError)`.
        let rx = closed_rx.clone();
        checks.push(test_block("receive from closed", Never, move || {
            for _ in 0..10 {
                assert_eq!(rx.recv(), Err(RecvError));
                assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
            }
        }));

        // Sending to a closed channel panics in Go; gort's `send` hands the value back.
        let tx = closed_tx.clone();
        test_panic("send to closed", Never, move || {
            assert_eq!(tx.send(7), Err(SendError(7)));
        });

        // Receiving from a non-ready channel always blocks.
        checks.push(test_block("receive from empty", Always, || {
            let (_tx, ch) = chan::<i32>(0);
            let _ = ch.recv();
        }));

        // Empty selects always block.
        checks.push(test_block("empty select", Always, || select! {}));

        // Selects with only nil channels always block.
        checks.push(test_block("select: nil receive", Always, || {
            select! { <-nil_rx() => unreachable() }
        }));
        checks.push(test_block("select: nil send", Always, || {
            select! { nil_tx() <- 7 => unreachable() }
        }));
        checks.push(test_block("select: nil receive, nil send", Always, || {
            select! {
                <-nil_rx() => unreachable(),
                nil_tx() <- 7 => unreachable(),
            }
        }));

        // Selects with non-ready non-nil channels always block.
        checks.push(test_block("select: receive from empty", Always, || {
            let (_tx, ch) = chan::<i32>(0);
            select! { <-ch => unreachable() }
        }));

        // Selects with default cases don't block.
        checks.push(test_block("select: default only", Never, || {
            select! { default => {} }
        }));
        checks.push(test_block("select: nil receive, default", Never, || {
            select! {
                <-nil_rx() => unreachable(),
                default => {}
            }
        }));
        checks.push(test_block("select: nil send, default", Never, || {
            select! {
                nil_tx() <- 7 => unreachable(),
                default => {}
            }
        }));

        // Selects with ready channels don't block.
        checks.push(test_block("select: send with room", Never, || {
            let (ch, _rx) = chan::<i32>(ASYNC);
            select! {
                ch <- 7 => {}
                default => unreachable(),
            }
        }));
        checks.push(test_block("select: receive buffered", Never, || {
            let (tx, ch) = chan::<i32>(ASYNC);
            tx.send(7).unwrap();
            select! {
                <-ch => {}
                default => unreachable(),
            }
        }));

        // Selects with closed channels behave like ordinary operations.
        let rx = closed_rx.clone();
        checks.push(test_block(
            "select: receive from closed",
            Never,
            move || {
                select! { <-rx => {} }
            },
        ));
        let rx = closed_rx.clone();
        checks.push(test_block("select: x = <-closed", Never, move || {
            select! { x = <-rx => assert_eq!(x, Err(RecvError)) }
        }));
        // A plain send arm panics on a closed channel, as Go does ...
        let tx = closed_tx.clone();
        test_panic("select: send to closed", Always, move || {
            select! { tx <- 7 => {} }
        });
        // ... and a send arm that binds its result gets the value back instead (gort only).
        let tx = closed_tx.clone();
        test_panic("select: r = send to closed", Never, move || {
            select! { r = tx <- 7 => assert_eq!(r, Err(SendError(7))) }
        });

        // Select should not get confused if it sees itself.
        checks.push(test_block(
            "select: send and receive on one channel",
            Always,
            || {
                let (tx, rx) = chan::<i32>(0);
                select! {
                    tx <- 1 => {}
                    <-rx => {}
                }
            },
        ));

        for check in checks {
            check.join().unwrap();
        }
    }
}

// ---------------------------------------------------------------------------------------

/// `test/chan/select5.go`: a generator of single-goroutine tests, each doing one real
/// send or receive on a one-slot channel, phrased in every combination of: a plain
/// operation or a `select`; `default` absent, before or after the real case; and, to keep
/// a compiler from simplifying the `select`, cases on a channel that is never ready and
/// on nil channels. The order-of-evaluation variants check that the operands of a
/// `select` are evaluated once each, in source order, before it chooses.
///
/// The generator's `Maybe` enumeration is `each_subset!` here, expanded at compile time.
/// Go's variants of the receive's left-hand side (`*f(&x) = <-c`, `m[13] = <-c`, an
/// interface) have no counterpart: a `select!` arm binds a name. The plain-statement
/// order variant `*fp(&x, 1) = <-fc(c, 2)` is left out too: Rust evaluates an
/// assignment's right-hand side first, Go its left-hand operands.
mod select5 {
    use super::*;
    use std::cell::Cell;

    /// Runs `$step!` on the arms `head.. tail..` with each subset of the optional
    /// `{ arm }`s inserted between them, in their order.
    macro_rules! each_subset {
        ($step:ident; [$($head:tt)*] [$($tail:tt)*]) => {
            $step!($($head)* $($tail)*);
        };
        ($step:ident; [$($head:tt)*] [$($tail:tt)*] {$($maybe:tt)*} $($rest:tt)*) => {
            each_subset!($step; [$($head)* $($maybe)*] [$($tail)*] $($rest)*);
            each_subset!($step; [$($head)*] [$($tail)*] $($rest)*);
        };
    }

    /// Checks the order of operations: successive calls have increasing `o`.
    fn checkorder(order: &Cell<i32>, o: i32) {
        assert!(o > order.get(), "invalid order {o} after {}", order.get());
        order.set(o);
    }

    fn fc<'a, C>(order: &Cell<i32>, c: &'a C, o: i32) -> &'a C {
        checkorder(order, o);
        c
    }

    fn fp<'a>(order: &Cell<i32>, p: &'a mut i32, o: i32) -> &'a mut i32 {
        checkorder(order, o);
        p
    }

    fn fn_(order: &Cell<i32>, n: i32, o: i32) -> i32 {
        checkorder(order, o);
        n
    }

    #[gort::test]
    #[allow(unused_assignments)] // `x = n` before a select whose arms must not touch it
    fn main() {
        // The channel is buffered so the test is single-goroutine; `dummy` is never ready
        // (both of its ends are kept, so it never closes either).
        let (c_tx, c_rx) = chan::<i32>(1);
        let (dummy_tx, dummy_rx) = chan::<i32>(0);
        let nil_tx: Option<&Sender<i32>> = None;
        let nil_rx: Option<&Receiver<i32>> = None;
        let mut n = 1;
        let mut x = 0;
        let order = Cell::new(0);

        // Send n, receive it one way or another into x, check that they match.
        macro_rules! recv {
            ($($arms:tt)*) => {
                order.set(0);
                c_tx.send(n).unwrap();
                select! { $($arms)* }
                assert_eq!(x, n);
                n += 1;
            };
        }
        // Send n one way or another, receive it into x, check that they match.
        macro_rules! send {
            ($($arms:tt)*) => {
                order.set(0);
                select! { $($arms)* }
                x = c_rx.recv().unwrap();
                assert_eq!(x, n);
                n += 1;
            };
        }
        // Cases that are never ready, in every combination, after `$head`, before `$tail`.
        macro_rules! with_dummies {
            ($step:ident; [$($head:tt)*] [$($tail:tt)*]) => {
                each_subset!($step; [$($head)*] [$($tail)*]
                    { dummy_tx <- 1 => panic!("dummy send"), }
                    { <-dummy_rx => panic!("dummy receive"), }
                    { nil_tx <- 1 => panic!("nilch send"), }
                    { <-nil_rx => panic!("nilch recv"), }
                );
            };
        }
        // The same, with every operand checking the order of evaluation.
        macro_rules! with_ordered_dummies {
            ($step:ident; [$($head:tt)*] [$($tail:tt)*]) => {
                each_subset!($step; [$($head)*] [$($tail)*]
                    { fc(&order, &dummy_tx, 3) <- fn_(&order, 1, 4) => panic!("dummy send"), }
                    { <-fc(&order, &dummy_rx, 5) => panic!("dummy receive"), }
                    { fc(&order, &nil_tx, 6) <- fn_(&order, 1, 7) => panic!("nilch send"), }
                    { <-fc(&order, &nil_rx, 8) => panic!("nilch recv"), }
                );
            };
        }
        // Each phrasing, with `default` absent, before or after the real case.
        macro_rules! with_defaults {
            ($dummies:ident, $step:ident; $($real:tt)*) => {
                $dummies!($step; [$($real)*] []);
                $dummies!($step; [default => panic!("nonblock"), $($real)*] []);
                $dummies!($step; [$($real)*] [default => panic!("nonblock"),]);
            };
        }

        // recv
        c_tx.send(n).unwrap();
        x = c_rx.recv().unwrap();
        assert_eq!(x, n);
        n += 1;
        with_defaults!(with_dummies, recv; v = <-c_rx => x = v.unwrap(),);
        // Other spellings of the operand and the binding.
        recv!(v = <-&c_rx => x = v.unwrap(),);
        recv!(v = <-Some(&c_rx) => x = v.unwrap(),);
        recv!(mut v = <-fc(&order, &c_rx, 1) => {
            x = std::mem::replace(&mut v, Err(RecvError)).unwrap();
        });
        recv!(_ = <-c_rx => x = n, <-dummy_rx => panic!("dummy receive"),);
        recv!(<-c_rx => x = n, <-nil_rx => panic!("nilch recv"),);

        // recvOrder: inside a select, the assignment waits until the case is chosen, so
        // every operand is evaluated before anything in the arm.
        with_defaults!(with_ordered_dummies, recv;
            v = <-fc(&order, &c_rx, 1) => *fp(&order, &mut x, 100) = v.unwrap(),);

        // send
        c_tx.send(n).unwrap();
        x = c_rx.recv().unwrap();
        assert_eq!(x, n);
        n += 1;
        with_defaults!(with_dummies, send; c_tx <- n => {});

        // sendOrder
        fc(&order, &c_tx, 1).send(fn_(&order, n, 2)).unwrap();
        x = c_rx.recv().unwrap();
        assert_eq!(x, n);
        n += 1;
        with_defaults!(with_ordered_dummies, send;
            fc(&order, &c_tx, 1) <- fn_(&order, n, 2) => {});

        // nonblock: combinations of operations that cannot proceed, and a default; a
        // receive must not touch what its arm would assign.
        macro_rules! nonblock {
            ($($arms:tt)*) => {
                x = n;
                select! { $($arms)* }
                assert_eq!(x, n);
                n += 1;
            };
        }
        macro_rules! blocked {
            ([$($head:tt)*] [$($tail:tt)*]) => {
                each_subset!(nonblock; [$($head)*] [$($tail)*]
                    { dummy_tx <- 1 => panic!("dummy <- 1"), }
                    { nil_tx <- 1 => panic!("nilch <- 1"), }
                    { <-dummy_rx => panic!("<-dummy"), }
                    { v = <-dummy_rx => { x = v.unwrap(); panic!("<-dummy x") } }
                    { <-nil_rx => panic!("<-nilch"), }
                    { v = <-nil_rx => { x = v.unwrap(); panic!("<-nilch x") } }
                );
            };
        }
        blocked!([default => {}] []);
        blocked!([] [default => {}]);

        // 1 + 48 + 5 + 48 (receives), 1 + 48 + 1 + 48 (sends), 2 * 64 (non-blocking).
        assert_eq!(n - 1, 1 + 48 + 5 + 48 + 1 + 48 + 1 + 48 + 128, "cases run");
    }
}

// ---------------------------------------------------------------------------------------

/// `test/chan/sieve1.go`: the classical, inefficient concurrent prime sieve — a linear
/// chain of divisibility filters, one goroutine each, on unbuffered channels; the first
/// 25 primes must come out in order.
///
/// Go leaves the chain blocked when `main` returns. Here every send that fails (its
/// receiver is gone) ends its goroutine, so dropping `primes` unwinds the whole chain.
mod sieve1 {
    use super::*;

    /// Send the sequence 2, 3, 4, ... to `ch`.
    fn generate(ch: Sender<i32>) {
        for i in 2.. {
            if ch.send(i).is_err() {
                return;
            }
        }
    }

    /// Copy the values from `input` to `out`, removing those divisible by `prime`.
    fn filter(input: Receiver<i32>, out: Sender<i32>, prime: i32) {
        for i in input {
            if i % prime != 0 && out.send(i).is_err() {
                return;
            }
        }
    }

    /// The prime sieve: daisy-chain filter goroutines together.
    fn sieve(primes: Sender<i32>) {
        let (tx, mut ch) = chan::<i32>(0);
        go!(generate(tx));
        loop {
            // `ch` is a different channel on each iteration.
            let prime = ch.recv().unwrap();
            if primes.send(prime).is_err() {
                return;
            }
            let (tx1, ch1) = chan::<i32>(0);
            go!(filter(ch, tx1, prime));
            ch = ch1;
        }
    }

    #[gort::test]
    fn main() {
        let (tx, primes) = chan::<i32>(0);
        go!(sieve(tx));
        let a = [
            2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83,
            89, 97,
        ];
        for want in a {
            assert_eq!(primes.recv(), Ok(want));
        }
    }
}

// ---------------------------------------------------------------------------------------

/// `test/chan/sieve2.go`: an Eratosthenes sieve over odd candidates. Channels of odd
/// multiples of each prime are merged through a heap into one channel of composites,
/// which is sieved out of the odd numbers; the primes found are fed back (through a
/// goroutine that buffers without bound, using a `select` whose send case is disabled —
/// a nil channel — while its buffer is empty) to start new channels of multiples. The
/// first 25 primes must come out in order.
///
/// Go's `container/heap` and `container/ring` are `BinaryHeap` and `VecDeque`. Go leaves
/// the network blocked when `main` returns; here each goroutine returns when a channel it
/// needs has closed, so dropping the output unwinds all of it.
mod sieve2 {
    use super::*;
    use std::cmp::{Ordering, Reverse};
    use std::collections::{BinaryHeap, VecDeque};

    /// A channel of odd numbers, starting from 5.
    fn odds() -> Receiver<i64> {
        let (out, rx) = chan::<i64>(50);
        go!(move || {
            let mut n = 5;
            while out.send(n).is_ok() {
                n += 2;
            }
        });
        rx
    }

    /// A channel of odd multiples of the prime `p`, starting from `p * p`.
    fn multiples(p: i64) -> Receiver<i64> {
        let (out, rx) = chan::<i64>(10);
        go!(move || {
            let mut n = p * p;
            while out.send(n).is_ok() {
                n += 2 * p;
            }
        });
        rx
    }

    /// A channel and the value last received from it; ordered by that value.
    struct PeekCh {
        head: i64,
        ch: Receiver<i64>,
    }

    impl PartialEq for PeekCh {
        fn eq(&self, other: &Self) -> bool {
            self.head == other.head
        }
    }
    impl Eq for PeekCh {}
    impl PartialOrd for PeekCh {
        fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
            Some(self.cmp(other))
        }
    }
    impl Ord for PeekCh {
        fn cmp(&self, other: &Self) -> Ordering {
            self.head.cmp(&other.head)
        }
    }

    /// A channel to serve as a sending proxy to `out`: a goroutine receives values from
    /// it and keeps them in an expanding buffer, so that sending to it never blocks.
    fn sendproxy(out: Sender<i64>) -> Sender<i64> {
        let (proxy_tx, proxy) = chan::<i64>(10);
        go!(move || {
            let mut buffer = VecDeque::with_capacity(16);
            loop {
                // Buffer empty: disable output.
                let c = if buffer.is_empty() { None } else { Some(&out) };
                let e = buffer.front().copied().unwrap_or(0);
                select! {
                    e = <-proxy => match e {
                        Ok(e) => buffer.push_back(e),
                        Err(RecvError) => return,
                    },
                    sent = c <- e => match sent {
                        Ok(()) => {
                            buffer.pop_front();
                        }
                        Err(SendError(_)) => return,
                    },
                }
            }
        });
        proxy_tx
    }

    /// A channel of the primes.
    fn sieve() -> Receiver<i64> {
        // The output values.
        let (out, primes_out) = chan::<i64>(10);
        out.send(2).unwrap();
        out.send(3).unwrap();

        // The channel of all composites to be eliminated in increasing order.
        let (composites_tx, composites) = chan::<i64>(50);

        // The feedback loop.
        let (primes_tx, primes) = chan::<i64>(10);
        primes_tx.send(3).unwrap();

        // Merge channels of multiples of `primes` into `composites`.
        go!(move || {
            let mut h = BinaryHeap::<Reverse<PeekCh>>::new();
            let mut min = 15;
            // Ends when the sieving goroutine (and with it the feedback loop) is gone.
            let next = |c: &Receiver<i64>| c.recv().expect("multiples never end");
            while let Ok(p) = primes.recv() {
                let m = multiples(p);
                let head = next(&m);
                while min < head {
                    if composites_tx.send(min).is_err() {
                        return;
                    }
                    let Reverse(mut minchan) = h.pop().unwrap();
                    min = minchan.head;
                    minchan.head = next(&minchan.ch);
                    h.push(Reverse(minchan));
                }
                while min == head {
                    let Reverse(mut minchan) = h.pop().unwrap();
                    min = minchan.head;
                    minchan.head = next(&minchan.ch);
                    h.push(Reverse(minchan));
                }
                if composites_tx.send(head).is_err() {
                    return;
                }
                h.push(Reverse(PeekCh {
                    head: next(&m),
                    ch: m,
                }));
            }
        });

        // Sieve out `composites` from the candidates.
        go!(move || {
            // To generate the nth prime only multiples of primes ≤ sqrt(nth prime) are
            // needed, so the merging goroutine receives from `primes` much more slowly
            // than this goroutine sends to it: a buffer would fill and deadlock. The
            // proxy buffers automatically.
            let primes = sendproxy(primes_tx);
            let candidates = odds();
            let mut p = candidates.recv().unwrap();
            loop {
                let c = composites.recv().unwrap();
                while p < c {
                    if primes.send(p).is_err() || out.send(p).is_err() {
                        return;
                    }
                    p = candidates.recv().unwrap();
                }
                if p == c {
                    p = candidates.recv().unwrap();
                }
            }
        });

        primes_out
    }

    #[gort::test]
    fn main() {
        let primes = sieve();
        let a = [
            2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83,
            89, 97,
        ];
        for want in a {
            assert_eq!(primes.recv(), Ok(want));
        }
    }
}

// ---------------------------------------------------------------------------------------

/// `test/chan/zerosize.go`: channels of zero-sized types (`[0]byte`, `struct{}`), buffered
/// and not, can be made. The port also moves values through them: a buffer of zero-sized
/// slots is where a Rust implementation could miscount.
mod zerosize {
    use super::*;

    fn exercise<T: Send + Default + 'static>() {
        for cap in [0, 1] {
            let (tx, rx) = chan::<T>(cap);
            assert_eq!((tx.cap(), rx.cap()), (cap, cap));
            if cap == 1 {
                tx.send(T::default()).unwrap();
                assert_eq!(rx.len(), 1);
                assert!(matches!(
                    tx.try_send(T::default()),
                    Err(TrySendError::Full(_))
                ));
                rx.recv().unwrap();
                assert_eq!(rx.len(), 0);
            }
            let sender = gort::spawn(move || {
                for _ in 0..100 {
                    tx.send(T::default()).unwrap();
                }
            });
            assert_eq!(rx.iter().count(), 100);
            sender.join().unwrap();
            assert!(matches!(rx.try_recv(), Err(TryRecvError::Closed)));
        }
    }

    #[gort::test]
    fn zero_size_array() {
        exercise::<[u8; 0]>();
    }

    #[gort::test]
    fn zero_size_struct() {
        #[derive(Default)]
        struct Empty;
        exercise::<Empty>();
        exercise::<()>();
    }
}

// ---------------------------------------------------------------------------------------

/// `src/runtime/chan_test.go`: the runtime's own channel tests.
mod chan_test {
    use super::*;
    use gort::sync::WaitGroup;
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
    use std::sync::Arc;

    /// `TestChan`: for every capacity from 0 to 199 — receiving from an empty channel
    /// blocks and a non-blocking receive does not; sending to a full channel blocks and a
    /// non-blocking send does not; a closed channel yields its buffered values, then the
    /// end; closing wakes a blocked receiver; values arrive in FIFO order and, with four
    /// senders and four receivers, each exactly once; `len` and `cap` are right.
    #[gort::test]
    fn test_chan() {
        const N: usize = 200;
        for cap in 0..N {
            {
                // Ensure that receive from empty chan blocks.
                let (c_tx, c) = chan::<usize>(cap);
                let recv1 = Arc::new(AtomicBool::new(false));
                let recv2 = Arc::new(AtomicBool::new(false));
                for flag in [&recv1, &recv2] {
                    let (c, flag) = (c.clone(), Arc::clone(flag));
                    go!(move || {
                        let _ = c.recv();
                        flag.store(true, SeqCst);
                    });
                }
                gort::time::sleep(ms(1));
                assert!(
                    !recv1.load(SeqCst) && !recv2.load(SeqCst),
                    "chan[{cap}]: receive from empty chan"
                );
                // Ensure that non-blocking receive does not block.
                select! {
                    <-c => panic!("chan[{cap}]: receive from empty chan"),
                    default => {}
                }
                select! {
                    _v = <-c => panic!("chan[{cap}]: receive from empty chan"),
                    default => {}
                }
                assert_eq!(c.try_recv(), Err(TryRecvError::Empty));
                c_tx.send(0).unwrap();
                c_tx.send(0).unwrap();
            }

            {
                // Ensure that send to full chan blocks.
                let (c_tx, c) = chan::<usize>(cap);
                for i in 0..cap {
                    c_tx.send(i).unwrap();
                }
                let sent = Arc::new(AtomicBool::new(false));
                let (tx, flag) = (c_tx.clone(), Arc::clone(&sent));
                // Joined below: were the receiver dropped first, the late send would
                // find the channel closed (Go's would just complete).
                let sender = spawn(move || {
                    tx.send(0).unwrap();
                    flag.store(true, SeqCst);
                });
                gort::time::sleep(ms(1));
                assert!(!sent.load(SeqCst), "chan[{cap}]: send to full chan");
                // Ensure that non-blocking send does not block.
                select! {
                    c_tx <- 0 => panic!("chan[{cap}]: send to full chan"),
                    default => {}
                }
                assert_eq!(c_tx.try_send(0), Err(TrySendError::Full(0)));
                c.recv().unwrap();
                sender.join().unwrap();
            }

            {
                // Ensure that we receive 0 from closed chan: gort's `Err(RecvError)`.
                let (c_tx, c) = chan::<usize>(cap);
                for i in 0..cap {
                    c_tx.send(i).unwrap();
                }
                assert!(c_tx.close());
                assert!(
                    !c_tx.close(),
                    "a second close panics in Go, returns false in gort"
                );
                for i in 0..cap {
                    assert_eq!(c.recv(), Ok(i), "chan[{cap}]");
                }
                assert_eq!(c.recv(), Err(RecvError), "chan[{cap}]");
                assert_eq!(c.recv(), Err(RecvError), "chan[{cap}]");
            }

            {
                // Ensure that close unblocks receive.
                let (c_tx, c) = chan::<usize>(cap);
                let (done_tx, done) = chan::<bool>(0);
                go!(move || done_tx.send(c.recv() == Err(RecvError)).unwrap());
                gort::time::sleep(ms(1));
                c_tx.close();
                assert!(
                    done.recv().unwrap(),
                    "chan[{cap}]: received non zero from closed chan"
                );
            }

            {
                // Send 100 integers, ensure that we receive them non-corrupted in FIFO
                // order (twice: Go's second pass uses `v, ok := <-c`).
                let (c_tx, c) = chan::<usize>(cap);
                for _ in 0..2 {
                    let tx = c_tx.clone();
                    go!(move || {
                        for i in 0..100 {
                            tx.send(i).unwrap();
                        }
                    });
                    for i in 0..100 {
                        assert_eq!(c.recv(), Ok(i), "chan[{cap}]");
                    }
                }

                // Send 1000 integers in 4 goroutines, ensure that we receive what we send.
                const P: usize = 4;
                const L: usize = 1000;
                for _ in 0..P {
                    let tx = c_tx.clone();
                    go!(move || {
                        for i in 0..L {
                            tx.send(i).unwrap();
                        }
                    });
                }
                let (done_tx, done) = chan::<HashMap<usize, usize>>(0);
                for _ in 0..P {
                    let (c, done_tx) = (c.clone(), done_tx.clone());
                    go!(move || {
                        let mut recv = HashMap::new();
                        for _ in 0..L {
                            *recv.entry(c.recv().unwrap()).or_insert(0) += 1;
                        }
                        done_tx.send(recv).unwrap();
                    });
                }
                let mut recv = HashMap::new();
                for _ in 0..P {
                    for (k, v) in done.recv().unwrap() {
                        *recv.entry(k).or_insert(0) += v;
                    }
                }
                assert_eq!(recv.len(), L, "chan[{cap}]: received values");
                assert!(
                    recv.values().all(|&v| v == P),
                    "chan[{cap}]: each value {P} times"
                );
            }

            {
                // Test len/cap.
                let (c_tx, c) = chan::<usize>(cap);
                assert_eq!((c.len(), c.cap()), (0, cap), "chan[{cap}]: bad len/cap");
                for i in 0..cap {
                    c_tx.send(i).unwrap();
                }
                assert_eq!((c.len(), c.cap()), (cap, cap), "chan[{cap}]: bad len/cap");
                assert_eq!(
                    (c_tx.len(), c_tx.cap()),
                    (cap, cap),
                    "chan[{cap}]: bad len/cap"
                );
            }
        }
    }

    /// `TestNonblockRecvRace`: a non-blocking receive from a channel that has a value,
    /// racing with `close`, must find it ready (the value, or the close), never `default`.
    #[gort::test]
    fn test_nonblock_recv_race() {
        const N: usize = 10_000;
        let mut receivers = Vec::with_capacity(N);
        for _ in 0..N {
            let (tx, c) = chan::<i32>(1);
            tx.send(1).unwrap();
            let rx = c.clone();
            receivers.push(spawn(move || {
                select! {
                    <-rx => {}
                    default => panic!("chan is not ready"),
                }
            }));
            tx.close();
            let _ = c.recv();
        }
        for r in receivers {
            r.join().unwrap();
        }
    }

    /// `TestNonblockSelectRace`: a `select` acts on the state of its channels at one
    /// moment, not over a smeared window. From the moment the goroutine starts, `c1` or
    /// `c2` is always ready, so its non-blocking select must never take `default`.
    #[gort::test]
    fn test_nonblock_select_race() {
        const N: usize = 100_000;
        let (done_tx, done) = chan::<bool>(1);
        for _ in 0..N {
            let (c1_tx, c1) = chan::<i32>(1);
            let (c2_tx, c2) = chan::<i32>(1);
            c1_tx.send(1).unwrap();
            let (r1, r2, done_tx) = (c1.clone(), c2.clone(), done_tx.clone());
            go!(move || {
                let ready = select! {
                    <-r1 => true,
                    <-r2 => true,
                    default => false,
                };
                done_tx.send(ready).unwrap();
            });
            c2_tx.send(1).unwrap();
            select! {
                <-c1 => {}
                default => {}
            }
            assert!(done.recv().unwrap(), "no chan is ready");
        }
    }

    /// `TestNonblockSelectRace2`: the same, with `close(c2)` in place of `c2 <- 1`.
    #[gort::test]
    fn test_nonblock_select_race2() {
        const N: usize = 100_000;
        let (done_tx, done) = chan::<bool>(1);
        for _ in 0..N {
            let (c1_tx, c1) = chan::<i32>(1);
            let (c2_tx, c2) = chan::<i32>(0);
            c1_tx.send(1).unwrap();
            let (r1, r2, done_tx) = (c1.clone(), c2.clone(), done_tx.clone());
            go!(move || {
                let ready = select! {
                    <-r1 => true,
                    <-r2 => true,
                    default => false,
                };
                done_tx.send(ready).unwrap();
            });
            c2_tx.close();
            select! {
                <-c1 => {}
                default => {}
            }
            assert!(done.recv().unwrap(), "no chan is ready");
        }
    }

    /// `TestSelfSelect`: a send and a receive on the same channel in one `select`, from
    /// two goroutines, neither crash nor deadlock, and on an unbuffered channel a
    /// goroutine never receives its own value.
    #[gort::test]
    fn test_self_select() {
        for cap in [0, 10] {
            let (tx, rx) = chan::<usize>(cap);
            let selectors: Vec<_> = (0..2)
                .map(|p| {
                    let (tx, rx) = (tx.clone(), rx.clone());
                    spawn(move || {
                        for i in 0..1000 {
                            let self_receive = |v: Result<usize, RecvError>| {
                                assert!(!(cap == 0 && v == Ok(p)), "self receive");
                            };
                            if p == 0 || i % 2 == 0 {
                                select! {
                                    tx <- p => {}
                                    v = <-rx => self_receive(v),
                                }
                            } else {
                                select! {
                                    v = <-rx => self_receive(v),
                                    tx <- p => {}
                                }
                            }
                        }
                    })
                })
                .collect();
            for s in selectors {
                s.join().unwrap();
            }
        }
    }

    /// `TestSelectStress`: on four channels (two unbuffered, one of capacity 2, one of 3),
    /// four goroutines send N values each and four receive N each, while one goroutine
    /// sends N to each channel from a single `select` and another receives N from each
    /// the same way, removing a channel (making it nil) once its count is reached. All
    /// of it interacts chaotically and must not deadlock. Go's values are all 0; here
    /// each is tagged with its sender and sequence number, and every one is accounted for.
    #[gort::test]
    fn test_select_stress() {
        const N: u32 = 100_000;
        const PLAIN: u8 = 0;
        const SELECT: u8 = 1;
        type Msg = (u8, u32);
        let chans: Vec<(Sender<Msg>, Receiver<Msg>)> =
            [0, 0, 2, 3].into_iter().map(chan::<Msg>).collect();

        let mut senders = Vec::new();
        let mut receivers = Vec::new();
        for (tx, rx) in chans.clone() {
            senders.push(spawn(move || {
                for i in 0..N {
                    tx.send((PLAIN, i)).unwrap();
                }
            }));
            receivers.push(spawn(move || {
                (0..N).map(|_| rx.recv().unwrap()).collect::<Vec<Msg>>()
            }));
        }
        let txs: Vec<Sender<Msg>> = chans.iter().map(|(tx, _)| tx.clone()).collect();
        let select_sender = spawn(move || {
            let mut n = [0; 4];
            let mut c1: Vec<Option<&Sender<Msg>>> = txs.iter().map(Some).collect();
            for _ in 0..4 * N {
                select! {
                    c1[3] <- (SELECT, n[3]) => {
                        n[3] += 1;
                        if n[3] == N {
                            c1[3] = None;
                        }
                    }
                    c1[2] <- (SELECT, n[2]) => {
                        n[2] += 1;
                        if n[2] == N {
                            c1[2] = None;
                        }
                    }
                    c1[0] <- (SELECT, n[0]) => {
                        n[0] += 1;
                        if n[0] == N {
                            c1[0] = None;
                        }
                    }
                    c1[1] <- (SELECT, n[1]) => {
                        n[1] += 1;
                        if n[1] == N {
                            c1[1] = None;
                        }
                    }
                }
            }
        });
        let rxs: Vec<Receiver<Msg>> = chans.iter().map(|(_, rx)| rx.clone()).collect();
        let select_receiver = spawn(move || {
            let mut got: [Vec<Msg>; 4] = Default::default();
            let mut c1: Vec<Option<&Receiver<Msg>>> = rxs.iter().map(Some).collect();
            let mut take = |k: usize, v: Result<Msg, RecvError>, c1: &mut Vec<_>| {
                got[k].push(v.unwrap());
                if got[k].len() == N as usize {
                    c1[k] = None;
                }
            };
            for _ in 0..4 * N {
                select! {
                    v = <-c1[0] => take(0, v, &mut c1),
                    v = <-c1[1] => take(1, v, &mut c1),
                    v = <-c1[2] => take(2, v, &mut c1),
                    v = <-c1[3] => take(3, v, &mut c1),
                }
            }
            got
        });

        for s in senders {
            s.join().unwrap();
        }
        select_sender.join().unwrap();
        let by_select = select_receiver.join().unwrap();
        for (k, (plain, by_select)) in receivers.into_iter().zip(by_select).enumerate() {
            let plain = plain.join().unwrap();
            // A channel is FIFO: each receiver sees each sender's values in order.
            for got in [&plain, &by_select] {
                for from in [PLAIN, SELECT] {
                    let seq: Vec<u32> = got.iter().filter(|m| m.0 == from).map(|m| m.1).collect();
                    assert!(
                        seq.windows(2).all(|w| w[0] < w[1]),
                        "chan {k}: out of order"
                    );
                }
            }
            // Every value sent on channel k was received exactly once.
            let mut all: Vec<Msg> = plain.into_iter().chain(by_select).collect();
            all.sort_unstable();
            let want: Vec<Msg> = [PLAIN, SELECT]
                .into_iter()
                .flat_map(|from| (0..N).map(move |i| (from, i)))
                .collect();
            assert!(all == want, "chan {k}: values lost or duplicated");
        }
    }

    /// `TestSelectFairness`: of two always-ready cases (among four), `select` picks each
    /// about half the time: more than 10 sigma away from 50/50 fails.
    #[gort::test]
    fn test_select_fairness() {
        const TRIALS: usize = 10_000;
        let (c1_tx, c1) = chan::<u8>(TRIALS + 1);
        let (c2_tx, c2) = chan::<u8>(TRIALS + 1);
        for _ in 0..TRIALS + 1 {
            c1_tx.send(1).unwrap();
            c2_tx.send(2).unwrap();
        }
        let (_c3_tx, c3) = chan::<u8>(0);
        let (_c4_tx, c4) = chan::<u8>(0);
        let (out_tx, out) = chan::<u8>(0);
        let (done_tx, done) = chan::<u8>(0);
        let wg = WaitGroup::new();
        wg.go(move || loop {
            let b = select! {
                b = <-c3 => b,
                b = <-c4 => b,
                b = <-c1 => b,
                b = <-c2 => b,
            };
            let b = b.unwrap();
            select! {
                out_tx <- b => {}
                <-done => return,
            }
        });
        let (mut cnt1, mut cnt2) = (0, 0);
        for _ in 0..TRIALS {
            match out.recv().unwrap() {
                1 => cnt1 += 1,
                2 => cnt2 += 1,
                b => panic!("unexpected value {b} on channel"),
            }
        }
        // If the select in the goroutine is fair, cnt1 and cnt2 should be about the
        // same. 10 sigma is a lot, but some systematic bias is fine if not too severe.
        let mean = TRIALS as f64 * 0.5;
        let stddev = (TRIALS as f64 * 0.5 * (1.0 - 0.5)).sqrt();
        assert!(
            (cnt1 as f64 - mean).abs() <= 10.0 * stddev,
            "unfair select: in {TRIALS} trials, results were {cnt1}, {cnt2}"
        );
        done_tx.close();
        wg.wait();
    }

    /// `TestPseudoRandomSend`: two send cases on one channel, `c <- 1` and `c <- 0`, are
    /// chosen pseudo-randomly: of 100 sends, each value makes more than a tenth.
    #[gort::test]
    fn test_pseudo_random_send() {
        const N: usize = 100;
        for cap in [0, N] {
            let (tx, c) = chan::<usize>(cap);
            let reader = spawn(move || {
                (0..N)
                    .map(|_| {
                        gort::yield_now();
                        c.recv().unwrap()
                    })
                    .collect::<Vec<_>>()
            });
            for _ in 0..N {
                select! {
                    tx <- 1 => {}
                    tx <- 0 => {}
                }
            }
            let l = reader.join().unwrap();
            let n1: usize = l.iter().sum();
            let n0 = N - n1;
            assert!(
                n0 > N / 10 && n1 > N / 10,
                "want pseudorandom, got {n0} zeros and {n1} ones (chan cap {cap})"
            );
        }
    }

    /// `TestMultiConsumer`: 23 workers range over one channel (some yielding, to mess
    /// with its FIFO-ish order) and forward to another; a feeder closes the first when
    /// done, then the second once the workers finished. Every value arrives exactly
    /// once: Go checks the count and the sum; here also how often each value came.
    #[gort::test]
    fn test_multi_consumer() {
        const NWORK: usize = 23;
        const NITER: usize = 271_828;
        const PN: [u64; 10] = [2, 3, 7, 11, 13, 17, 19, 23, 27, 31];

        let (q_tx, q) = chan::<u64>(NWORK * 3);
        let (r_tx, r) = chan::<u64>(NWORK * 3);

        // Workers.
        let wg = WaitGroup::new();
        for w in 0..NWORK {
            wg.add(1);
            let (q, r_tx, wg) = (q.clone(), r_tx.clone(), wg.clone());
            go!(move || {
                for v in &q {
                    // Mess with the fifo-ish nature of range.
                    if PN[w % PN.len()] == v {
                        gort::yield_now();
                    }
                    r_tx.send(v).unwrap();
                }
                wg.done();
            });
        }

        // Feeder and closer.
        let feeder = spawn(move || {
            let mut expect = HashMap::new();
            for i in 0..NITER {
                let v = PN[i % PN.len()];
                *expect.entry(v).or_insert(0usize) += 1;
                q_tx.send(v).unwrap();
            }
            q_tx.close(); // no more work
            wg.wait(); // workers done
            r_tx.close(); // ... so there can be no more results
            expect
        });

        // Consume and check.
        let mut got = HashMap::new();
        let (mut n, mut s) = (0, 0);
        for v in &r {
            n += 1;
            s += v;
            *got.entry(v).or_insert(0usize) += 1;
        }
        let expect = feeder.join().unwrap();
        let expect_sum: u64 = expect.iter().map(|(&v, &k)| v * k as u64).sum();
        assert_eq!((n, s), (NITER, expect_sum), "(values, sum)");
        assert_eq!(got, expect, "how often each value arrived");
    }

    /// `TestShrinkStackDuringBlockedSend`'s purpose: channel operations still work when a
    /// goroutine's stack is disturbed while it is blocked in a send. Go shrinks the
    /// blocked sender's stack with a GC; gort's stacks neither move nor shrink, so the
    /// port checks what could go wrong instead: a sender blocks with 64 KiB of live frames
    /// above it (the value it sends in the deepest), while other goroutines run deep on
    /// (pooled) stacks; after the hand-off the value and every frame are intact. Between
    /// sends it uses lots of stack briefly, as Go's does.
    #[gort::test]
    fn test_shrink_stack_during_blocked_send() {
        const N: u64 = 10;
        const DEPTH: u64 = 64;
        type Big = [u64; 32];

        fn pattern(depth: u64, i: usize) -> u64 {
            (depth << 32) ^ (i as u64) ^ 0x9e37_79b9_7f4a_7c15
        }
        fn value(round: u64) -> Big {
            std::array::from_fn(|j| round * 1000 + j as u64)
        }
        /// Recurses `depth` frames of 1 KiB of data each, runs `bottom` in the deepest,
        /// then checks every frame's data on the way back.
        #[inline(never)]
        fn deep(depth: u64, bottom: &mut dyn FnMut()) {
            let mut pad = [0u64; 128];
            for (i, w) in pad.iter_mut().enumerate() {
                *w = pattern(depth, i);
            }
            std::hint::black_box(&mut pad);
            if depth == 0 {
                bottom();
            } else {
                deep(depth - 1, bottom);
            }
            std::hint::black_box(&mut pad);
            for (i, &w) in pad.iter().enumerate() {
                assert_eq!(w, pattern(depth, i), "frame {depth} corrupted");
            }
        }

        let (c_tx, c) = chan::<Big>(0);
        let sender = spawn(move || {
            for round in 0..N {
                deep(DEPTH, &mut || c_tx.send(value(round)).unwrap());
                deep(DEPTH, &mut || {}); // use lots of stack, briefly
            }
        });
        for round in 0..N {
            assert_eq!(c.recv(), Ok(value(round)), "bad channel read");
            // Let the sender block deep in its next send, while others churn stacks.
            let churn: Vec<_> = (0..4)
                .map(|_| spawn(|| deep(DEPTH, &mut gort::yield_now)))
                .collect();
            for h in churn {
                h.join().unwrap();
            }
            gort::time::sleep(ms(1));
        }
        sender.join().unwrap();
    }

    /// `TestSelectDuplicateChannel`: a goroutine can wait on the same channel twice in one
    /// `select`. A waits on `c`, `c`, `d`; B then waits on `c`; `d` wakes A, which must
    /// take all of its waiters off `c`, so that the send on `c` reaches B.
    #[gort::test]
    fn test_select_duplicate_channel() {
        let (c_tx, c) = chan::<i32>(0);
        let (d_tx, d) = chan::<i32>(0);
        let (e_tx, e) = chan::<i32>(0);

        let a_c = c.clone();
        go!(move || {
            select! {
                <-a_c => {}
                <-a_c => {}
                <-d => {}
            }
            e_tx.send(9).unwrap();
        });
        gort::time::sleep(ms(1)); // make sure goroutine A gets queued first on c

        let b = spawn(move || c.recv());
        gort::time::sleep(ms(1)); // make sure goroutine B gets queued on c before continuing

        d_tx.send(7).unwrap(); // wake up A, it dequeues itself from c
        assert_eq!(e.recv(), Ok(9)); // A tells us it's done
        c_tx.send(8).unwrap(); // wake up B
        assert_eq!(b.join().unwrap(), Ok(8));
    }
}
