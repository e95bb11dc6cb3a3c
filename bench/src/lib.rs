//! Helpers shared by the Rust benchmark binaries: argument/env parsing and the
//! one machine-readable output line the harness (run.sh) collects:
//!
//! `RESULT <workload> <impl> <value> <unit> procs=<n>`

/// The work size: first command-line argument, or `default`.
pub fn arg_n(default: usize) -> usize {
    std::env::args()
        .nth(1)
        .map(|s| s.replace('_', "").parse().expect("N must be a number"))
        .unwrap_or(default)
}

/// Worker count for runtimes that do not read it themselves (tokio, may):
/// `GOMAXPROCS` from the environment, as Go and gort read it; default 2.
pub fn procs() -> usize {
    std::env::var("GOMAXPROCS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(2)
}

/// Print the result line.
pub fn report(workload: &str, imp: &str, value: f64, unit: &str, procs: usize) {
    println!("RESULT {workload} {imp} {value:.1} {unit} procs={procs}");
}

/// Nanoseconds per item.
pub fn ns_per(elapsed: std::time::Duration, items: usize) -> f64 {
    elapsed.as_nanos() as f64 / items as f64
}

/// Make any panic, on any thread or coroutine, end the process at once with
/// exit code 101. may catches a coroutine's panic and its joiner can then wait
/// forever (e.g. when a spawn fails with ENOMEM); a benchmark should fail fast.
pub fn exit_on_panic() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        default(info);
        std::process::exit(101);
    }));
}
