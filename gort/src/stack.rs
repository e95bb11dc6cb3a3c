//! Goroutine stacks: fixed-size, guarded, carved out of large slabs and pooled.
//!
//! Rust cannot move a stack, so a goroutine cannot start small and grow by
//! copying as in Go. Instead every goroutine gets `stack_size` bytes of
//! *virtual* space (default 256 KiB, `GORT_STACK_SIZE` to change) and the
//! kernel commits pages only as they are touched, so a parked goroutine that
//! never went deep costs one or two resident pages.
//!
//! # Layout
//! A slab is one anonymous `MAP_NORESERVE` mapping of `SLAB_STACKS` slots. Each
//! slot is `[guard page][stack_size bytes]`; a stack grows down from the top of
//! its slot towards its guard page.
//!
//! # Guard pages
//! On Linux 6.13+ `madvise(MADV_GUARD_INSTALL)` makes a page fault without
//! splitting the mapping, so a slab stays a single VMA however many guards it
//! has. Elsewhere we fall back to `mprotect(PROT_NONE)`, which splits the VMA:
//! each stack then costs two of the kernel's `vm.max_map_count` mappings
//! (65,530 by default, so roughly 32,000 live goroutines). When the kernel
//! refuses, the runtime stops with an error that names the sysctl.
//!
//! # Pooling (no system call on the spawn hot path)
//! Free stacks live in a per-P cache (owned by the P, no locking) that
//! exchanges batches of `CACHE_BATCH` with a global pool, itself lock-free
//! (`batch_pool.rs`). Only a global pool miss maps a new slab. Stacks that sit unused in the global pool are scavenged in the
//! background by sysmon (cf. Go's background scavenger): if a stack was ever
//! used below its top `HOT_BYTES`, those cold pages are released with
//! `MADV_DONTNEED`, so one deep recursion does not pin memory forever. The
//! pool hands out recently used ("warm") stacks first, so a stack in steady
//! reuse is never scavenged and spawning stays free of system calls. (A P
//! that refills while sysmon holds the warm batches it is scrubbing may map
//! a slab it did not need: address space, not memory, and rare.)
//!
//! # Overflow
//! Every slab is registered in a fixed table the SIGSEGV handler (see
//! `overflow.rs`) can read without locking or allocating; each slot records the
//! id of the goroutine running on it, so the report can name the goroutine.

use crate::batch_pool::BatchPool;
use crate::lifo_pool::LifoPool;
use corosensei::stack::{Stack as CoroStack, StackPointer};
use parking_lot::Mutex;
use std::io;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::*};

/// Slots per slab: one mmap per this many stacks. 256 × 256 KiB = 64 MiB of
/// address space per slab; a million live goroutines need ~4,000 mappings.
const SLAB_STACKS: usize = 256;
/// Most slabs the overflow table can describe (256 M stacks: more than enough).
pub(crate) const MAX_SLABS: usize = 1 << 20;
/// Bytes at the top of a stack kept resident when a stack is pooled: what a
/// typical goroutine touches. A guess; revisit with measurements.
const HOT_BYTES: usize = 16 * 1024;
/// Size of a P's stack cache, and the batch it exchanges with the global
/// pool (cf. Go's per-P stack cache, `_StackCacheSize`). A guess.
pub(crate) const CACHE_MAX: usize = 64;
const CACHE_BATCH: usize = CACHE_MAX / 2;
// A fresh slab is split into whole batches.
const _: () = assert!(SLAB_STACKS % CACHE_BATCH == 0);
/// `madvise` advice from Linux 6.13 `include/uapi/asm-generic/mman-common.h`.
const MADV_GUARD_INSTALL: libc::c_int = 102;

/// One goroutine stack: a slot in a slab. Plain data; the slab owns the memory.
#[derive(Debug)]
pub(crate) struct Stack {
    /// Lowest usable address (just above the guard page).
    limit: usize,
    /// One past the highest usable address; the stack grows down from here.
    top: usize,
    /// Where the SIGSEGV handler reads which goroutine runs on this stack.
    owner: &'static AtomicU64,
}

// SAFETY: a Stack is the exclusive right to use a slot of memory that lives
// for the whole process; handing that right to another thread is fine.
unsafe impl Send for Stack {}

// SAFETY: base() and limit() describe a mapped, writable, 16-byte aligned
// region of `stack_size` bytes with a fault-raising guard page below it, which
// is exclusively ours while this Stack value exists.
unsafe impl CoroStack for Stack {
    fn base(&self) -> StackPointer {
        StackPointer::new(self.top).expect("stack top is never null")
    }
    fn limit(&self) -> StackPointer {
        StackPointer::new(self.limit).expect("stack limit is never null")
    }
}

impl Stack {
    /// Record which goroutine now runs on this stack (for overflow reports).
    pub(crate) fn set_owner(&mut self, goid: u64) {
        self.owner.store(goid, Relaxed);
    }

    /// Release the cold pages of a free stack if it was ever used deeply.
    ///
    /// Deep use is detected by probing the last word of the hot region: a
    /// frame that went further down wrote through it (return addresses and
    /// saved registers), while an untouched page reads as zero. A probe that
    /// misses a deep use only leaves memory resident; it is never unsound.
    fn scrub(&mut self) {
        let probe = self.top - HOT_BYTES - 8;
        // SAFETY: `probe` is an aligned address inside our own free slot,
        // mapped readable; an untouched page reads as zeroes.
        let used = unsafe { std::ptr::read_volatile(probe as *const u64) } != 0;
        if used {
            let cold = self.top - HOT_BYTES - self.limit;
            // SAFETY: [limit, top - HOT_BYTES) lies inside our own slot, which
            // no goroutine is using; MADV_DONTNEED only drops page contents.
            unsafe { libc::madvise(self.limit as *mut libc::c_void, cold, libc::MADV_DONTNEED) };
        }
    }
}

/// A registered slab, as the SIGSEGV handler sees it.
pub(crate) struct SlabInfo {
    pub(crate) base: usize,
    pub(crate) slot_size: usize,
    pub(crate) owners: &'static [AtomicU64; SLAB_STACKS],
}

/// The lock-free table of slabs for the signal handler: entries are written
/// once, before `SLAB_COUNT` is bumped with release ordering.
static SLAB_TABLE: [AtomicUsize; MAX_SLABS] = [const { AtomicUsize::new(0) }; MAX_SLABS];
static SLAB_COUNT: AtomicUsize = AtomicUsize::new(0);

/// The slab holding `addr`, the index of its slot there and `addr`'s offset
/// in that slot (the guard page comes first). Async-signal-safe: loads only.
fn slot_of(addr: usize) -> Option<(&'static SlabInfo, usize, usize)> {
    let n = SLAB_COUNT.load(Acquire);
    for entry in &SLAB_TABLE[..n] {
        let info = entry.load(Acquire) as *const SlabInfo;
        if info.is_null() {
            continue;
        }
        // SAFETY: non-null entries point to leaked, never-freed SlabInfos.
        let info: &'static SlabInfo = unsafe { &*info };
        let end = info.base + info.slot_size * SLAB_STACKS;
        if addr < info.base || addr >= end {
            continue;
        }
        let at = addr - info.base;
        return Some((info, at / info.slot_size, at % info.slot_size));
    }
    None
}

/// Find the slab and slot whose guard page contains `addr`; returns the id of
/// the goroutine that owned it. Async-signal-safe: loads only.
pub(crate) fn guard_page_owner(addr: usize) -> Option<u64> {
    let (info, slot, offset) = slot_of(addr)?;
    (offset < page_size()).then(|| info.owners[slot].load(Relaxed))
}

/// The usable range `[lo, hi)` of the goroutine stack slot that contains
/// `addr`, if any (for the preemption signal handler: loads only).
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
pub(crate) fn stack_slot_bounds(addr: usize) -> Option<(usize, usize)> {
    let (info, slot, _) = slot_of(addr)?;
    let slot_base = info.base + slot * info.slot_size;
    Some((slot_base + page_size(), slot_base + info.slot_size))
}

pub(crate) fn page_size() -> usize {
    static PAGE: AtomicUsize = AtomicUsize::new(0);
    match PAGE.load(Relaxed) {
        0 => {
            // SAFETY: sysconf has no memory-safety preconditions.
            let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
            PAGE.store(p, Relaxed);
            p
        }
        p => p,
    }
}

/// Why a slab could not be made.
#[derive(Debug)]
pub(crate) enum SlabError {
    Map(io::Error),
    Guard(io::Error),
    TooMany,
}

impl std::fmt::Display for SlabError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SlabError::Map(e) => write!(f, "cannot map memory for goroutine stacks: {e}"),
            SlabError::Guard(e) => write!(
                f,
                "cannot install a stack guard page: {e}; this kernel lacks \
                 MADV_GUARD_INSTALL (Linux 6.13+), so each goroutine stack costs two \
                 memory mappings and the limit vm.max_map_count (see \
                 /proc/sys/vm/max_map_count) was reached; raise it with \
                 `sysctl vm.max_map_count=N` or run fewer goroutines at once"
            ),
            SlabError::TooMany => write!(f, "too many stack slabs ({MAX_SLABS})"),
        }
    }
}

/// Map a slab of `SLAB_STACKS` guarded stacks of `stack_size` bytes each.
fn map_slab(stack_size: usize) -> Result<Vec<Stack>, SlabError> {
    let page = page_size();
    let slot_size = stack_size + page;
    let len = slot_size * SLAB_STACKS;
    // SAFETY: an anonymous private mapping at a kernel-chosen address has no
    // preconditions; the result is checked below.
    let base = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if base == libc::MAP_FAILED {
        return Err(SlabError::Map(io::Error::last_os_error()));
    }
    let base = base as usize;
    for slot in 0..SLAB_STACKS {
        install_guard(base + slot * slot_size, page).map_err(SlabError::Guard)?;
    }
    let owners: &'static [AtomicU64; SLAB_STACKS] =
        Box::leak(Box::new([const { AtomicU64::new(0) }; SLAB_STACKS]));
    register_slab(SlabInfo {
        base,
        slot_size,
        owners,
    })?;
    Ok((0..SLAB_STACKS)
        .map(|slot| Stack {
            limit: base + slot * slot_size + page,
            top: base + (slot + 1) * slot_size,
            owner: &owners[slot],
        })
        .collect())
}

fn install_guard(addr: usize, page: usize) -> io::Result<()> {
    static USE_MADVISE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);
    if USE_MADVISE.load(Relaxed) {
        // SAFETY: addr is the page-aligned first page of a slot of our own
        // fresh mapping; turning it into a guard page affects nothing else.
        let r = unsafe { libc::madvise(addr as *mut libc::c_void, page, MADV_GUARD_INSTALL) };
        if r == 0 {
            return Ok(());
        }
        USE_MADVISE.store(false, Relaxed); // EINVAL: kernel older than 6.13
    }
    // SAFETY: as above; PROT_NONE on one page of our own mapping.
    let r = unsafe { libc::mprotect(addr as *mut libc::c_void, page, libc::PROT_NONE) };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

fn register_slab(info: SlabInfo) -> Result<(), SlabError> {
    static REGISTER: Mutex<()> = Mutex::new(());
    let _guard = REGISTER.lock();
    let n = SLAB_COUNT.load(Relaxed);
    if n == MAX_SLABS {
        return Err(SlabError::TooMany);
    }
    let info: &'static SlabInfo = Box::leak(Box::new(info));
    SLAB_TABLE[n].store(info as *const SlabInfo as usize, Release);
    SLAB_COUNT.store(n + 1, Release);
    Ok(())
}

/// The global pool of free stacks, shared by all Ps: batches of exactly
/// `CACHE_BATCH`, split by whether the scavenger has been over them.
pub(crate) struct StackPool {
    stack_size: usize,
    /// Returned by a P since the last scavenge; handed out first, the most
    /// recently returned first (their top pages are likely still cached).
    warm: LifoPool<Stack>,
    /// Scavenged (cold pages released) or never used; order is moot.
    clean: BatchPool<Stack>,
}

/// Batches the warm list holds (of `CACHE_BATCH` stacks, so 32,768
/// stacks); a P spilling into a full one scavenges its batch and files it
/// as clean.
const WARM_BATCHES: usize = 1024;

impl StackPool {
    pub(crate) fn new(stack_size: usize) -> Self {
        StackPool {
            stack_size,
            warm: LifoPool::new(WARM_BATCHES),
            clean: BatchPool::new(),
        }
    }

    /// Refill an empty per-P cache with a batch, mapping a slab on a miss.
    pub(crate) fn refill(&self, cache: &mut Vec<Stack>) -> Result<(), SlabError> {
        if self.warm.take_into(cache) || self.clean.take_into(cache) {
            return Ok(());
        }
        let mut fresh = map_slab(self.stack_size)?;
        cache.extend(fresh.drain(fresh.len() - CACHE_BATCH..));
        while !fresh.is_empty() {
            self.clean.put(fresh.drain(fresh.len() - CACHE_BATCH..));
        }
        Ok(())
    }

    /// Take the older half of a full per-P cache back.
    pub(crate) fn spill(&self, cache: &mut Vec<Stack>) {
        if let Err(batch) = self.warm.put(cache.drain(..CACHE_BATCH)) {
            let mut batch: Vec<Stack> = batch.collect();
            batch.iter_mut().for_each(Stack::scrub);
            self.clean.put(batch);
        }
    }

    /// Scrub the stacks that have been returned since the last call and not
    /// reused since (sysmon calls this now and then). Returns how many.
    pub(crate) fn scavenge(&self) -> usize {
        let mut n = 0;
        let mut batch = Vec::with_capacity(CACHE_BATCH);
        while self.warm.take_into(&mut batch) {
            batch.iter_mut().for_each(Stack::scrub);
            n += batch.len();
            self.clean.put(batch.drain(..));
        }
        n
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// Whether the page holding `addr` is resident.
    fn resident(addr: usize) -> bool {
        let page = page_size();
        let mut vec = [0u8; 1];
        // SAFETY: mincore on one page of our own mapping, into a 1-byte vec.
        let r = unsafe { libc::mincore((addr & !(page - 1)) as *mut _, page, vec.as_mut_ptr()) };
        assert_eq!(r, 0, "mincore: {}", io::Error::last_os_error());
        vec[0] & 1 == 1
    }

    #[test]
    fn slabs_are_carved_into_guarded_stacks_of_the_right_size() {
        let stacks = map_slab(64 * 1024).unwrap();
        assert_eq!(stacks.len(), SLAB_STACKS);
        for (a, b) in stacks.iter().zip(&stacks[1..]) {
            assert_eq!(a.top - a.limit, 64 * 1024);
            assert_eq!(
                b.limit - a.top,
                page_size(),
                "one guard page between stacks"
            );
            assert_eq!(
                guard_page_owner(a.top),
                Some(0),
                "the guard below b is known"
            );
        }
        assert_eq!(
            guard_page_owner(stacks[0].limit),
            None,
            "usable memory is no guard"
        );
    }

    #[test]
    fn scrubbing_releases_cold_pages_of_a_deeply_used_stack_only() {
        let mut stacks = map_slab(128 * 1024).unwrap();
        let (mut deep, mut shallow) = (stacks.pop().unwrap(), stacks.pop().unwrap());
        let cold = deep.limit + 4096;
        // SAFETY: writes inside the usable range of stacks nobody runs on.
        unsafe {
            std::ptr::write_bytes(deep.limit as *mut u8, 0xAB, deep.top - deep.limit);
            std::ptr::write_bytes((shallow.top - 1024) as *mut u8, 0xCD, 1024);
        }
        assert!(resident(cold));
        deep.scrub();
        shallow.scrub();
        assert!(!resident(cold), "the cold part of a deep stack is released");
        assert!(resident(deep.top - 8), "the hot top stays");
        assert!(resident(shallow.top - 8), "a shallow stack keeps its pages");
    }
}
