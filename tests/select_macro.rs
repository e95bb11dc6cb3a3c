//! `select!` at run time, through the public API only: every arm shape; `break`,
//! `continue`, `return` and `?` in arms; the macro's value; `Option` operands as Go's nil
//! channels; Go's rule that operands and send values are evaluated exactly once, in source
//! order; `default` when nothing is ready.
//!
//! Channels here are buffered or already closed wherever a case must be ready, so no test
//! depends on another goroutine being scheduled, except the few that say so.

use gort::chan::{RecvError, SendError};
use gort::{Receiver, Sender};
use std::cell::RefCell;
use std::time::Duration;

/// A channel with `values` buffered (capacity: at least one free slot).
fn filled<T: Send>(values: impl IntoIterator<Item = T>) -> (Sender<T>, Receiver<T>) {
    let values: Vec<T> = values.into_iter().collect();
    let (tx, rx) = gort::chan(values.len() + 1);
    for v in values {
        assert!(tx.try_send(v).is_ok(), "room in the buffer");
    }
    (tx, rx)
}

/// A channel on which nothing is ready: empty, unbuffered, open.
fn idle<T: Send>() -> (Sender<T>, Receiver<T>) {
    gort::chan(0)
}

// ---------------------------------------------------------------------------------------
// arm shapes
// ---------------------------------------------------------------------------------------

#[gort::test]
fn a_bound_receive_gets_the_value_then_the_close() {
    let (tx, rx) = filled([7]);
    assert_eq!(gort::select! { v = <-rx => v }, Ok(7));
    tx.close();
    assert_eq!(gort::select! { v = <-rx => v }, Err(RecvError));
    // A closed channel stays ready.
    assert_eq!(gort::select! { v = <-rx => v }, Err(RecvError));
}

#[gort::test]
fn an_unbound_receive_takes_the_value_and_drops_it() {
    let (_tx, rx) = filled([String::from("taken")]);
    let ran = gort::select! { <-rx => true };
    assert!(ran);
    assert_eq!(rx.len(), 0);
}

#[gort::test]
fn a_send_delivers_its_value() {
    let (tx, rx) = gort::chan::<Vec<u8>>(1);
    let ran = gort::select! { tx <- vec![1, 2] => true };
    assert!(ran);
    assert_eq!(rx.recv(), Ok(vec![1, 2]));
}

#[gort::test]
#[should_panic(expected = "send on closed channel")]
fn an_unbound_send_on_a_closed_channel_panics_as_in_go() {
    let (tx, _rx) = gort::chan::<u8>(1);
    tx.close();
    gort::select! { tx <- 1 => {} }
}

#[gort::test]
fn a_bound_send_gets_its_value_back_from_a_closed_channel() {
    let (tx, rx) = gort::chan::<String>(1);
    let r = gort::select! { r = tx <- String::from("ok") => r };
    assert!(r.is_ok());
    assert_eq!(rx.recv().as_deref(), Ok("ok"));
    tx.close();
    let r = gort::select! { r = tx <- String::from("back") => r };
    match r {
        Err(SendError(v)) => assert_eq!(v, "back"),
        Ok(()) => panic!("sent on a closed channel"),
    }
}

#[gort::test]
fn a_timeout_is_a_receive_on_after() {
    let (_tx, rx) = idle::<u8>();
    let timed_out = gort::select! {
        _ = <-rx => false,
        <-gort::time::after(Duration::from_millis(5)) => true,
    };
    assert!(timed_out);
    let at = gort::select! { t = <-gort::time::after(Duration::ZERO) => t.unwrap() };
    assert!(at <= std::time::Instant::now());
}

#[gort::test]
fn a_ticker_is_an_operand() {
    let ticker = gort::time::Ticker::new(Duration::from_millis(1));
    for _ in 0..2 {
        gort::select! {
            t = <-ticker => assert!(t.is_ok()),
        }
    }
}

#[gort::test]
fn default_runs_when_nothing_is_ready() {
    let (_tx, rx) = idle::<u8>();
    let (tx2, _rx2) = idle::<u8>();
    let ran_default = gort::select! {
        <-rx => false,
        tx2 <- 1 => false,
        default => true,
    };
    assert!(ran_default);
    // Only a default: it runs.
    let only = gort::select! { default => "default" };
    assert_eq!(only, "default");
}

#[gort::test]
fn a_ready_case_wins_over_default_wherever_default_is_written() {
    let (_tx, rx) = filled([1, 2]);
    let first = gort::select! { default => 0, v = <-rx => v.unwrap() };
    let second = gort::select! { v = <-rx => v.unwrap(), default => 0 };
    assert_eq!((first, second), (1, 2));
}

#[gort::test]
fn bodies_may_be_blocks_or_expressions_and_bindings_mut() {
    let zero = 0;
    let (_tx, rx) = filled([1]);
    let (_tx2, rx2) = idle::<i32>();
    let v = gort::select! {
        mut v = <-rx => {
            v = v.map(|v| v * 10);
            v.unwrap()
        }
        v = <-rx2 => if v.is_ok() { 1 } else { 2 }
        default => match zero { 0 => 3, _ => 4 }
    };
    assert_eq!(v, 10);
}

#[gort::test]
fn when_several_cases_are_ready_each_is_chosen() {
    // Go picks uniformly at random: over 2000 rounds each side must show up often (the
    // chance of fewer than 500 for a fair coin is below 1e-100).
    let (a_tx, a) = gort::chan::<u8>(1);
    let (b_tx, b) = gort::chan::<u8>(1);
    let mut counts = [0; 2];
    for _ in 0..2000 {
        // The side not chosen last round is still full: its `try_send` fails, harmlessly.
        let _ = a_tx.try_send(0);
        let _ = b_tx.try_send(1);
        let i = gort::select! {
            v = <-a => v.unwrap(),
            v = <-b => v.unwrap(),
        };
        counts[usize::from(i)] += 1;
    }
    assert!(counts.iter().all(|&n| n > 500), "{counts:?}");
}

// ---------------------------------------------------------------------------------------
// control flow: arms are inline code
// ---------------------------------------------------------------------------------------

#[gort::test]
fn break_and_continue_act_on_the_enclosing_loop() {
    let (tx, rx) = filled([1, 2, 3, 4]);
    tx.close();
    let mut seen = Vec::new();
    let last = loop {
        gort::select! {
            v = <-rx => match v {
                Ok(v) if v % 2 == 0 => continue,
                Ok(v) => seen.push(v),
                Err(RecvError) => break "closed",
            },
        }
    };
    assert_eq!(seen, [1, 3]);
    assert_eq!(last, "closed");
}

#[gort::test]
fn labelled_breaks_and_continues_cross_nested_selects() {
    let (_tx, rx) = filled([1, 2]);
    let (tx2, rx2) = gort::chan(1);
    let mut rounds = 0;
    'outer: loop {
        rounds += 1;
        if rounds == 2 {
            tx2.send(()).unwrap();
        }
        gort::select! {
            <-rx => gort::select! {
                <-rx2 => break 'outer,
                default => continue 'outer,
            },
            default => panic!("rx had a value"),
        }
    }
    assert_eq!(rounds, 2);
}

#[gort::test]
fn return_leaves_the_function() {
    fn first_ready(a: &Receiver<u8>, b: &Receiver<u8>) -> &'static str {
        gort::select! {
            <-a => return "a",
            <-b => return "b",
            default => {}
        }
        "none"
    }
    let (_atx, a) = filled([1]);
    let (_btx, b) = idle();
    assert_eq!(first_ready(&a, &b), "a");
    assert_eq!(first_ready(&b, &b), "none");
}

#[gort::test]
fn the_question_mark_propagates_from_an_arm() {
    fn next(rx: &Receiver<u8>) -> Result<u8, RecvError> {
        let v = gort::select! {
            v = <-rx => v? + 1,
        };
        Ok(v)
    }
    let (tx, rx) = filled([41]);
    assert_eq!(next(&rx), Ok(42));
    tx.close();
    assert_eq!(next(&rx), Err(RecvError));
}

#[gort::test]
fn select_is_an_expression_of_the_arms_type() {
    let (_tx, rx) = filled(["x"]);
    let len: usize = gort::select! {
        v = <-rx => v.unwrap().len(),
        default => 0,
    } + 1;
    assert_eq!(len, 2);
    // A statement when every arm is `()`.
    gort::select! {
        default => {}
    }
    // `select! {}` never returns, so it has every type.
    fn _blocks_forever() -> u32 {
        gort::select! {}
    }
}

// ---------------------------------------------------------------------------------------
// operands
// ---------------------------------------------------------------------------------------

#[gort::test]
fn none_is_a_nil_channel_that_never_fires() {
    let (tx, rx) = filled([5]);
    let nil_rx: Option<Receiver<i32>> = None;
    let nil_tx: Option<&Sender<i32>> = None;
    for _ in 0..50 {
        let fired = gort::select! {
            <-nil_rx => "nil receive",
            nil_tx <- 1 => "nil send",
            default => "default",
        };
        assert_eq!(fired, "default");
    }
    // `Some` operands work like the channel itself; owned or borrowed.
    let some_rx = Some(rx);
    let v = gort::select! { v = <-some_rx => v };
    assert_eq!(v, Ok(5));
    let some_tx = Some(&tx);
    gort::select! { some_tx <- 6 => {} }
    assert_eq!(some_rx.as_ref().map(|rx| rx.recv()), Some(Ok(6)));
    // Switching a case off and on, the idiom nil channels exist for.
    let mut source = some_rx;
    let mut got = Vec::new();
    tx.send(7).unwrap();
    tx.close();
    while source.is_some() {
        gort::select! {
            v = <-source.as_ref() => match v {
                Ok(v) => got.push(v),
                Err(RecvError) => source = None,
            },
        }
    }
    assert_eq!(got, [7]);
}

#[gort::test]
fn operands_are_borrowed_not_moved() {
    let (tx, rx) = gort::chan::<u8>(1);
    for i in 0..3 {
        gort::select! {
            tx <- i => {}
        }
        gort::select! {
            v = <-rx => assert_eq!(v, Ok(i)),
        }
    }
    // Both are still ours.
    drop((tx, rx));
}

#[gort::test]
fn operands_may_be_places_references_and_calls() {
    struct Pipes {
        out: Sender<u8>,
        ins: Vec<Receiver<u8>>,
    }
    let (out, out_rx) = gort::chan(1);
    let (_keep, in0) = filled([9]);
    let pipes = Pipes {
        out,
        ins: vec![in0],
    };
    gort::select! { pipes.out <- 1 => {} }
    gort::select! { &pipes.out <- 2 => panic!("full"), default => {} }
    assert_eq!(out_rx.recv(), Ok(1));
    let v = gort::select! { v = <-pipes.ins[0] => v };
    assert_eq!(v, Ok(9));
    let drained = gort::select! { <-pipes.ins.first().unwrap() => false, default => true };
    assert!(drained);
}

#[gort::test]
fn send_values_take_the_channels_element_type() {
    // The value is typed by the channel: closures, `Default` and `into` infer from it.
    let (tx, rx) = gort::chan::<Box<dyn Fn(u32) -> u32 + Send>>(1);
    gort::select! { tx <- Box::new(|x| x + 1) => {} }
    assert_eq!((rx.recv().unwrap())(1), 2);
    let (tx, rx) = gort::chan::<(u8, String)>(1);
    gort::select! { tx <- Default::default() => {} }
    assert_eq!(rx.recv(), Ok((0, String::new())));
    let (tx, rx) = gort::chan::<u64>(1);
    gort::select! { tx <- 7u8.into() => {} }
    assert_eq!(rx.recv(), Ok(7));
}

#[gort::test]
fn operands_and_values_are_evaluated_once_in_source_order() {
    let log = RefCell::new(Vec::new());
    let note = |what: &'static str| log.borrow_mut().push(what);
    let (_atx, a) = idle::<u8>();
    let (btx, _brx) = idle::<u8>();
    let (ctx, c) = filled([3u8]);
    let (dtx, _drx) = idle::<u8>();
    let chosen = gort::select! {
        <-{ note("a"); &a } => "a",
        { note("b"); &btx } <- { note("b value"); 1 } => "b",
        v = <-{ note("c"); &c } => { note("c body"); v.map(|_| "c").unwrap() }
        { note("d"); &dtx } <- { note("d value"); 2 } => "d",
    };
    assert_eq!(chosen, "c");
    assert_eq!(
        *log.borrow(),
        ["a", "b", "b value", "c", "d", "d value", "c body"]
    );
    drop(ctx);
}

#[gort::test]
fn values_of_cases_not_chosen_are_dropped_not_sent() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = idle::<Counted>();
    let ran_default = gort::select! {
        tx <- Counted(drops.clone()) => false,
        default => true,
    };
    assert!(ran_default);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    assert!(rx.try_recv().is_err());
}

#[gort::test]
fn select_waits_for_another_goroutine() {
    // Needs the scheduler: the sender is a goroutine, and select parks until it sends.
    let (tx, rx) = gort::chan::<&str>(0);
    let (_tx2, rx2) = idle::<&str>();
    gort::go!(move || tx.send("from a goroutine").unwrap());
    let got = gort::select! {
        v = <-rx => v,
        v = <-rx2 => v,
    };
    assert_eq!(got, Ok("from a goroutine"));
    // And a send that parks until a receiver comes.
    let (tx, rx) = gort::chan::<u32>(0);
    let (done_tx, done) = gort::chan::<u32>(0);
    gort::go!(move || done_tx.send(rx.recv().unwrap()).unwrap());
    gort::select! { tx <- 99 => {} }
    assert_eq!(done.recv(), Ok(99));
}

#[gort::test]
fn names_in_arms_cannot_clash_with_the_expansion() {
    // The expansion's locals are hygienic: a user's `__gort_op0` is a different variable.
    let __gort_op0 = 5;
    let __gort_case0 = "mine";
    let (_tx, rx) = filled([1]);
    let got = gort::select! {
        __gort_chosen = <-rx => (__gort_chosen, __gort_op0, __gort_case0),
    };
    assert_eq!(got, (Ok(1), 5, "mine"));
}
