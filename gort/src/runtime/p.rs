//! P: a processor — the right to run goroutines, and the per-P state that
//! makes running them cheap: a local run queue with a `runnext` slot, caches
//! of free Gs and free stacks, and a batch of goroutine ids. The caches
//! trade with lock-free global pools (batch_pool.rs) only when full or
//! empty, so creating and finishing a goroutine takes no lock.
//!
//! There are exactly GOMAXPROCS Ps in use. A P is held by at most one M; the
//! fields under `local` are touched only by that M (ownership passes with the
//! P through the scheduler lock or an M's `next_p` hand-off, both of which
//! order memory). Other fields are shared, and say who writes them.

use super::g::G;
use super::runq::RunQueue;
use super::sched::Sched;
use crate::loom_shim::{AtomicBool, AtomicU8};
use crate::stack::{Stack, StackPool, CACHE_MAX};
use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicI64, AtomicU32, Ordering::*};
use std::sync::Arc;

/// P status (cf. Go's _Pidle, _Prunning, _Pdead, _Psyscall).
pub(crate) const P_IDLE: u8 = 0;
pub(crate) const P_RUNNING: u8 = 1;
pub(crate) const P_DEAD: u8 = 2;
/// Its M is in a blocking call (`gort::syscall`) and has let go of it;
/// the M (coming back) or sysmon (retaking it) claims it by CAS.
pub(crate) const P_SYSCALL: u8 = 3;

/// Most Gs taken from the global queue at once: one local queue's overflow
/// (half a ring plus the G that did not fit). Go takes at most half a ring
/// (`len(pp.runq)/2`), one fewer: its global queue is a linked list, where
/// taking 128 of an overflow's 129 costs nothing, but ours would then send
/// the 129th to the back of the queue on every refill (global.rs).
pub(crate) const BATCH_MAX: usize = super::runq::CAP / 2 + 1;

/// Free Gs a P keeps; half move to the global pool when it is full (Go:
/// 64, moving down to 32).
const GFREE_MAX: usize = 64;

/// How many goroutine ids a P takes from the global counter at a time (Go's
/// `_GoidCacheBatch`).
const GOID_BATCH: u64 = 16;

pub(crate) struct P {
    pub(crate) id: usize,
    /// Local run queue; see runq.rs for who may touch what.
    pub(crate) runq: RunQueue<G>,
    /// Time slices started here; written by the owner, read by sysmon.
    pub(crate) schedtick: AtomicU32,
    /// Set by sysmon when the current time slice has run too long; cleared by
    /// the owner when it starts a new slice.
    pub(crate) preempt: AtomicBool,
    /// Goroutines created here minus goroutines that finished here; written
    /// by the owner only (so a plain load+store), summed by num_goroutine.
    pub(crate) live: AtomicI64,
    /// Blocking calls entered here; written by the owner, read by sysmon.
    pub(crate) syscalltick: AtomicU32,
    /// P_IDLE, P_RUNNING or P_DEAD, written under the scheduler lock; or
    /// P_SYSCALL, which the owner sets and exactly one CAS leaves (the M
    /// back from its call, or sysmon retaking the P: syscall.rs).
    pub(crate) status: AtomicU8,
    local: UnsafeCell<PLocal>,
}

/// State only the owning M touches.
pub(crate) struct PLocal {
    pub(crate) stacks: Vec<Stack>,
    /// Finished Gs kept for reuse (cf. Go's `p.gFree`).
    gfree: Vec<Arc<G>>,
    goid_next: u64,
    goid_end: u64,
    /// xorshift state for the steal order.
    rng: u32,
}

// SAFETY: `local` is touched only by the M holding the P (see the header);
// everything else is atomic or immutable.
unsafe impl Sync for P {}

impl P {
    pub(crate) fn new(id: usize) -> P {
        P {
            id,
            runq: RunQueue::new(),
            schedtick: AtomicU32::new(0),
            syscalltick: AtomicU32::new(0),
            preempt: AtomicBool::new(false),
            live: AtomicI64::new(0),
            status: AtomicU8::new(P_DEAD),
            local: UnsafeCell::new(PLocal {
                stacks: Vec::with_capacity(CACHE_MAX),
                gfree: Vec::with_capacity(GFREE_MAX),
                goid_next: 0,
                goid_end: 0,
                rng: (id as u32).wrapping_mul(0x9E37_79B9) | 1,
            }),
        }
    }

    /// The owner-only state.
    ///
    /// # Safety
    /// The caller's M must hold this P, and must not hold another reference
    /// returned by this function.
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn local(&self) -> &mut PLocal {
        // SAFETY: exclusivity is the caller's contract.
        unsafe { &mut *self.local.get() }
    }

    /// Owner only: count a goroutine created (+1) or finished (-1) here.
    pub(crate) fn add_live(&self, d: i64) {
        self.live.store(self.live.load(Relaxed) + d, Relaxed);
    }
}

impl PLocal {
    /// Next goroutine id, from a batch taken from `counter`.
    pub(crate) fn next_goid(&mut self, counter: &std::sync::atomic::AtomicU64) -> u64 {
        if self.goid_next == self.goid_end {
            self.goid_next = counter.fetch_add(GOID_BATCH, Relaxed);
            self.goid_end = self.goid_next + GOID_BATCH;
        }
        self.goid_next += 1;
        self.goid_next - 1
    }

    /// A G ready to run `f`: a recycled one if any, else a new one.
    pub(crate) fn new_g<F: FnOnce() + Send + 'static>(
        &mut self,
        sched: &Sched,
        id: u64,
        f: F,
        created: super::g::Created,
    ) -> Arc<G> {
        if self.gfree.is_empty() {
            sched.gfree_take_into(&mut self.gfree);
        }
        match self.gfree.pop() {
            Some(g) => {
                // SAFETY: a G in a free pool runs no goroutine, and only the
                // pool (now us) and allgs reference it (`free_g`).
                unsafe { g.reuse(id, f, created) };
                g
            }
            None => {
                let g = G::new(id, f);
                g.set_created(created);
                sched.register_g(Arc::new(g))
            }
        }
    }

    /// Keep a finished G for reuse if nothing else references it.
    pub(crate) fn free_g(&mut self, g: Arc<G>, sched: &Sched) {
        g.mark_dead();
        if !sched.only_allgs_and(&g) {
            // A stale waker still holds it: reusable once it lets go.
            sched.zombie(g);
            return;
        }
        if self.gfree.len() == GFREE_MAX {
            sched.gfree_put(self.gfree.drain(..GFREE_MAX / 2));
        }
        self.gfree.push(g);
    }

    /// A free stack, from the cache or the global pool.
    pub(crate) fn get_stack(&mut self, pool: &StackPool) -> Stack {
        if self.stacks.is_empty() {
            if let Err(e) = pool.refill(&mut self.stacks) {
                crate::runtime::fatal(&e.to_string());
            }
        }
        self.stacks.pop().expect("refill leaves at least one stack")
    }

    /// Return a stack to the cache, spilling half to the pool when full.
    pub(crate) fn put_stack(&mut self, s: Stack, pool: &StackPool) {
        if self.stacks.len() == CACHE_MAX {
            pool.spill(&mut self.stacks);
        }
        self.stacks.push(s);
    }

    /// A pseudo-random number for steal orders (xorshift32).
    pub(crate) fn rand(&mut self) -> u32 {
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.rng = x;
        x
    }
}
