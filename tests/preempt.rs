//! Preemption and the per-goroutine register state it must keep, through
//! the public API: a goroutine's floating-point control state (rounding
//! mode) is its own.

#[cfg(target_arch = "x86_64")]
mod fp_control {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::sync::Arc;

    /// MXCSR's rounding-control bits and "round toward zero".
    const RC_MASK: u32 = 0x6000;
    const TOWARD_ZERO: u32 = 0x6000;

    fn mxcsr() -> u32 {
        let mut v: u32 = 0;
        // SAFETY: stores MXCSR into a valid local.
        unsafe { std::arch::asm!("stmxcsr [{}]", in(reg) &mut v, options(nostack)) };
        v
    }

    fn set_mxcsr(v: u32) {
        // SAFETY: `v` is a valid MXCSR value (read back from the register
        // with only the rounding bits changed).
        unsafe { std::arch::asm!("ldmxcsr [{}]", in(reg) &v, options(nostack)) };
    }

    /// One goroutine switches to round-toward-zero and yields thousands of
    /// times among goroutines that keep the default: each side sees only
    /// its own mode after every switch, and a goroutine started later
    /// begins with the default. (Without the per-goroutine save and
    /// restore in the runtime, the mode leaks both ways and this fails.)
    #[test]
    fn a_goroutines_rounding_mode_is_its_own() {
        let leaks = gort::run(|| {
            let leaks = Arc::new(AtomicUsize::new(0));
            let wg = gort::sync::WaitGroup::new();
            for toward_zero in [true, false, false, true, false] {
                let (leaks, wg) = (leaks.clone(), wg.clone());
                wg.add(1);
                gort::go!(move || {
                    if mxcsr() & RC_MASK != 0 {
                        leaks.fetch_add(1, SeqCst); // did not start at the default
                    }
                    if toward_zero {
                        set_mxcsr((mxcsr() & !RC_MASK) | TOWARD_ZERO);
                    }
                    let want = if toward_zero { TOWARD_ZERO } else { 0 };
                    for _ in 0..5_000 {
                        gort::yield_now();
                        if mxcsr() & RC_MASK != want {
                            leaks.fetch_add(1, SeqCst);
                        }
                    }
                    wg.done();
                });
            }
            wg.wait();
            leaks.load(SeqCst)
        });
        assert_eq!(leaks, 0, "rounding modes leaked between goroutines");
    }
}

/// Run the hog fixture on one P with `arg`; its stdout and exit code.
fn hog(arg: &str, env: &[(&str, &str)]) -> (String, Option<i32>) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_fixture-hog"))
        .arg(arg)
        .env("GOMAXPROCS", "1")
        .envs(env.iter().copied())
        .output()
        .expect("fixture runs");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code(),
    )
}

/// On one P, a goroutine spinning in a `#[gort::preemptible]` loop that
/// calls nothing is stopped by signal at the end of each time slice, so a
/// sleeping goroutine wakes, twenty times over.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
#[test]
fn a_preemptible_hog_does_not_starve_a_sleeper() {
    let (out, code) = hog("preemptible", &[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.starts_with("woke 20 times"), "{out}");
}

/// The controls: the same loop without the attribute cannot be stopped (the
/// fixture's watchdog reports the sleeper starved), and neither can the
/// preemptible one with the signal path turned off.
#[test]
fn without_the_attribute_or_the_signal_the_hog_starves_the_sleeper() {
    let (out, code) = hog("plain", &[]);
    assert_eq!((code, out.trim()), (Some(3), "starved"));
    let (out, code) = hog("preemptible", &[("GORTDEBUG", "asyncpreemptoff=1")]);
    assert_eq!((code, out.trim()), (Some(3), "starved"));
}

/// Run the register-integrity fixture: GOMAXPROCS 2, a 1 ms time slice (so
/// the signal stops the workloads about every millisecond), extra
/// `GORTDEBUG` settings, killed after `limit`. Its stdout, or "timeout".
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
fn regs(rounds: u32, extra_debug: &str, limit: std::time::Duration) -> String {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_fixture-regs"))
        .arg(rounds.to_string())
        .env("GOMAXPROCS", "2")
        .env("GORTDEBUG", format!("preemptslice=1{extra_debug}"))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("fixture runs");
    let start = std::time::Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return "timeout".into();
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Thousands of asynchronous preemptions, many resuming on the other M,
/// leave every general, XMM, YMM and (where the CPU has them) ZMM and
/// opmask register, the flags and MXCSR as they were: chaotic workloads
/// give bit-for-bit the results of an unpreempted run.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
#[test]
fn registers_survive_thousands_of_async_preemptions_and_migrations() {
    let out = regs(50, "", std::time::Duration::from_secs(120));
    let fields: Vec<&str> = out.split_whitespace().collect();
    assert_eq!(fields.first(), Some(&"ok"), "{out}");
    let preempted: u64 = fields[1].parse().unwrap();
    let migrated: u64 = fields[2].parse().unwrap();
    assert!(preempted >= 1000, "only {preempted} preemptions by signal");
    assert!(migrated >= 1, "no preempted goroutine resumed on another M");
}

/// The negative controls: with the preemption path made to flip a bit of
/// the general registers, or of the vector registers, it restores, the
/// same check fails (a mismatch, a crash, or a loop whose counter was hit
/// running on until killed).
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
#[test]
fn the_register_check_fails_when_a_preemption_corrupts_registers() {
    for fault in ["gpr", "vector"] {
        let out = regs(
            4,
            &format!(",asyncpreemptfault={fault}"),
            std::time::Duration::from_secs(3),
        );
        assert!(
            !out.starts_with("ok"),
            "{fault}: corruption went unnoticed: {out}"
        );
    }
}

/// Allocation-heavy goroutines (8 on 2 Ps) under a 100 µs time slice, for
/// 45 s (`GORT_SOAK_SECS` to change it: the long mode): no step is lost,
/// repeated or reordered on its channel, no checksum differs, nothing
/// deadlocks (bounded by the watchdog), and the signal path stopped them
/// many times.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
#[test]
fn allocation_heavy_goroutines_survive_a_soak_of_frequent_preemption() {
    let secs: u64 = std::env::var("GORT_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(45);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_fixture-soak"))
        .arg(secs.to_string())
        .env("GOMAXPROCS", "2")
        .env("GORTDEBUG", "preemptslice=100us")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("fixture runs");
    let limit = std::time::Duration::from_secs(secs * 3 + 60);
    let start = std::time::Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("the soak did not finish within {limit:?}: deadlock?");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let out = child.wait_with_output().expect("output");
    let out = String::from_utf8_lossy(&out.stdout);
    let fields: Vec<&str> = out.split_whitespace().collect();
    assert_eq!(fields.first(), Some(&"ok"), "{out}");
    let preempted: u64 = fields[2].parse().unwrap();
    assert!(
        preempted >= secs * 20,
        "only {preempted} preemptions by signal"
    );
}
