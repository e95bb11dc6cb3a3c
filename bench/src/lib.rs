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

/// The `i`-th command-line argument (1 = N), or `default`. run.sh passes a
/// workload's extra arguments (from its WORKLOADS line) after N.
pub fn arg(i: usize, default: usize) -> usize {
    std::env::args()
        .nth(i)
        .map(|s| {
            s.replace('_', "")
                .parse()
                .expect("arguments must be numbers")
        })
        .unwrap_or(default)
}

/// Print the result line with extra `key=value` fields after `procs=` (e.g.
/// `n=20000` when an OS-thread peer runs a smaller N than the harness asked for).
pub fn report_with(workload: &str, imp: &str, value: f64, unit: &str, procs: usize, extra: &str) {
    println!("RESULT {workload} {imp} {value:.1} {unit} procs={procs} {extra}");
}

/// Tell the harness this implementation does not do this shape (e.g. tokio's
/// mpsc has one consumer, so no 4P4C); run.sh records it as skipped, not failed.
pub fn skip(reason: &str) -> ! {
    println!("SKIP {reason}");
    std::process::exit(0);
}

/// Resident set size now, in bytes (`/proc/self/statm`, field 2, × page size).
pub fn rss_bytes() -> usize {
    let s = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let pages: usize = s.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * page_size()
}

/// Peak resident set size so far, in bytes (`VmHWM` in `/proc/self/status`).
pub fn max_rss_bytes() -> usize {
    let s = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = s.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM");
    let kib: usize = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    unsafe { libc::sysconf(libc::_SC_PAGESIZE) as usize }
}

/// For the OS-thread peers (crossbeam-channel, flume): restrict the process to
/// `procs` of the CPUs it may use, so that "procs=1" means one core for them
/// too. Call before spawning threads (they inherit the mask).
pub fn pin_to_procs(procs: usize) {
    // SAFETY: plain syscalls on a zeroed, properly sized cpu_set_t.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return;
        }
        let mut keep: libc::cpu_set_t = std::mem::zeroed();
        let mut kept = 0;
        for cpu in 0..libc::CPU_SETSIZE as usize {
            if kept < procs && libc::CPU_ISSET(cpu, &set) {
                libc::CPU_SET(cpu, &mut keep);
                kept += 1;
            }
        }
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &keep);
    }
}

/// The tokio runtime for `procs` workers: `current_thread` for one (the task
/// and the thread that drives it are one, like one P), else `multi_thread`.
pub fn tokio_rt(procs: usize) -> tokio::runtime::Runtime {
    if procs == 1 {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(procs)
            .build()
            .unwrap()
    }
}

/// The `sleepers` workload's sleep for goroutine/task `i`: splitmix64(i) mod
/// 1 s, in µs — the same durations as `go/sleepers.go`'s `sleepFor`.
pub fn sleep_for(i: u64) -> std::time::Duration {
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    std::time::Duration::from_micros(z % 1_000_000)
}
