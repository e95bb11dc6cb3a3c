//! gort::signal through the public API: signals sent to this process (with
//! `kill`) arrive on the channels of the subscribers that asked for them,
//! including SIGINT, which then no longer ends the process. One test: the
//! signals are process-wide, so the checks run one after another.

use gort::signal::{self, Signal};
use std::time::Duration;

fn send(sig: &str) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{sig}"), &std::process::id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

fn arrives(rx: &gort::Receiver<Signal>) -> Option<Signal> {
    rx.recv_timeout(Duration::from_secs(5)).ok()
}

fn nothing_arrives(rx: &gort::Receiver<Signal>) -> bool {
    rx.recv_timeout(Duration::from_millis(50)).is_err()
}

#[test]
fn signals_reach_the_subscribers_that_asked_for_them() {
    gort::run(|| {
        let usr1_a = signal::notify(&[Signal::USER1]);
        let usr1_b = signal::notify(&[Signal::USER1, Signal::USER2]);
        let usr2 = signal::notify(&[Signal::USER2]);
        send("USR1");
        assert_eq!(arrives(&usr1_a), Some(Signal::USER1));
        assert_eq!(arrives(&usr1_b), Some(Signal::USER1));
        assert!(nothing_arrives(&usr2), "USR2's subscriber got USR1");

        // A dropped subscriber is forgotten; the others still hear.
        drop(usr1_a);
        send("USR2");
        assert_eq!(arrives(&usr1_b), Some(Signal::USER2));
        assert_eq!(arrives(&usr2), Some(Signal::USER2));

        // Ctrl-C no longer ends the process once asked for, and shows up
        // in a select! like any channel.
        let stop = signal::notify(&[Signal::INTERRUPT, Signal::TERMINATE]);
        send("INT");
        let got = gort::select! {
            s = <-&stop => s.ok(),
            <-gort::time::after(Duration::from_secs(5)) => None,
        };
        assert_eq!(got, Some(Signal::INTERRUPT));
        assert_eq!(got.unwrap().to_string(), "interrupt");
        assert_eq!(Signal::TERMINATE.to_string(), "terminated");

        // What cannot be delivered is ignored, not an error.
        let never = signal::notify(&[Signal::from_raw(9), Signal::from_raw(11)]);
        assert!(nothing_arrives(&never));
        assert!(signal::try_notify(&[Signal::HANGUP]).is_ok());
    });
}
