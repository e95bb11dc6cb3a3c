//! A P's preemption request: the `preempt` flag sysmon sets when the P's
//! time slice is over, and that whoever ends the slice clears.
//!
//! # The race it must survive
//! sysmon sets the flag only on a P it saw running; the P's M clears the
//! flag whenever the P leaves service (goes idle, is retired) or starts a
//! new slice. Between sysmon's look at the status and its setting of the
//! flag, the P may leave service, having cleared a flag that was still
//! unset. Nobody would clear the flag sysmon sets next, and a flag left on
//! an idle P keeps `PREEMPT_PENDING` above zero, which sends every
//! checkpoint in the program down its slow path.
//!
//! # The protocol
//! A Dekker pair, each side's write and read separated by a `SeqCst` fence:
//! * sysmon (`request`): swap the flag to true, fence, load the status; if
//!   the P is no longer running, clear the flag itself;
//! * the M (`leave_service`): store the new status, fence, clear the flag.
//!
//! The two fences are ordered one way or the other. If the M's comes first,
//! sysmon's status load sees the M's store (the P out of service) and
//! clears; if sysmon's comes first, the M's flag load sees sysmon's swap
//! and clears. Both may clear; the clear is a swap, so exactly one of them
//! takes the flag down and uncounts it. (`SeqCst` on the four accesses would
//! also do, but loom checks only fences — it models SeqCst accesses as
//! acquire/release and rejected that version.) `loom_tests` below checks it from both initial flag states, and
//! fails with either fence removed.

use super::p::P_RUNNING;
use crate::loom_shim::{fence, AtomicBool, AtomicU8};
use std::sync::atomic::Ordering::{Relaxed, SeqCst};

/// What `request` did to the count of set flags.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Requested {
    /// The flag was already set: nothing changed.
    AlreadySet,
    /// This call set it (count one more).
    Set,
    /// This call set it, then found the P out of service and took it down
    /// again (no change to the count).
    Withdrawn,
}

/// sysmon: ask the goroutine on a P it saw running to give up the P.
pub(crate) fn request(flag: &AtomicBool, status: &AtomicU8) -> Requested {
    if flag.swap(true, Relaxed) {
        return Requested::AlreadySet;
    }
    fence(SeqCst); // the flag, then the status: see the module docs
    if status.load(Relaxed) != P_RUNNING && clear(flag) {
        return Requested::Withdrawn;
    }
    Requested::Set
}

/// Take the request down; true if this call did (uncount it).
pub(crate) fn clear(flag: &AtomicBool) -> bool {
    flag.load(Relaxed) && flag.swap(false, Relaxed)
}

/// The P's M: the P leaves service (`new_status` is idle or dead). Status
/// first, then the flag; true if this call took a request down.
pub(crate) fn leave_service(status: &AtomicU8, new_status: u8, flag: &AtomicBool) -> bool {
    status.store(new_status, Relaxed);
    fence(SeqCst); // the status, then the flag: see the module docs
    clear(flag)
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use crate::runtime::p::P_IDLE;
    use loom::sync::atomic::AtomicIsize;
    use loom::sync::Arc;

    /// sysmon requests preemption of a P it saw running while the P's M
    /// takes it out of service, from both initial flag states (an earlier
    /// request still pending, or none). Afterwards no flag is left on the
    /// idle P, and the count of set flags matches the flag.
    #[test]
    fn no_request_is_left_on_an_idle_p() {
        for initially_set in [false, true] {
            loom::model(move || {
                let flag = Arc::new(AtomicBool::new(initially_set));
                let status = Arc::new(AtomicU8::new(P_RUNNING));
                let count = Arc::new(AtomicIsize::new(isize::from(initially_set)));
                let sysmon = {
                    let (flag, status, count) = (flag.clone(), status.clone(), count.clone());
                    loom::thread::spawn(move || {
                        if request(&flag, &status) == Requested::Set {
                            count.fetch_add(1, SeqCst);
                        }
                    })
                };
                if leave_service(&status, P_IDLE, &flag) {
                    count.fetch_sub(1, SeqCst);
                }
                sysmon.join().unwrap();
                let left = flag.load(SeqCst);
                assert!(!left, "a request was left on an idle P");
                assert_eq!(
                    count.load(SeqCst),
                    isize::from(left),
                    "count and flag disagree"
                );
            });
        }
    }
}
