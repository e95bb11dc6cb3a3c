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
