//! Whole-process behaviour, checked by running the fixture programs in
//! tests/fixtures/ and watching their exit status and output: a panicking
//! goroutine, a panicking main, a stack overflow, main returning while other
//! goroutines live (and while its drops make one panic), and the
//! environment variables.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn run(bin: &str, env: &[(&str, &str)]) -> (Output, Duration) {
    let start = Instant::now();
    let out = Command::new(bin)
        .envs(env.iter().copied())
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("fixture runs");
    (out, start.elapsed())
}

/// Run `cmd` for at most `limit`: one still running then is killed (exit
/// status `None`), so a fixture that hangs fails its test instead of
/// hanging it. Returns the output (stderr captured) and the time taken.
fn run_at_most(cmd: &mut Command, limit: Duration) -> (Output, Duration) {
    let start = Instant::now();
    let mut child = cmd
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("fixture runs");
    while child.try_wait().unwrap().is_none() && start.elapsed() < limit {
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    (child.wait_with_output().unwrap(), start.elapsed())
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A panic that escapes a goroutine some other way — from dropping the
/// result of a detached `spawn`, or from a goroutine-local's destructor —
/// is reported the same way, on one P and on several (it used to end the
/// M's thread: with one P, main never ran again; the fixture is killed
/// after 20 s).
#[test]
fn a_panic_from_a_goroutines_leftovers_ends_the_process_with_status_2() {
    for scenario in ["detached-result", "local"] {
        for procs in ["1", "2"] {
            let (out, _) = run_at_most(
                Command::new(env!("CARGO_BIN_EXE_fixture-panic-in-goroutine"))
                    .arg(scenario)
                    .env("GOMAXPROCS", procs)
                    .env("RUST_BACKTRACE", "0"),
                Duration::from_secs(20),
            );
            let err = stderr(&out);
            let what = format!("{scenario}, GOMAXPROCS={procs}: {err}");
            assert_eq!(out.status.code(), Some(2), "{what}");
            assert!(err.contains(": boom from a goroutine"), "{what}");
        }
    }
}

#[test]
fn a_panicking_goroutine_ends_the_process_with_status_2() {
    let (out, _) = run(env!("CARGO_BIN_EXE_fixture-panic-in-goroutine"), &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    let line = err
        .lines()
        .find(|l| l.starts_with("panic in goroutine "))
        .expect(&err);
    assert!(line.ends_with(": boom from a goroutine"), "{line}");
    assert!(
        !line.contains("goroutine 1:"),
        "the panicking goroutine is not main: {line}"
    );
    assert!(
        err.contains("panic_in_goroutine.rs"),
        "the report says where: {err}"
    );
}

#[test]
fn a_panicking_main_ends_the_process_with_status_2() {
    let (out, _) = run(env!("CARGO_BIN_EXE_fixture-panic-in-main"), &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert!(
        err.contains("panic in goroutine 1: boom from main"),
        "{err}"
    );
}

#[test]
fn a_stack_overflow_is_reported_with_the_goroutine_and_the_size() {
    for (env, size) in [(None, 262_144), (Some("64K"), 65_536)] {
        let vars: Vec<(&str, &str)> = env.map(|v| ("GORT_STACK_SIZE", v)).into_iter().collect();
        let (out, _) = run(env!("CARGO_BIN_EXE_fixture-stack-overflow"), &vars);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "stderr: {err}");
        let line = err
            .lines()
            .find(|l| l.starts_with("fatal error: goroutine "))
            .expect(&err);
        let expected = format!(" stack overflow (stack size {size} bytes; set GORT_STACK_SIZE)");
        assert!(line.ends_with(&expected), "{line}");
        let goid: u64 = line["fatal error: goroutine ".len()..]
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(goid > 1, "the overflowing goroutine is not main: {line}");
    }
}

/// A program's own SIGSEGV handler, installed before gort's, still gets
/// the faults that are not goroutine overflows — and gort's handler stays
/// in place for the overflow after one (it used to put the other back for
/// good: the overflow then met a handler that returned, and the fault
/// repeated for ever; the fixture is killed after 20 s).
#[test]
fn a_foreign_segv_handler_keeps_its_faults_and_overflows_stay_reported() {
    let (out, _) = run_at_most(
        Command::new(env!("CARGO_BIN_EXE_fixture-stack-overflow")).arg("foreign-handler"),
        Duration::from_secs(20),
    );
    let err = stderr(&out);
    let head: String = err.chars().take(2000).collect();
    assert_eq!(out.status.code(), Some(2), "{head}");
    assert_eq!(
        err.matches("foreign handler saw SIGSEGV").count(),
        1,
        "{head}"
    );
    assert!(err.contains(" stack overflow (stack size "), "{head}");
}

/// Main takes one value from an unbuffered channel and returns while a
/// second sender is blocked in `send(..).unwrap()`; dropping main's
/// receiver fails that send and the sender panics. As in Go (where that
/// send just never completes) the status is main's: 0, in every one of 30
/// runs at GOMAXPROCS 1, 2 and 8, with main's buffered output flushed and
/// nothing on stderr. When main returns an `Err` through `?` instead, the
/// status is 1 every time, never the goroutine's 2.
#[test]
fn main_returning_fixes_the_exit_status_even_if_its_drops_make_a_goroutine_panic() {
    let bin = env!("CARGO_BIN_EXE_fixture-main-drops-wake-a-sender");
    for procs in ["1", "2", "8"] {
        for run_no in 0..30 {
            let out = Command::new(bin)
                .env("GOMAXPROCS", procs)
                .env("RUST_BACKTRACE", "0")
                .output()
                .expect("fixture runs");
            let err = stderr(&out);
            assert_eq!(
                out.status.code(),
                Some(0),
                "GOMAXPROCS={procs}, run {run_no}: stderr: {err}"
            );
            assert_eq!(String::from_utf8_lossy(&out.stdout), "got 1");
            assert!(err.is_empty(), "GOMAXPROCS={procs}: stderr: {err}");
            let out = Command::new(bin)
                .arg("err")
                .env("GOMAXPROCS", procs)
                .env("RUST_BACKTRACE", "0")
                .output()
                .expect("fixture runs");
            assert_eq!(
                out.status.code(),
                Some(1),
                "GOMAXPROCS={procs}, run {run_no} (main returns Err): stderr: {}",
                stderr(&out)
            );
        }
    }
}

#[test]
fn main_returning_ends_the_process_without_waiting_for_goroutines() {
    let (out, took) = run(
        env!("CARGO_BIN_EXE_fixture-main-returns"),
        &[("GOMAXPROCS", "3")],
    );
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("gomaxprocs=3"),
        "GOMAXPROCS is honoured: {text}"
    );
    assert!(
        text.contains("main goroutine=1"),
        "main runs as goroutine 1: {text}"
    );
    assert!(
        took < Duration::from_secs(30),
        "exit must not wait for goroutines"
    );
}

#[test]
fn invalid_environment_values_are_reported_and_ignored() {
    let (out, _) = run(
        env!("CARGO_BIN_EXE_fixture-main-returns"),
        &[
            ("GOMAXPROCS", "zero"),
            ("GORT_STACK_SIZE", "12"),
            ("GORTDEBUG", "gctrace=1"),
        ],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "stderr: {err}");
    assert!(
        err.contains("gort: ignoring GOMAXPROCS=\"zero\": expected a positive integer"),
        "{err}"
    );
    assert!(
        err.contains("gort: ignoring GORT_STACK_SIZE=\"12\": below the minimum"),
        "{err}"
    );
    assert!(
        err.contains("gort: ignoring GORTDEBUG setting \"gctrace=1\": unknown setting"),
        "{err}"
    );
}

/// `GORTDEBUG=schedtrace=100` prints Go's SCHED line about every 100 ms on
/// stderr: over a 1.3 s program, several lines, each with every field and
/// one local-queue length per P.
#[test]
fn schedtrace_prints_gos_sched_line() {
    let (out, _) = run(
        env!("CARGO_BIN_EXE_fixture-idle-sleepers"),
        &[("GORTDEBUG", "schedtrace=100"), ("GOMAXPROCS", "3")],
    );
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("SCHED ")).collect();
    assert!(lines.len() >= 5, "{} SCHED lines:\n{err}", lines.len());
    for line in lines {
        for field in [
            "ms: gomaxprocs=3 ",
            " idleprocs=",
            " threads=",
            " spinningthreads=",
            " idlethreads=",
            " runqueue=",
        ] {
            assert!(line.contains(field), "{field:?} missing in {line:?}");
        }
        let queues = line.rsplit_once('[').map(|(_, q)| q.trim_end_matches(']'));
        assert_eq!(
            queues.map(|q| q.split(' ').count()),
            Some(3),
            "one queue length per P in {line:?}"
        );
    }
}

/// A program whose goroutines all sleep for a second uses under 1 % of a
/// CPU meanwhile (its idle M sleeps in epoll_wait until the timer, and
/// sysmon sleeps while every P is idle), and has no timer thread.
#[test]
fn an_idle_program_uses_under_one_percent_cpu_and_no_timer_thread() {
    let (out, _) = run(env!("CARGO_BIN_EXE_fixture-idle-sleepers"), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let cpu_us: u64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("cpu_us="))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no cpu_us line in {stdout}"));
    assert!(cpu_us < 10_000, "{cpu_us} µs of CPU in a 1 s sleep");
    let threads = stdout
        .lines()
        .find_map(|l| l.strip_prefix("threads="))
        .unwrap();
    assert!(
        !threads.contains("timer"),
        "a timer thread exists: {threads}"
    );
}

/// Run the deadlock fixture with `scenario`: stderr, how long it took,
/// and the exit code (`None` if it was still running after 40 s).
fn deadlock(scenario: &str) -> (String, Duration, Option<i32>) {
    let (out, took) = run_at_most(
        Command::new(env!("CARGO_BIN_EXE_fixture-deadlock")).arg(scenario),
        Duration::from_secs(40),
    );
    (stderr(&out), took, out.status.code())
}

const DEADLOCK: &str = "fatal error: all goroutines are asleep - deadlock!";

/// Every goroutine blocked with nothing left to wake one: Go's report,
/// each goroutine with its wait reason in Go's words, exit status 2 — for
/// an unbuffered send and receive, a select, `select! {}`, and a Mutex /
/// WaitGroup cycle between two goroutines; each with where it blocked.
#[test]
fn a_deadlock_is_reported_with_wait_reasons_and_exit_2() {
    for (scenario, expected) in [
        ("recv", vec!["goroutine 1 [chan receive]:"]),
        ("send", vec!["goroutine 1 [chan send]:"]),
        ("select", vec!["goroutine 1 [select]:"]),
        ("select-forever", vec!["goroutine 1 [select (no cases)]:"]),
        (
            "mutex-waitgroup",
            vec![
                "goroutine 1 [sync.Mutex.Lock]:",
                "goroutine 2 [sync.WaitGroup.Wait]:",
                // Where each blocked and was started (tests/dump.rs checks
                // every blocking API's site).
                "goroutine 2 [sync.WaitGroup.Wait]:\nblocked at tests/fixtures/deadlock.rs:42:",
                "created at tests/fixtures/deadlock.rs:39:13 in goroutine 1",
            ],
        ),
    ] {
        let (err, _, code) = deadlock(scenario);
        assert_eq!(code, Some(2), "{scenario}: {err}");
        assert!(err.starts_with(DEADLOCK), "{scenario}: {err}");
        for line in expected {
            assert!(err.contains(line), "{scenario}: no {line:?} in {err}");
        }
    }
}

/// Timers whose receivers are all dropped — an `after` per pass of a
/// `select!` loop, a dropped `Timer`, a dropped `tick` — are cancelled, so they neither keep
/// memory nor hold off the report: Go 1.23 reports this program at once
/// (checked with go1.27.3). Were they kept, the report would wait 30 s.
#[test]
fn dropped_timers_do_not_hold_off_a_deadlock_report() {
    reported_before_its_timers_fire("timers-dropped", "the dropped 30 s timers were kept");
}

/// Run a deadlock scenario whose only timers are 30 s ones that can wake
/// nobody: it must be reported long before they would fire.
fn reported_before_its_timers_fire(scenario: &str, otherwise: &str) {
    let (err, took, code) = deadlock(scenario);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.starts_with(DEADLOCK), "{err}");
    assert!(
        took < Duration::from_secs(20),
        "reported after {took:?}: {otherwise}"
    );
}

/// The same from `gort::run` on a plain `main`: the main thread parked in
/// `run` cannot wake anyone either.
#[test]
fn a_deadlock_inside_gort_run_is_reported() {
    let out = Command::new(env!("CARGO_BIN_EXE_fixture-deadlock-run"))
        .output()
        .expect("fixture runs");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with(DEADLOCK) && err.contains("goroutine 1 [chan receive]:"),
        "{err}"
    );
}

/// Timers that are held but that nobody is blocked on — a `Timer`, an
/// `after`, a `tick` and a `Ticker` — can wake nobody: Go 1.23 keeps a
/// channel timer in its heap only while a goroutine is blocked on its
/// channel, and reports this program at once (checked with go1.27.3).
#[test]
fn held_timers_nobody_waits_on_do_not_hold_off_a_deadlock_report() {
    reported_before_its_timers_fire("timers-held", "a held 30 s timer held it off");
}

/// Not a deadlock while something can still wake a goroutine: goroutines
/// blocked on 1.5 s timers (`after`, a `Ticker` in a `select!`) or a 1.5 s
/// blocking call delay the report until it ends
/// (then nothing is left, and it comes); a goroutine waiting on a socket
/// is never reported.
#[test]
fn no_deadlock_while_a_timer_a_blocking_call_or_a_socket_can_wake_one() {
    for scenario in ["timer-pending", "syscall"] {
        let (err, took, code) = deadlock(scenario);
        assert_eq!(code, Some(2), "{scenario}: {err}");
        assert!(err.starts_with(DEADLOCK), "{scenario}: {err}");
        assert!(
            took >= Duration::from_millis(1400),
            "{scenario}: reported after {took:?}, before the timer/call ended"
        );
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_fixture-deadlock"))
        .arg("socket")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("fixture runs");
    std::thread::sleep(Duration::from_secs(3));
    let still_running = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    assert!(still_running, "socket wait reported: {}", stderr(&out));
}

/// SIGQUIT (Ctrl-\) makes a gort program print every goroutine with its
/// state and exit with status 2, as a Go program does: here main waits on
/// a WaitGroup while 100 goroutines sleep.
#[test]
fn sigquit_dumps_every_goroutine_and_exits_2() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fixture-idle-sleepers"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("fixture runs");
    // It prints "waiting" just before main waits on the WaitGroup.
    let mut line = String::new();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
    assert_eq!(line, "waiting\n");
    std::thread::sleep(Duration::from_millis(100)); // its goroutines park
    let sent = Command::new("kill")
        .args(["-QUIT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.starts_with("SIGQUIT: quit\n"), "{err}");
    drop(stdout);
    assert!(err.contains("goroutine 1 [sync.WaitGroup.Wait]:"), "{err}");
    let sleeping = err.matches(" [sleep]:").count();
    assert_eq!(sleeping, 100, "{err}");
}

/// `runtime::stack()` lists the calling goroutine as running and a parked
/// one with its wait reason.
#[test]
fn runtime_stack_lists_goroutines_with_their_states() {
    let dump = gort::run(|| {
        let (tx, rx) = gort::chan::<u32>(0);
        let waiter = gort::spawn(move || rx.recv());
        gort::time::sleep(Duration::from_millis(20)); // it parks
        let me = gort::runtime::goroutine_id();
        let dump = gort::runtime::stack();
        tx.send(1).unwrap();
        waiter.join().unwrap().unwrap();
        (me, dump)
    });
    let (me, dump) = dump;
    assert!(
        dump.contains(&format!("goroutine {me} [running]:")),
        "{dump}"
    );
    assert!(dump.contains("[chan receive]:"), "{dump}");
}
