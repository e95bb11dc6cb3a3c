//! Procedural macros for [gort](https://docs.rs/gort): `go!`, `select!`, `#[gort::main]`
//! and `#[gort::test]`.
//!
//! This file is the thin entry layer: each macro hands its tokens to a module that parses
//! them (`go`, `select`, `entry_point`) and gets back either an expansion or a `syn::Error`
//! spanned on the offending tokens. Use the macros through the `gort` crate, which re-exports them;
//! their expansions name `::gort`.

use proc_macro::TokenStream;

mod entry_point;
mod go;
mod main_exit;
mod preemptible;
mod select;

use entry_point::EntryPoint;

/// Runs a call, a closure or a block in a new goroutine — Go's `go` statement.
///
/// Three shapes are accepted:
///
/// - **A call**, `go!(f(a, b))` or `go!(obj.method(a))`: as with Go's `go f(a, b)`, the
///   arguments — and the function value and the method receiver, unless they are plain
///   paths — are evaluated *now*, left to right, by the caller; only the call itself runs in
///   the new goroutine. The values are moved into the goroutine.
/// - **A closure** without arguments, `go!(move || ...)`: run as it is. Write `move`: a
///   goroutine may outlive the function that started it, so it cannot borrow its locals.
/// - **A block**, `go!({ ... })`: run as the body of a `move` closure.
///
/// What the goroutine captures must be `Send + 'static`: it is moved to a goroutine that
/// may run on another thread and outlive its caller. Share with `Arc` (not `Rc`) and
/// `Mutex` or atomics (not `RefCell`/`Cell`); clone what both sides keep using.
///
/// `go!` is an expression of type `()`; a goroutine reports back over a channel.
///
/// A goroutine started with `go!` returns nothing, in all three shapes. Go discards the
/// results of `go f()`; gort refuses to, because a dropped `Result` is an error nobody
/// sees: a call, closure or block that returns a value is a compile error that says to
/// start it with [`gort::spawn`](https://docs.rs/gort/latest/gort/fn.spawn.html) and
/// `join()` the handle, or to drop the value on purpose with `;` (`go!({ f(); })`). A
/// goroutine that never returns (`go!(|| loop { ... })`) is fine.
///
/// To let goroutines borrow the caller's locals, start them in a `gort::scope`.
///
/// # Examples
///
/// ```
/// use std::sync::mpsc;
///
/// fn square(x: u64, out: mpsc::Sender<u64>) {
///     out.send(x * x).unwrap();
/// }
///
/// let (tx, rx) = mpsc::channel();
/// gort::run(move || {
///     // `tx.clone()` is evaluated here, now; `square` runs in the new goroutine.
///     gort::go!(square(7, tx.clone()));
///     gort::go!(move || tx.send(1).unwrap());
/// });
/// // Both senders are dropped once both goroutines are done.
/// let mut got: Vec<u64> = rx.iter().collect();
/// got.sort();
/// assert_eq!(got, [1, 49]);
/// ```
///
/// A goroutine cannot borrow from the function that starts it:
///
/// ```compile_fail
/// gort::run(|| {
///     let name = String::from("gopher");
///     let r = &name;
///     gort::go!(move || println!("hello, {r}")); // error: `name` does not live long enough
/// });
/// ```
#[proc_macro]
pub fn go(input: TokenStream) -> TokenStream {
    match syn::parse::<go::Goroutine>(input) {
        Ok(goroutine) => goroutine.expand().into(),
        Err(error) => error.into_compile_error().into(),
    }
}

/// Waits on several channel operations and runs the arm of the one that completes — Go's
/// `select` statement.
///
/// ```text
/// gort::select! {
///     v = <-rx1 => { ... }                 // v: Result<T, RecvError>
///     <-rx2 => { ... }                     // the value is dropped
///     tx <- value => { ... }               // runs after the send; panics if tx is closed
///     r = tx2 <- value => { ... }          // r: Result<(), SendError<T>>
///     <-gort::time::after(d) => { ... }    // a timeout is a receive like any other
///     default => { ... }                   // runs when no case is ready
/// }
/// ```
///
/// **Choosing.** `select!` blocks until one of its cases can proceed and performs that one
/// operation only; when several are ready it picks one uniformly at random, so none
/// starves. With a `default` arm it never blocks: `default` runs when no case is ready
/// now. `select! {}` blocks forever, as Go's `select {}` does.
///
/// **Cases.** `v = <-rx` binds the receive's `Result<T, RecvError>` (an `Err` once the
/// channel is closed and drained). A closed channel is always ready, so in a loop its arm
/// would fire every time: switch it off by making the operand `None` (below). A channel
/// closes when its last `Sender` is dropped, too — `let (_, rx) = gort::chan(0)` is
/// closed from the start. `tx <- value` panics
/// if the channel is closed, as Go does; `r = tx <- value` gets the value back in
/// `Err(SendError(value))` instead. A binding is a name, `mut name` or `_`; `match` on it in
/// the body to destructure it.
///
/// **Operands.** A channel operand may be a `Receiver`/`Sender` (it is borrowed, not
/// moved), a reference to one, a `Ticker`, or an `Option` of any of these: `None` is Go's
/// nil channel, a case that is never selected — the way to switch a case off. Every
/// channel operand and every value to send is evaluated exactly once, in source order,
/// when the `select!` is entered, whether its case is chosen or not (a value that is not
/// sent is dropped).
///
/// **Arms.** An arm's body is a block, or an expression followed by `,` (optional after the
/// last arm), as in `match`. Bodies run inline, in the enclosing function: `break`,
/// `continue`, `return` and `?` act on the enclosing loop and function. `select!` is an
/// expression whose value is the value of the arm that ran. `default` may be written
/// anywhere, at most once.
///
/// **Parsing.** A send arm's channel is everything before its first `<-` (a `<` written
/// directly before a `-`), so the channel expression itself may not contain `<-`: write a
/// comparison with a negative number as `a < -b`, with a space. Everything up to the
/// arm's first `=>` outside brackets belongs to its head.
///
/// # Examples
///
/// A worker that takes jobs until told to stop, reporting each result:
///
/// ```
/// use std::time::Duration;
///
/// let total = gort::run(|| {
///     let (jobs_tx, jobs) = gort::chan::<u64>(0);
///     let (results, results_rx) = gort::chan::<u64>(0);
///     let (quit_tx, quit) = gort::chan::<()>(0);
///     gort::go!(move || {
///         loop {
///             gort::select! {
///                 job = <-jobs => results.send(job.unwrap() * 2).unwrap(),
///                 <-quit => return,
///             }
///         }
///     });
///     let mut total = 0;
///     for job in 1..=3 {
///         jobs_tx.send(job).unwrap();
///         total += results_rx.recv().unwrap();
///     }
///     quit_tx.send(()).unwrap();
///     total
/// });
/// assert_eq!(total, 12);
///
/// // A timeout: nothing is ever sent on `idle`, so after 10 ms `after`'s channel wins.
/// let timed_out = gort::run(|| {
///     let (_keep_open, idle) = gort::chan::<u64>(0);
///     gort::select! {
///         v = <-idle => panic!("unexpected {v:?}"),
///         <-gort::time::after(Duration::from_millis(10)) => true,
///     }
/// });
/// assert!(timed_out);
/// ```
///
/// A send that does not block, and a case switched off with `None`:
///
/// ```
/// gort::run(|| {
///     let (tx, rx) = gort::chan::<&str>(1);
///     let sent = gort::select! {
///         tx <- "first" => true,
///         default => false,
///     };
///     assert!(sent);
///     let full = gort::select! {
///         tx <- "second" => false,
///         default => true, // the buffer holds one value
///     };
///     assert!(full);
///     let off: Option<&gort::Receiver<&str>> = None;
///     let got = gort::select! {
///         <-off => unreachable!("a nil channel is never ready"),
///         v = <-&rx => v.unwrap(),
///     };
///     assert_eq!(got, "first");
/// });
/// ```
///
/// `select! { v = <-rx => v.ok(), tx <- x => None }` expands to
///
/// ```text
/// {
///     let __gort_op0 = &(rx);
///     let mut __gort_case0 = ::gort::__private::RecvCase::new(
///         ::gort::__private::recv_operand(&*__gort_op0));
///     let __gort_op1 = &(tx);
///     let mut __gort_case1 = ::gort::__private::SendCase::new(
///         ::gort::__private::send_operand(&*__gort_op1), x);
///     let __gort_chosen = ::gort::__private::select(
///         &mut [__gort_case0.erase(), __gort_case1.erase()], false);
///     match __gort_chosen {
///         ::core::option::Option::Some(0) => { let v = __gort_case0.into_result(); v.ok() }
///         ::core::option::Option::Some(1) => { __gort_case1.into_sent(); None }
///         _ => ::core::unreachable!(),
///     }
/// }
/// ```
///
/// where the `__gort_` names are hygienic: code in the arms cannot see them.
#[proc_macro]
pub fn select(input: TokenStream) -> TokenStream {
    match syn::parse::<select::Select>(input) {
        Ok(select) => select.expand().into(),
        Err(error) => error.into_compile_error().into(),
    }
}

/// Runs `main` as the program's first goroutine.
///
/// The runtime starts and runs the body of `main` as a goroutine; as in Go, the process
/// ends when `main` returns, whether other goroutines are still running or not. A `main`
/// that returns a value — `fn main() -> Result<(), Box<dyn Error>>`, any
/// `std::process::Termination` — works as it does without the attribute: the value is
/// reported (`Error: …` and a failure status for an `Err`) inside the main goroutine, and
/// the generated `main` returns the resulting `ExitCode`. Attributes and visibility are kept.
///
/// The function takes no arguments (read them with `std::env::args()`), and cannot be
/// `async` or generic: a goroutine blocks on channels and I/O instead of awaiting.
///
/// Once the body has returned — by its last expression, a `return`, or a `?` on an
/// `Err` — the exit status is main's, as in Go. Main's locals are still dropped (a
/// `BufWriter` still flushes), and a goroutine that those drops make panic (say, a
/// `send(..).unwrap()` failing because main's `Receiver` was its channel's last) ends
/// silently instead of racing the exit with status 2. A panic before that still ends
/// the process with status 2. To do this, the attribute marks each of those exits
/// (`::gort::__private::main_returns(value)`, `main_try(result)?`), leaving closures,
/// async blocks and nested items alone.
///
/// # Examples
///
/// ```
/// use std::error::Error;
///
/// fn work(id: usize) {
///     println!("worker {id}");
/// }
///
/// #[gort::main]
/// fn main() -> Result<(), Box<dyn Error>> {
///     let workers: usize = std::env::var("WORKERS").unwrap_or_else(|_| "4".into()).parse()?;
///     for id in 0..workers {
///         gort::go!(work(id)); // as in Go, `main` does not wait for them
///     }
///     Ok(())
/// }
/// ```
///
/// expands to
///
/// ```text
/// fn main() -> ::std::process::ExitCode {
///     ::gort::__private::main(move || ::std::process::Termination::report(
///         (move || -> Result<(), Box<dyn Error>> {
///             // the body, with each way out marked (see above)
///         })()
///     ))
/// }
/// ```
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    EntryPoint::Main.expand(args.into(), item.into()).into()
}

/// Makes a `#[test]` whose body runs as a goroutine.
///
/// The runtime is started if needed, the body runs as a goroutine and the test thread waits
/// for it; a panic in the body fails the test as usual, so `#[should_panic]` works. Other
/// attributes (`#[ignore]`, `#[should_panic]`, ...) and the return type (e.g.
/// `Result<(), E>` with `E: Send`) are kept.
///
/// Do not also write `#[test]`: after `#[gort::test]` it is an error, and before it the
/// test would be registered twice.
///
/// The function takes no arguments, and cannot be `async` or generic.
///
/// # Examples
///
/// ```
/// #[gort::test]
/// fn parses() -> Result<(), std::num::ParseIntError> {
///     assert_eq!("42".parse::<u32>()?, 42);
///     Ok(())
/// }
/// ```
///
/// expands to
///
/// ```text
/// #[test]
/// fn parses() -> Result<(), std::num::ParseIntError> {
///     ::gort::run(move || -> Result<(), std::num::ParseIntError> {
///         // the body, unchanged
///     })
/// }
/// ```
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    EntryPoint::Test.expand(args.into(), item.into()).into()
}

/// Makes functions preemptible: a goroutine running them gives up its P when its time
/// slice (10 ms) is over, even in a loop that calls nothing.
///
/// On a `fn`, it inserts `gort::checkpoint()` at entry (one relaxed load and a compare
/// while no preemption is pending) and, on x86_64 Linux, places the function in the
/// `gort_ptext` link section: there the runtime may stop the goroutine at any
/// instruction, by signal (SIGURG, as Go does), and resume it later exactly where it was.
/// On an `impl` block or an inline `mod` it does this to every function inside, skipping
/// `const fn`s and `async fn`s (on such a fn itself it is an error). Closures inside a
/// preemptible function are not preemptible by signal: call a named function.
///
/// Code in a preemptible function may resume on another OS thread after any instruction,
/// so it must not use thread-locals (`thread_local!`, `std::thread::current()`, a
/// `HashMap::new()` seeded from thread-local keys): use goroutine-local storage or do it
/// in a helper function without the attribute. A `std::sync::Mutex` held across such a
/// point is held while the goroutine waits for a P; prefer `gort::sync::Mutex`.
///
/// # Examples
///
/// ```
/// #[gort::preemptible]
/// fn collatz_steps(mut n: u64) -> u64 {
///     let mut steps = 0;
///     while n != 1 {
///         n = if n % 2 == 0 { n / 2 } else { 3 * n + 1 };
///         steps += 1;
///     }
///     steps
/// }
/// assert_eq!(gort::run(|| collatz_steps(27)), 111);
/// ```
#[proc_macro_attribute]
pub fn preemptible(args: TokenStream, item: TokenStream) -> TokenStream {
    preemptible::expand(args.into(), item.into()).into()
}
