//! Per-descriptor readiness (Go's pollDesc): how a goroutine waits for a
//! socket to become readable or writable without ever missing an event.
//!
//! The netpoller is edge-triggered: the kernel reports "data arrived" once,
//! not "data is there" on every poll. A goroutine's read is: try the
//! syscall; on `WouldBlock`, wait for readiness; try again. An edge that
//! fires *between* the failed syscall and the park must not be lost — that
//! is this file's job. Each direction (read, write) of a descriptor has one
//! [`Slot`] whose state word is:
//!
//! - `EMPTY` — no readiness recorded and nobody waiting;
//! - `READY` — an edge arrived that no waiter has consumed yet;
//! - a waiter — the raw `Arc<G>` of the one goroutine parked on it (aligned,
//!   so never 0 or 1). The net layer lets one goroutine per direction wait
//!   at a time (a gort Mutex per direction, Go's fdMutex).
//!
//! # Transitions and their ordering argument
//! - The poller, on an edge: `swap(READY)`. If it took a waiter, the waiter
//!   is now the poller's to wake.
//! - The waiter, before parking: `compare_exchange(EMPTY → me)`. On failure
//!   the state was `READY` (an edge since its syscall): it consumes it
//!   (`swap(EMPTY)`) and retries the syscall instead of parking.
//! - The waiter, after being woken (or spuriously): `READY` means an edge
//!   took it out — consume and retry; `EMPTY` means the deadline timer
//!   withdrew it (`compare_exchange(me → EMPTY)`); still `me` means a
//!   spurious wake-up — park again.
//!
//! All of these are read-modify-writes on one word, so they are totally
//! ordered (the word's modification order): an edge either precedes the
//! waiter's publish (which then fails and the waiter retries) or follows it
//! (and then the poller takes the waiter and wakes it). No fence is needed
//! for that. Two orderings are needed for what the word carries:
//! - publish is `Release` and the poller's swap `Acquire`: the poller
//!   receives a pointer to a G it must be able to read;
//! - the poller's swap is `Release` and the waiter's consume `Acquire`: the
//!   waiter's retried syscall must see what happened before the edge was
//!   recorded (in the model below, the data the edge announces; in the
//!   kernel, that is the socket's own locking).
//!
//! # Skipping a doomed read
//! After a read that returned fewer bytes than asked for, the socket's
//! buffer was empty, and any byte arriving later records a new edge; so
//! the next read may wait for an edge instead of trying a syscall that
//! would fail (fd.rs `read_stream`). End of file breaks that: it arrives
//! once, as one edge, and a read would return 0 at once; so does TCP
//! urgent data (a read stops short at its mark, with data behind it). So
//! the poller records either as *sticky* before the edge, and a reader that
//! has seen a short read waits only while the slot is not sticky.
//!
//! `loom_tests` below model a read racing an edge from every starting state
//! (empty, an unconsumed stale edge, a deadline timer firing late) and check
//! that the waiter always ends with the data. Make the consume in `publish`
//! `Relaxed` and loom finds the reader parked forever with the data unread
//! (first model); make the consume in `after_park` `Relaxed` and the second
//! model finds the same. The third model runs a reader that skips reads
//! after short ones against data followed by end of file; drop its
//! `is_sticky` check and loom finds it parked forever at end of file.

use crate::loom_shim::{AtomicBool, AtomicUsize};
use std::sync::atomic::Ordering::*;

const EMPTY: usize = 0;
const READY: usize = 1;

/// One direction's readiness and waiter (see the module docs).
pub(crate) struct Slot {
    state: AtomicUsize,
    /// The poller saw this direction closed (end of file, a reset, an
    /// error) or urgent data arrive. Sticky, unlike an edge: such a socket
    /// may hold data (or an end) that no further edge announces, so a
    /// reader that would skip a syscall to wait for an edge (fd.rs
    /// `read_stream`, after a short read) must not once this is set.
    sticky: AtomicBool,
}

/// What a waiter finds when its park returns.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum AfterPark {
    /// Still published: the wake-up was spurious; park again.
    Parked,
    /// An edge arrived (and is now consumed): retry the syscall.
    Ready,
    /// Someone else (the deadline timer) withdrew the waiter.
    Withdrawn,
}

impl Slot {
    pub(crate) fn new() -> Slot {
        Slot {
            state: AtomicUsize::new(EMPTY),
            sticky: AtomicBool::new(false),
        }
    }

    /// Forget any recorded edge (a recycled descriptor; nobody waits).
    pub(crate) fn reset(&self) {
        self.state.store(EMPTY, Relaxed);
        self.sticky.store(false, Relaxed);
    }

    /// The poller saw the direction closed, or urgent data; it records
    /// the edge after.
    pub(crate) fn set_sticky(&self) {
        self.sticky.store(true, Release);
    }

    /// Whether the poller has seen the direction closed or urgent data. (A reader that
    /// consumed the closing edge sees this through that edge's `Acquire`;
    /// one that has not will find the edge when it waits.)
    pub(crate) fn is_sticky(&self) -> bool {
        self.sticky.load(Acquire)
    }

    /// The poller saw an edge. Returns the parked waiter, which the caller
    /// now owns and must wake.
    pub(crate) fn set_ready(&self) -> Option<usize> {
        let old = self.state.swap(READY, AcqRel);
        (old > READY).then_some(old)
    }

    /// The waiter takes a recorded edge, if there is one.
    pub(crate) fn take_ready(&self) -> bool {
        self.state
            .compare_exchange(READY, EMPTY, Acquire, Relaxed)
            .is_ok()
    }

    /// The waiter publishes itself as `w`. False if an edge came first: it
    /// is consumed, `w` stays the caller's, and the caller retries.
    pub(crate) fn publish(&self, w: usize) -> bool {
        debug_assert!(w > READY);
        match self.state.compare_exchange(EMPTY, w, Release, Relaxed) {
            Ok(_) => true,
            Err(old) => {
                debug_assert_eq!(old, READY, "two waiters on one direction");
                self.state.swap(EMPTY, Acquire);
                false
            }
        }
    }

    /// Take waiter `w` out if it is still parked here (a deadline passed).
    /// True if withdrawn: the caller now owns `w` and must wake it.
    pub(crate) fn withdraw(&self, w: usize) -> bool {
        self.state
            .compare_exchange(w, EMPTY, Acquire, Relaxed)
            .is_ok()
    }

    /// The parked waiter, if any (for the deadline timer).
    pub(crate) fn waiter(&self) -> Option<usize> {
        let s = self.state.load(Acquire);
        (s > READY).then_some(s)
    }

    /// The waiter `w`, back from a park: what happened (see [`AfterPark`]).
    pub(crate) fn after_park(&self, w: usize) -> AfterPark {
        match self.state.load(Relaxed) {
            s if s == w => AfterPark::Parked,
            READY => {
                self.state.swap(EMPTY, Acquire);
                AfterPark::Ready
            }
            _ => AfterPark::Withdrawn,
        }
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::sync::atomic::AtomicBool;
    use loom::sync::Arc;
    use loom::thread;

    /// The waiter's stand-in for an `Arc<G>` pointer.
    const ME: usize = 8;

    /// One goroutine reading: "syscall" (load `data`), and on WouldBlock
    /// wait for an edge. loom's park has a G's token semantics: an unpark
    /// before the park makes it return at once.
    fn read(slot: &Slot, data: &AtomicBool) {
        loop {
            if data.load(Relaxed) {
                return;
            }
            if slot.take_ready() || !slot.publish(ME) {
                continue;
            }
            loop {
                thread::park();
                match slot.after_park(ME) {
                    AfterPark::Parked => continue,
                    AfterPark::Ready | AfterPark::Withdrawn => break,
                }
            }
        }
    }

    /// Park until the slot records an edge (or a spurious wake-up).
    fn wait_edge(slot: &Slot) {
        if slot.take_ready() || !slot.publish(ME) {
            return;
        }
        while slot.after_park(ME) == AfterPark::Parked {
            thread::park();
        }
    }

    /// A byte arrives, then end of file, each with its edge, while a
    /// reader that skips the syscall after a short read (unless the slot
    /// is closed) reads: it always gets the byte and then sees the end.
    /// The socket is one word (as the kernel's socket lock makes it):
    /// bit 0 a byte waiting, bit 1 end of file.
    #[test]
    fn a_reader_that_skips_doomed_reads_still_sees_end_of_file() {
        loom::model(|| {
            let slot = Arc::new(Slot::new());
            let socket = Arc::new(AtomicUsize::new(0));
            let reader = thread::current();
            let peer = {
                let (slot, socket) = (slot.clone(), socket.clone());
                thread::spawn(move || {
                    socket.fetch_or(1, Relaxed);
                    if slot.set_ready().is_some() {
                        reader.unpark();
                    }
                    socket.fetch_or(2, Relaxed);
                    slot.set_sticky();
                    if slot.set_ready().is_some() {
                        reader.unpark();
                    }
                })
            };
            let mut short_read = false;
            loop {
                if short_read && !slot.is_sticky() {
                    wait_edge(&slot);
                }
                // The "read": the byte if there is one (a short read), else
                // end of file if it has come, else WouldBlock.
                let s = socket.fetch_and(!1, Relaxed);
                if s & 1 != 0 {
                    short_read = true;
                } else if s & 2 != 0 {
                    break;
                } else {
                    short_read = false;
                    wait_edge(&slot);
                }
            }
            peer.join().unwrap();
        });
    }

    /// Data arrives and its edge is recorded while the reader tries,
    /// publishes and parks: from an empty slot and from one holding a
    /// stale, unconsumed edge, the reader always ends with the data.
    #[test]
    fn an_edge_between_the_syscall_and_the_park_is_never_lost() {
        for stale_edge in [false, true] {
            loom::model(move || {
                let slot = Arc::new(Slot::new());
                if stale_edge {
                    slot.set_ready();
                }
                let data = Arc::new(AtomicBool::new(false));
                let reader = thread::current();
                let poller = {
                    let (slot, data) = (slot.clone(), data.clone());
                    thread::spawn(move || {
                        data.store(true, Relaxed);
                        if let Some(w) = slot.set_ready() {
                            assert_eq!(w, ME);
                            reader.unpark();
                        }
                    })
                };
                read(&slot, &data);
                poller.join().unwrap();
            });
        }
    }

    /// A deadline timer that withdraws the waiter races the edge: each
    /// publication is taken by at most one of them (a CAS), the reader gets
    /// its data either way (after a timeout it tries again, as a read with
    /// a later deadline would), and no waiter is left behind in the slot.
    #[test]
    fn a_late_timer_and_an_edge_never_strand_the_reader() {
        loom::model(|| {
            let slot = Arc::new(Slot::new());
            let data = Arc::new(AtomicBool::new(false));
            let reader = thread::current();
            let poller = {
                let (slot, data, reader) = (slot.clone(), data.clone(), reader.clone());
                thread::spawn(move || {
                    data.store(true, Relaxed);
                    if slot.set_ready().is_some() {
                        reader.unpark();
                    }
                })
            };
            let timer = {
                let slot = slot.clone();
                thread::spawn(move || {
                    if slot.withdraw(ME) {
                        reader.unpark();
                    }
                })
            };
            read(&slot, &data);
            poller.join().unwrap();
            timer.join().unwrap();
            assert_ne!(slot.state.load(Relaxed), ME, "a waiter left in the slot");
        });
    }
}
