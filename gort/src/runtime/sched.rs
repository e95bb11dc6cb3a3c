//! The scheduler's shared state: all Ps, the idle P and M lists (the only
//! things under the scheduler lock), the global run queue and pool of free
//! Gs (both lock-free), and the protocol that parks and wakes Ms (cf. Go's `schedt`,
//! wakep, startm, pidleget/pidleput, and the "Worker thread parking/unparking"
//! essay at the top of proc.go).
//!
//! # The problem
//! Waking a parked thread costs 20–40 µs on the machines we measure on, while
//! a goroutine switch costs tens of nanoseconds. So we must not wake an M for
//! every new G, yet must never leave a runnable G waiting while a P idles.
//!
//! # The protocol
//! An M is *spinning* when it holds a P and is looking for work to steal.
//! `nmspinning` counts them; at most half the busy Ps may have one.
//! 1. Submitting work (a new or woken G): put it in a queue, then `wakep`:
//!    a SeqCst fence, then if a P is idle and no M spins, CAS nmspinning 0→1
//!    and start an M (idle or new) on an idle P, as a spinning M. A G readied
//!    into `runnext` is published by a SeqCst swap, which does the fence's
//!    job (below), so that most common path pays for no fence.
//! 2. A spinning M that finds work decrements nmspinning and calls `wakep`,
//!    so spinners chain until every P is busy or work runs out.
//! 3. An M that finds nothing puts its P on the idle list (npidle++), then
//!    fences and re-checks the global queue; with work found it takes an
//!    idle P back. Go re-checks under `sched.lock`, which also guards its
//!    global queue; ours is lock-free, so this is a second Dekker pair.
//! 4. A spinning M that gives up decrements nmspinning, fences, and then
//!    re-checks every P's local queue and the global queue; with work found
//!    it takes an idle P back and spins again.
//!
//! # The invariant
//! *If a G is runnable and a P is idle, then some M is spinning or is being
//! started.* Steps 1 and 4 form a Dekker pair on (queue, nmspinning): by the
//! SeqCst fences, either the submitter sees the spinner and the spinner's
//! re-check sees the G, or the submitter sees nmspinning == 0 and wakes one.
//! Steps 1 and 3 form another on (global queue, npidle): either the
//! releaser's re-check sees the G, or the submitter sees the idle P (and then
//! wakes an M, or sees a spinner, which the first pair covers). Both pairs
//! are a write, a SeqCst fence, then a read on each side: whichever fence
//! comes second in the single total order of SeqCst fences reads the other
//! side's write. The global queue's emptiness check is exact for completed
//! pushes (global.rs), so "reads the write" means "sees the G".
//! The `runnext` path replaces the submitter's fence with a SeqCst swap
//! followed by SeqCst loads; C++20's rules (which Rust's atomics follow)
//! give the same guarantee: all these operations and the spinner's fence
//! lie in one total order S; if the submitter's load of nmspinning misses
//! the spinner's SeqCst decrement, it precedes it in S, so the swap precedes
//! the spinner's fence in S, and a load sequenced after that fence sees the
//! swap or a later value ([atomics.order]). Go's runqput relies on the same
//! pair (its CAS on runnext, then wakep's loads). loom cannot model this
//! variant (it treats SeqCst as AcqRel, tokio-rs/loom#180), so the model
//! below checks the fence version only.
//! Work in a *running* P's own queue is safe anyway: its M returns to it.
//! A P whose M is in a blocking call (`P_SYSCALL`) is different — its M
//! may not come back soon — so step 4 re-checks those queues too, thieves
//! steal from them, and sysmon retakes the P (syscall.rs).
//! `loom_tests` in this file model both pairs, and the two together, on
//! plain threads; remove any one of the fences and loom finds the lost
//! wake-up.

use super::g::G;
use super::global::GlobalQueue;
use super::m::{Retired, M};
use super::p::{P, P_DEAD, P_IDLE, P_RUNNING, P_SYSCALL};
use super::runq::Overflow;
use super::sysmon::leave_service;
use crate::batch_pool::BatchPool;
use crate::lifo_pool::LifoPool;
use crate::loom_shim::{fence, AtomicUsize};
use crossbeam_utils::CachePadded;
use parking_lot::{Mutex, MutexGuard};
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::{Arc, OnceLock};

/// Upper bound for GOMAXPROCS (Go has none below 2^31; ours sizes a table).
pub(crate) const MAX_PROCS: usize = 256;

/// Zombies recycled at most per refill (a P cache's half, as a pool batch).
const ZOMBIE_BATCH: usize = 32;

/// Batches of free Gs the LIFO pool keeps (of `GFREE_MAX / 2` each, so
/// 32,768 Gs); more go to the cold pool. Bounding the LIFO pool and
/// freeing the surplus instead cost spawn at GOMAXPROCS=1 (a million Gs
/// finish while none is created) a free and a malloc per G past the bound.
const GFREE_HOT_BATCHES: usize = 1024;

pub(crate) struct Sched {
    allp: Box<[OnceLock<P>]>,
    gomaxprocs: AtomicUsize,
    /// Each written field that others read often sits on a cache line of
    /// its own, away from the read-mostly ones (`allp`, `gomaxprocs`).
    locked: CachePadded<Mutex<Locked>>,
    /// The two counters every wake-up reads, together on one line.
    pub(crate) counts: CachePadded<Counts>,
    /// Runnable Gs no P holds (global.rs).
    global: GlobalQueue,
    /// Finished Gs for reuse, exchanged in batches with the Ps' caches:
    /// the most recently freed first (still cached), and past
    /// `GFREE_HOT_BATCHES` batches, the rest in an unbounded cold pool.
    gfree: LifoPool<Arc<G>>,
    gfree_cold: BatchPool<Arc<G>>,
    mcount: AtomicUsize,
    /// Every G object ever allocated (Go's allgs): G objects are recycled,
    /// never freed, so the deadlock report can list goroutines. Appended
    /// only when a G is allocated, not per goroutine.
    allgs: Mutex<Vec<Arc<G>>>,
    /// Finished Gs that a stale waker still referenced when they exited:
    /// recycled once only allgs and this list hold them.
    zombies: Mutex<Vec<Arc<G>>>,
    /// `zombies.len()`, so that refills skip the lock when there are none.
    nzombies: AtomicUsize,
    /// Every M started (they never exit), for goroutine dumps.
    allm: Mutex<Vec<&'static M>>,
}

pub(crate) struct Counts {
    /// Mirror of `locked.idle_p.len()`, for lock-free checks.
    npidle: AtomicUsize,
    /// Ms spinning for work (see the protocol above).
    pub(crate) nmspinning: AtomicUsize,
}

/// What the scheduler lock guards: the idle lists, nothing on the path a
/// goroutine takes from spawn to exit.
struct Locked {
    idle_p: Vec<&'static P>,
    idle_m: Vec<&'static M>,
}

impl Sched {
    /// A scheduler with no Ps yet; `resize` adds them once it is 'static.
    pub(crate) fn new() -> Sched {
        Sched {
            allp: (0..MAX_PROCS).map(|_| OnceLock::new()).collect(),
            gomaxprocs: AtomicUsize::new(0),
            locked: CachePadded::new(Mutex::new(Locked {
                idle_p: Vec::new(),
                idle_m: Vec::new(),
            })),
            counts: CachePadded::new(Counts {
                npidle: AtomicUsize::new(0),
                nmspinning: AtomicUsize::new(0),
            }),
            global: GlobalQueue::new(),
            gfree: LifoPool::new(GFREE_HOT_BATCHES),
            gfree_cold: BatchPool::new(),
            mcount: AtomicUsize::new(0),
            allgs: Mutex::new(Vec::new()),
            zombies: Mutex::new(Vec::new()),
            nzombies: AtomicUsize::new(0),
            allm: Mutex::new(Vec::new()),
        }
    }

    /// The scheduler lock (test builds count its acquisitions).
    fn lock(&self) -> MutexGuard<'_, Locked> {
        #[cfg(test)]
        tests::LOCKS_TAKEN.fetch_add(1, Relaxed);
        self.locked.lock()
    }

    pub(crate) fn gomaxprocs(&self) -> usize {
        self.gomaxprocs.load(Relaxed)
    }

    /// P number `id` (created on first use).
    pub(crate) fn p(&'static self, id: usize) -> &'static P {
        self.allp[id].get_or_init(|| P::new(id))
    }

    /// All Ps ever created, for counting and dumps.
    pub(crate) fn all_ps(&self) -> impl Iterator<Item = &P> {
        self.allp.iter().map_while(|p| p.get())
    }

    /// Whether the global queue holds work (exact for completed pushes).
    pub(crate) fn global_has_work(&self) -> bool {
        !self.global.is_empty()
    }

    /// Whether one more M may start spinning: fewer spinners than half the
    /// busy Ps (Go: `2*nmspinning < gomaxprocs - npidle`).
    pub(crate) fn may_spin(&self) -> bool {
        let busy = self
            .gomaxprocs()
            .saturating_sub(self.counts.npidle.load(Relaxed));
        2 * self.counts.nmspinning.load(Relaxed) < busy
    }

    /// Change GOMAXPROCS; returns the old value. Shrinking takes effect as
    /// each surplus P's M next enters the scheduler (see m.rs `retire`).
    pub(crate) fn resize(&'static self, n: usize) -> usize {
        let n = n.clamp(1, MAX_PROCS);
        let mut l = self.lock();
        let old = self.gomaxprocs.swap(n, SeqCst);
        for id in old..n {
            let p = self.p(id);
            if p.status.load(Relaxed) == P_DEAD {
                self.pidleput(&mut l, p);
            }
        }
        // A P above the new count whose M is in a blocking call: retire
        // it now. One running a goroutine is retired by its M at the next
        // scheduling round, which sysmon asks for at once (sysmon.rs).
        for id in n..old {
            self.retire_in_syscall(&mut l, self.p(id));
        }
        let before = l.idle_p.len();
        l.idle_p.retain(|p| {
            let keep = p.id < n;
            if !keep {
                mark_dead(p);
            }
            keep
        });
        self.counts
            .npidle
            .fetch_sub(before - l.idle_p.len(), SeqCst);
        drop(l);
        // Wake Ms for the new Ps — or, shrinking, for Gs a retired P's
        // queue moved to the global queue.
        for _ in old..n.max(old + 1) {
            self.wakep();
        }
        old
    }

    fn pidleput(&self, l: &mut MutexGuard<'_, Locked>, p: &'static P) {
        debug_assert!(
            p.id < self.gomaxprocs(),
            "P {} put on the idle list with GOMAXPROCS {}",
            p.id,
            self.gomaxprocs()
        );
        // Status, then the flag: see preempt_flag.rs.
        leave_service(p, P_IDLE);
        l.idle_p.push(p);
        self.counts.npidle.fetch_add(1, SeqCst);
    }

    fn pidleget(&self, l: &mut MutexGuard<'_, Locked>) -> Option<&'static P> {
        let p = l.idle_p.pop()?;
        self.counts.npidle.fetch_sub(1, SeqCst);
        p.status.store(P_RUNNING, Relaxed);
        super::rt().sysmon.p_got_busy();
        Some(p)
    }

    /// Ms started so far (they never exit), for deadlock detection.
    pub(crate) fn mcount(&self) -> usize {
        self.mcount.load(SeqCst)
    }

    /// Whether every P is idle (sysmon then sleeps).
    pub(crate) fn all_idle(&self) -> bool {
        self.counts.npidle.load(SeqCst) >= self.gomaxprocs()
    }

    /// Take an idle P, if there is one (the netpoller's M, after its wait).
    pub(crate) fn take_idle_p(&self) -> Option<&'static P> {
        if self.counts.npidle.load(Relaxed) == 0 {
            return None;
        }
        self.pidleget(&mut self.lock())
    }

    /// Go's `schedtrace` line for the scheduler as it is now (read without
    /// stopping anything, so the figures are each a moment's).
    pub(crate) fn trace_line(&'static self, since_start: std::time::Duration) -> String {
        let idle_threads = self.lock().idle_m.len();
        let n = self.gomaxprocs();
        let local: Vec<String> = (0..n).map(|id| self.p(id).runq.len().to_string()).collect();
        format!(
            "SCHED {}ms: gomaxprocs={n} idleprocs={} threads={} spinningthreads={} idlethreads={idle_threads} runqueue={} [{}]",
            since_start.as_millis(),
            self.counts.npidle.load(Relaxed),
            self.mcount.load(Relaxed),
            self.counts.nmspinning.load(Relaxed),
            self.global.len(),
            local.join(" ")
        )
    }

    /// Whether some P is idle now (a racy hint).
    pub(crate) fn has_idle_p(&self) -> bool {
        self.counts.npidle.load(Relaxed) > 0
    }

    /// Whether an M spins or a P is idle (so a P in a syscall with no
    /// queued work need not be retaken yet).
    pub(crate) fn has_spare_capacity(&self) -> bool {
        self.counts.nmspinning.load(Relaxed) + self.counts.npidle.load(Relaxed) > 0
    }

    /// sysmon retook `p` from an M stuck in a blocking call (it won the
    /// `P_SYSCALL → P_IDLE` CAS, so it owns the P): give it to an M if work
    /// is waiting, else to the idle list (cf. handoffp).
    pub(crate) fn handoff_p(&'static self, p: &'static P) {
        let mut l = self.lock();
        if p.id >= self.gomaxprocs() {
            // GOMAXPROCS shrank meanwhile: retire it, as its M would have.
            self.global.push_batch(p.runq.drain().into_iter());
            mark_dead(p);
            drop(l);
            self.wakep();
            return;
        }
        if !p.runq.is_empty() || self.global_has_work() {
            p.status.store(P_RUNNING, Relaxed);
            self.startm(l, p, false);
            return;
        }
        self.pidleput(&mut l, p);
        drop(l);
        // Step 3's Dekker pair: a G queued globally meanwhile either sees
        // the idle P (and wakes an M) or is seen here.
        if fence_then_look(|| self.global_has_work()) {
            self.wakep();
        }
    }

    /// Put an M on the idle list (cf. mput).
    pub(crate) fn mput(&self, m: &'static M) {
        self.lock().idle_m.push(m);
    }

    /// Wake an M to run an idle P if nobody is spinning (cf. wakep).
    pub(crate) fn wakep(&'static self) {
        if must_wake(&self.counts.npidle, &self.counts.nmspinning) {
            self.start_spinner();
        }
    }

    /// `wakep` for a submitter that published its work with a SeqCst
    /// read-modify-write (`RunQueue::push_next`): that RMW takes the
    /// fence's place in the Dekker pair (see "The invariant" above).
    pub(crate) fn wakep_after_seqcst_publish(&'static self) {
        if idle_and_nobody_spins(&self.counts.npidle, &self.counts.nmspinning) {
            self.start_spinner();
        }
    }

    /// Make an idle P's M spin, unless another submitter just did.
    fn start_spinner(&'static self) {
        if self
            .counts
            .nmspinning
            .compare_exchange(0, 1, SeqCst, Relaxed)
            .is_err()
        {
            return;
        }
        let mut l = self.lock();
        let Some(p) = self.pidleget(&mut l) else {
            drop(l);
            self.counts.nmspinning.fetch_sub(1, SeqCst);
            return;
        };
        self.startm(l, p, true);
    }

    /// Run `p` on an idle M, or on a new one (cf. startm).
    fn startm(&self, mut l: MutexGuard<'_, Locked>, p: &'static P, spinning: bool) {
        match l.idle_m.pop() {
            Some(m) => {
                drop(l);
                m.wake_with(p, spinning);
            }
            None => {
                drop(l);
                let id = self.mcount.fetch_add(1, Relaxed);
                M::spawn(id, p, spinning);
            }
        }
    }

    /// Step 3 of the protocol: take a batch of the global queue, or else
    /// release `p` to the idle list, fence and look again. Returns the P to
    /// go on with (`p`, or another idle one) and a G to run, or `None` when
    /// the caller no longer holds a P.
    ///
    /// A P whose id is no longer below GOMAXPROCS (a `resize` shrank it after
    /// the M's last check) is retired here instead: `resize` holds the same
    /// lock while it changes GOMAXPROCS and prunes the idle list, so the
    /// idle list only ever holds Ps below GOMAXPROCS.
    pub(crate) fn release_p_or_take_global(
        &'static self,
        mut p: &'static P,
    ) -> Option<(&'static P, Arc<G>)> {
        loop {
            if let Some(g) = self.global_get(p, super::p::BATCH_MAX) {
                return Some((p, g));
            }
            let mut l = self.lock();
            if p.id >= self.gomaxprocs() {
                // Its M found its queue empty, and only that M fills it.
                debug_assert!(p.runq.is_empty());
                mark_dead(p);
                return None;
            }
            self.pidleput(&mut l, p);
            drop(l);
            if !fence_then_look(|| self.global_has_work()) {
                return None;
            }
            // A G arrived as the P went idle: take a P back for it (another
            // M may have taken this one meanwhile; with none idle, the busy
            // Ps will come to the global queue themselves).
            p = self.pidleget(&mut self.lock())?;
        }
    }

    /// Step 4 of the protocol, for an M that was spinning and just released
    /// its P. True if it found work and took a P (it is spinning again).
    pub(crate) fn stop_spinning_and_recheck(&'static self, ctx: &super::context::MCtx) -> bool {
        let work = stop_spinning_then_look(&self.counts.nmspinning, || {
            self.global_has_work()
                || (0..self.created_ps()).any(|id| {
                    let p = self.p(id);
                    let status = p.status.load(Relaxed);
                    (status == P_RUNNING || status == P_SYSCALL) && !p.runq.is_empty()
                })
        });
        if !work {
            return false;
        }
        let mut l = self.lock();
        let Some(p) = self.pidleget(&mut l) else {
            return false;
        };
        drop(l);
        ctx.p.set(Some(p));
        ctx.spinning.set(true);
        self.counts.nmspinning.fetch_add(1, SeqCst);
        true
    }

    /// Retire `p`, above GOMAXPROCS, if its M is in a blocking call (its M
    /// finds it gone when it comes back); else the Gs in its queue would
    /// wait for the call — perhaps for ever. True if it was retired.
    /// The caller holds the lock, so GOMAXPROCS cannot grow back meanwhile.
    fn retire_in_syscall(&self, _locked: &mut MutexGuard<'_, Locked>, p: &'static P) -> bool {
        if p.id < self.gomaxprocs() || !super::syscall::claim_for_retake(&p.status) {
            return false;
        }
        self.global.push_batch(p.runq.drain().into_iter());
        mark_dead(p);
        true
    }

    /// sysmon's half of shrinking: retire `p`, above GOMAXPROCS, if it sits
    /// in a blocking call, and wake an M for its Gs. True if it was retired.
    pub(crate) fn retire_surplus_in_syscall(&'static self, p: &'static P) -> bool {
        let retired = self.retire_in_syscall(&mut self.lock(), p);
        if retired {
            self.wakep();
        }
        retired
    }

    /// How many Ps were ever created (surplus ones included).
    pub(crate) fn created_ps(&self) -> usize {
        self.all_ps().count()
    }

    /// Retire `p` (its id is at or above GOMAXPROCS): move its Gs to the
    /// global queue and pick an idle P for the caller if there is one.
    pub(crate) fn retire_p(&'static self, p: &'static P) -> Retired {
        let mut l = self.lock();
        if p.id < self.gomaxprocs() {
            return Retired::Kept;
        }
        self.global.push_batch(p.runq.drain().into_iter());
        mark_dead(p);
        let next = self.pidleget(&mut l);
        drop(l);
        self.wakep();
        match next {
            Some(next) => Retired::Moved(next),
            None => Retired::NoP,
        }
    }

    /// Refill a P's empty cache of free Gs with a batch; false if the
    /// pools had none (zombies whose stale wakers have let go count).
    pub(crate) fn gfree_take_into(&self, cache: &mut Vec<Arc<G>>) -> bool {
        if self.gfree.take_into(cache) || self.gfree_cold.take_into(cache) {
            return true;
        }
        if self.nzombies.load(Relaxed) == 0 {
            return false;
        }
        let mut zombies = self.zombies.lock();
        let before = cache.len();
        let mut i = 0;
        while i < zombies.len() && cache.len() - before < ZOMBIE_BATCH {
            // Held by allgs and this list only: nobody else can touch it.
            if Arc::strong_count(&zombies[i]) == 2 {
                // As `Arc::get_mut` would: order the last other owner's
                // accesses before ours.
                std::sync::atomic::fence(std::sync::atomic::Ordering::Acquire);
                cache.push(zombies.swap_remove(i));
                self.nzombies.fetch_sub(1, Relaxed);
            } else {
                i += 1;
            }
        }
        cache.len() > before
    }

    /// Record a newly started M.
    pub(crate) fn register_m(&self, m: &'static M) {
        self.allm.lock().push(m);
    }

    /// The Gs the Ms are running at this moment (each read once), each with
    /// whether it is inside `gort::syscall`. Racy, as a dump may be.
    pub(crate) fn running_gs(&self) -> Vec<(*const G, bool)> {
        self.allm
            .lock()
            .iter()
            .map(|m| {
                let g = m.running.g.load(Relaxed) as *const G;
                (g, m.running.in_call.load(Relaxed))
            })
            .filter(|(g, _)| !g.is_null())
            .collect()
    }

    /// The thread of the M running a goroutine on `p`, if any (for the
    /// preemption signal; it may have moved on by the time it is used).
    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    pub(crate) fn m_running(&self, p: &P) -> Option<libc::pthread_t> {
        self.allm
            .lock()
            .iter()
            .find(|m| m.running.p.load(Relaxed) == p.id + 1)
            .map(|m| m.pthread.load(std::sync::atomic::Ordering::Acquire) as libc::pthread_t)
            .filter(|&t| t != 0)
    }

    /// Record a newly allocated G in allgs; returns it.
    pub(crate) fn register_g(&self, g: Arc<G>) -> Arc<G> {
        self.allgs.lock().push(g.clone());
        g
    }

    /// Whether `g` is referenced only by allgs and the caller's Arc (with
    /// `Arc::get_mut`'s Acquire: the last other owner's accesses come
    /// before ours).
    pub(crate) fn only_allgs_and(&self, g: &Arc<G>) -> bool {
        let only = Arc::strong_count(g) == 2;
        if only {
            std::sync::atomic::fence(std::sync::atomic::Ordering::Acquire);
        }
        only
    }

    /// Keep a finished G that a stale waker still references (see `zombies`).
    pub(crate) fn zombie(&self, g: Arc<G>) {
        self.zombies.lock().push(g);
        self.nzombies.fetch_add(1, Relaxed);
    }

    /// How many goroutines exist, if every one is parked (else `None`).
    pub(crate) fn live_gs_if_all_parked(&self) -> Option<usize> {
        let allgs = self.allgs.lock();
        let mut live = 0;
        for g in allgs.iter().filter(|g| g.is_live()) {
            if !g.is_parked() {
                return None;
            }
            live += 1;
        }
        Some(live)
    }

    /// Each existing goroutine's id and `state` (read under the allgs lock,
    /// without holding on to any G), for dumps.
    pub(crate) fn goroutine_states<T>(&self, state: impl Fn(&G) -> T) -> Vec<T> {
        self.allgs
            .lock()
            .iter()
            .filter(|g| g.is_live())
            .map(|g| state(g))
            .collect()
    }

    /// Take a batch of surplus free Gs from a P's cache (Go never frees a
    /// G either).
    pub(crate) fn gfree_put(&self, gs: impl IntoIterator<Item = Arc<G>>) {
        if let Err(gs) = self.gfree.put(gs) {
            self.gfree_cold.put(gs);
        }
    }

    /// Append one G to the global queue (from a thread without a P, or a
    /// preempted G); the caller then calls `wakep`.
    pub(crate) fn global_put(&self, g: Arc<G>) {
        self.global.push(g);
    }

    /// Append a batch (a local queue's overflow) to the global queue. The
    /// caller then wakes an idle P for it (`wakep`, or `ready`'s
    /// `wakep_after_seqcst_publish`): the running P reaches the global
    /// queue only when its local one runs dry, or every 61st slice.
    pub(crate) fn global_put_batch(&self, gs: Overflow<G>) {
        self.global.push_batch(gs);
    }

    /// `global_put_batch`, then `wakep`: for an overflow that no wake-up
    /// follows anyway.
    pub(crate) fn global_put_batch_and_wake(&'static self, gs: Overflow<G>) {
        self.global.push_batch(gs);
        self.wakep();
    }

    /// Take Go's batch, at most `max`, from the global queue: the first G to
    /// run now, the rest onto `p`'s local queue (cf. globrunqget).
    pub(crate) fn global_get(&'static self, p: &'static P, max: usize) -> Option<Arc<G>> {
        let (first, requeued) = self.global.take(self.gomaxprocs(), max, |g| {
            p.runq.push_back(g, |_| {
                unreachable!("the rest of a batch, half a ring, fits the empty ring")
            })
        });
        if requeued {
            self.wakep();
        }
        first
    }
}

/// Take `p` out of service (its id is at or above GOMAXPROCS); the caller
/// holds the scheduler lock.
fn mark_dead(p: &P) {
    leave_service(p, P_DEAD);
}

/// The submitter's half of the Dekker pair (protocol step 1): called after
/// work was published; true if an M must be woken for it.
fn must_wake(npidle: &AtomicUsize, nmspinning: &AtomicUsize) -> bool {
    fence(SeqCst);
    idle_and_nobody_spins(npidle, nmspinning)
}

/// The submitter's check, after the fence or a SeqCst publishing RMW.
fn idle_and_nobody_spins(npidle: &AtomicUsize, nmspinning: &AtomicUsize) -> bool {
    npidle.load(SeqCst) != 0 && nmspinning.load(SeqCst) == 0
}

/// The releaser's half (protocol step 3), after its P went on the idle
/// list (npidle++): fence, then `look` for work; returns what it found.
fn fence_then_look(look: impl FnOnce() -> bool) -> bool {
    fence(SeqCst);
    look()
}

/// The spinner's half (protocol step 4): stop counting as spinning, then
/// `look` for work; returns what `look` found.
fn stop_spinning_then_look(nmspinning: &AtomicUsize, look: impl FnOnce() -> bool) -> bool {
    nmspinning.fetch_sub(1, SeqCst);
    fence(SeqCst);
    look()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    /// Acquisitions of the scheduler lock since the process started.
    pub(super) static LOCKS_TAKEN: AtomicUsize = AtomicUsize::new(0);

    #[cfg(not(loom))]
    const CHILD: &str = "GORT_LOCK_COUNT_CHILD";

    /// In steady state (caches warm), spawning goroutines that run and exit
    /// takes no lock: the global queue, the free-G pool and the stack pool
    /// are lock-free, and the scheduler lock guards only the idle lists,
    /// which a P that never runs out of work never touches. 100 rounds of
    /// 1,000 goroutines overflow the local queue into the global one and
    /// move free Gs and stacks through the global pools many times.
    ///
    /// It counts process-wide, so it re-runs itself alone in a child
    /// process with GOMAXPROCS=1 (a second P would idle and wake, and take
    /// the lock for that, as Go's do).
    #[cfg(not(loom))]
    #[test]
    fn spawn_run_exit_takes_no_lock_in_steady_state() {
        use std::sync::atomic::Ordering::Relaxed;
        if std::env::var_os(CHILD).is_none() {
            let out = std::process::Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "runtime::sched::tests::spawn_run_exit_takes_no_lock_in_steady_state",
                    "--nocapture",
                ])
                .env(CHILD, "1")
                .env("GOMAXPROCS", "1")
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success() && stdout.contains("1 passed"),
                "child failed:\n{stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            return;
        }
        let rounds = |n: usize| {
            for _ in 0..n {
                let wg = crate::sync::WaitGroup::new();
                for _ in 0..1_000 {
                    wg.add(1);
                    let wg = wg.clone();
                    crate::spawn::go(move || wg.done());
                }
                wg.wait();
            }
        };
        let taken = crate::run(move || {
            rounds(20); // warm the caches and pools
            let before = LOCKS_TAKEN.load(Relaxed);
            rounds(100);
            LOCKS_TAKEN.load(Relaxed) - before
        });
        assert_eq!(
            taken, 0,
            "scheduler lock taken on the spawn → run → exit path"
        );
    }
}

#[cfg(all(test, loom))]
mod loom_tests {
    use super::{fence_then_look, must_wake, stop_spinning_then_look};
    use crate::loom_shim::AtomicUsize;
    use loom::sync::Arc;
    use loom::thread::JoinHandle;
    use std::sync::atomic::Ordering::SeqCst;

    /// The protocol's shared words, and a submitter thread racing with the
    /// test's own thread: it queues a G (`queued`), then runs its half of
    /// the protocol; joining it says whether it woke an M.
    struct Race {
        queued: Arc<AtomicUsize>,
        nmspinning: Arc<AtomicUsize>,
        npidle: Arc<AtomicUsize>,
        submitter: JoinHandle<bool>,
    }

    impl Race {
        fn start(nmspinning: usize, npidle: usize) -> Race {
            let queued = Arc::new(AtomicUsize::new(0));
            let nmspinning = Arc::new(AtomicUsize::new(nmspinning));
            let npidle = Arc::new(AtomicUsize::new(npidle));
            let submitter = {
                let (queued, nmspinning, npidle) =
                    (queued.clone(), nmspinning.clone(), npidle.clone());
                loom::thread::spawn(move || {
                    queued.store(1, SeqCst);
                    must_wake(&npidle, &nmspinning)
                })
            };
            Race {
                queued,
                nmspinning,
                npidle,
                submitter,
            }
        }

        fn queued(&self) -> bool {
            self.queued.load(SeqCst) > 0
        }
    }

    /// A submitter publishes work while the last spinner gives up: in every
    /// interleaving, either the submitter wakes an M or the spinner sees the
    /// work. (Remove either fence and loom finds the lost wake-up.)
    #[test]
    fn no_lost_wakeup_between_submitter_and_last_spinner() {
        loom::model(|| {
            let race = Race::start(1, 1);
            let found = stop_spinning_then_look(&race.nmspinning, || race.queued());
            let woke = race.submitter.join().unwrap();
            assert!(
                woke || found,
                "work queued, a P idle, and nobody coming for it"
            );
        });
    }

    /// A submitter queues a G globally while an M that is not spinning puts
    /// its P on the idle list (protocol step 3): either the submitter sees
    /// the idle P and wakes an M, or the releaser's re-check sees the G.
    /// (Remove the releaser's fence and loom finds the lost wake-up.)
    #[test]
    fn no_lost_wakeup_between_submitter_and_releasing_m() {
        loom::model(|| {
            let race = Race::start(0, 0);
            race.npidle.fetch_add(1, SeqCst); // pidleput
            let found = fence_then_look(|| race.queued());
            let woke = race.submitter.join().unwrap();
            assert!(woke || found, "a G queued globally and its P left idle");
        });
    }

    /// The whole give-up sequence of the last spinning M — release the P
    /// (step 3), then stop spinning (step 4) — against a submitter, with a
    /// second P already idle: the G is found by the M or an M is woken.
    #[test]
    fn no_lost_wakeup_when_the_last_spinner_releases_its_p() {
        loom::model(|| {
            let race = Race::start(1, 1);
            race.npidle.fetch_add(1, SeqCst); // pidleput
            let found_idling = fence_then_look(|| race.queued());
            let found_spinning =
                !found_idling && stop_spinning_then_look(&race.nmspinning, || race.queued());
            let woke = race.submitter.join().unwrap();
            assert!(
                woke || found_idling || found_spinning,
                "a G queued globally, two Ps idle, and nobody coming for it"
            );
        });
    }
}
