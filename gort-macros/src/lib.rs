//! Procedural macros for [gort](https://docs.rs/gort): `go!`, `#[gort::main]` and
//! `#[gort::test]`.
//!
//! This file is the thin entry layer: each macro hands its tokens to a module that parses
//! them (`go`, `entry_point`) and gets back either an expansion or a `syn::Error` spanned on
//! the offending tokens. Use the macros through the `gort` crate, which re-exports them;
//! their expansions name `::gort`.

use proc_macro::TokenStream;

mod entry_point;
mod go;

use entry_point::EntryPoint;

/// Runs a call, a closure or a block in a new goroutine — Go's `go` statement.
///
/// Three shapes are accepted:
///
/// - **A call**, `go!(f(a, b))` or `go!(obj.method(a))`: as with Go's `go f(a, b)`, the
///   arguments — and the function value and the method receiver, unless they are plain
///   paths — are evaluated *now*, left to right, by the caller; only the call itself runs in
///   the new goroutine. The values are moved into the goroutine. The call's result is
///   discarded, as in Go, even a `#[must_use]` one: to handle an error, use a closure.
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
///             // the body, unchanged
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
