//! The macros at run time, through the public API only: `go!` evaluates a call's operands
//! in the spawner before it returns and runs the call in a new goroutine; `#[gort::test]`
//! runs a test's body as a goroutine, keeping its attributes and return type.
//!
//! Nothing here blocks a goroutine on a std channel while another goroutine must run to
//! unblock it (that could stall a runtime with one P): goroutines only send, and the test
//! thread, outside the runtime, waits.

use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Who did what, in the order it happened.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<&'static str>>>);

impl Log {
    fn note(&self, event: &'static str) -> &'static str {
        self.0.lock().unwrap().push(event);
        event
    }

    fn events(&self) -> Vec<&'static str> {
        self.0.lock().unwrap().clone()
    }
}

/// Waits, outside the runtime, for a goroutine to report that it ran.
fn wait_for(done: mpsc::Receiver<()>) {
    done.recv_timeout(Duration::from_secs(30))
        .expect("the goroutine ran");
}

/// `log` without the goroutine's `"call"`, and where `"call"` was.
fn split_call(log: &Log) -> (Vec<&'static str>, usize) {
    let events = log.events();
    let call = events
        .iter()
        .position(|&e| e == "call")
        .expect("the call ran");
    let spawner = events.into_iter().filter(|&e| e != "call").collect();
    (spawner, call)
}

fn record(log: Log, _a: &str, _b: &str, done: Sender<()>) {
    log.note("call");
    done.send(()).unwrap();
}

#[test]
fn call_arguments_are_evaluated_in_order_before_go_returns() {
    let log = Log::default();
    let (done, finished) = mpsc::channel();
    let spawner = log.clone();
    gort::run(move || {
        let log = spawner;
        gort::go!(record(log.clone(), log.note("a"), log.note("b"), done));
        log.note("go! returned");
    });
    wait_for(finished);
    let (spawner, call) = split_call(&log);
    assert_eq!(spawner, ["a", "b", "go! returned"]);
    assert!(
        call >= 2,
        "the call ran before its arguments were evaluated: {:?}",
        log.events()
    );
}

#[test]
fn a_computed_callee_is_evaluated_before_the_arguments() {
    fn pick(log: &Log) -> fn(Log, &str, &str, Sender<()>) {
        log.note("callee");
        record
    }
    let log = Log::default();
    let (done, finished) = mpsc::channel();
    let spawner = log.clone();
    gort::run(move || {
        let log = spawner;
        gort::go!(pick(&log)(log.clone(), log.note("a"), log.note("b"), done));
        log.note("go! returned");
    });
    wait_for(finished);
    let (spawner, call) = split_call(&log);
    assert_eq!(spawner, ["callee", "a", "b", "go! returned"]);
    assert!(call >= 3, "{:?}", log.events());
}

struct Worker(Log);

impl Worker {
    fn run(&self, _a: &str, done: Sender<()>) {
        self.0.note("call");
        done.send(()).unwrap();
    }
}

#[test]
fn a_computed_receiver_is_evaluated_before_the_arguments() {
    fn hire(log: &Log) -> Worker {
        log.note("receiver");
        Worker(log.clone())
    }
    let log = Log::default();
    let (done, finished) = mpsc::channel();
    let spawner = log.clone();
    gort::run(move || {
        let log = spawner;
        gort::go!(hire(&log).run(log.note("a"), done));
        log.note("go! returned");
    });
    wait_for(finished);
    let (spawner, call) = split_call(&log);
    assert_eq!(spawner, ["receiver", "a", "go! returned"]);
    assert!(call >= 2, "{:?}", log.events());
}

#[test]
fn closures_and_blocks_run_in_a_goroutine() {
    let (done, finished) = mpsc::channel();
    gort::run(move || {
        let also = done.clone();
        gort::go!(move || done.send("closure").unwrap());
        gort::go!({ also.send("block").unwrap() });
    });
    let mut got: Vec<_> = finished.iter().collect();
    got.sort();
    assert_eq!(got, ["block", "closure"]);
}

#[gort::test]
fn a_test_body_may_start_goroutines() {
    let (done, _finished) = mpsc::channel();
    gort::go!(move || done.send(()).unwrap_or(()));
}

#[gort::test]
fn a_test_may_return_a_result() -> Result<(), std::num::ParseIntError> {
    assert_eq!("42".parse::<u32>()?, 42);
    Ok(())
}

#[gort::test]
#[should_panic(expected = "boom")]
fn a_panic_in_the_body_fails_the_test() {
    panic!("boom");
}
