//! `GFn`: a goroutine's function, stored inside its G without a separate
//! allocation when it is small (most closures capture a few pointers).
//!
//! Together with the per-P cache of free Gs (p.rs), this makes spawning free
//! of `malloc` in the steady state — important because the G is usually
//! freed on another thread than the one that made it (work stealing), and
//! cross-thread frees are slow in most allocators. Larger closures are boxed.
//!
//! # Invariant
//! `ops` says what `buf` holds: nothing (`EMPTY`), or an `F` inline or a
//! `Box<F>`, with `call`/`drop` instantiated for that same `F` and form.
//! One pointer to a static table, rather than two function pointers, keeps
//! the G within two cache lines (see g.rs).

use std::marker::PhantomData;
use std::mem::{align_of, size_of, MaybeUninit};

/// Inline capacity in words: 6 words (48 bytes) covers closures capturing
/// up to six pointers, e.g. a few Arcs and a channel end. A guess sized to
/// the examples; larger closures cost one allocation.
const WORDS: usize = 6;

/// `repr(C)` with `ops` first: `Body` (g.rs) then keeps its other
/// variants in `buf`'s bytes and its tag in `ops`'s null niche.
#[repr(C)]
pub(crate) struct GFn {
    ops: &'static Ops,
    buf: MaybeUninit<[usize; WORDS]>,
}

/// How to consume what `buf` holds.
struct Ops {
    /// Moves the function out of `buf` and calls it.
    call: unsafe fn(*mut u8),
    /// Drops the function in `buf` without calling it.
    drop: unsafe fn(*mut u8),
}

/// `buf` holds nothing.
static EMPTY: Ops = Ops {
    call: nothing,
    drop: nothing,
};

struct Inline<F>(PhantomData<F>);
impl<F: FnOnce()> Inline<F> {
    const OPS: Ops = Ops {
        call: call_inline::<F>,
        drop: drop_inline::<F>,
    };
}

struct Boxed<F>(PhantomData<F>);
impl<F: FnOnce()> Boxed<F> {
    const OPS: Ops = Ops {
        call: call_boxed::<F>,
        drop: drop_boxed::<F>,
    };
}

// SAFETY: GFn only ever holds an `F: Send` (enforced by `set`).
unsafe impl Send for GFn {}

impl GFn {
    pub(crate) const fn empty() -> GFn {
        GFn {
            ops: &EMPTY,
            buf: MaybeUninit::uninit(),
        }
    }

    /// Whether it holds no function (never set, or called or dropped).
    pub(crate) fn is_empty(&self) -> bool {
        std::ptr::eq(self.ops, &EMPTY)
    }

    /// Store `f`; the previous function must have been taken.
    pub(crate) fn set<F: FnOnce() + Send + 'static>(&mut self, f: F) {
        debug_assert!(self.is_empty(), "GFn::set over a stored function");
        let dst = self.buf.as_mut_ptr().cast::<u8>();
        if size_of::<F>() <= size_of::<[usize; WORDS]>() && align_of::<F>() <= align_of::<usize>() {
            // SAFETY: buf is large and aligned enough for F (checked above).
            unsafe { dst.cast::<F>().write(f) };
            self.ops = &Inline::<F>::OPS;
        } else {
            // SAFETY: buf holds at least one word, enough for a Box pointer.
            unsafe { dst.cast::<Box<F>>().write(Box::new(f)) };
            self.ops = &Boxed::<F>::OPS;
        }
    }

    /// Take the function out and call it.
    pub(crate) fn call(&mut self) {
        let ops = std::mem::replace(&mut self.ops, &EMPTY);
        // SAFETY: `ops` matches what `set` wrote to buf (or is EMPTY), and
        // replacing it above means the function is moved out exactly once.
        unsafe { (ops.call)(self.buf.as_mut_ptr().cast()) }
    }
}

impl Drop for GFn {
    fn drop(&mut self) {
        let ops = std::mem::replace(&mut self.ops, &EMPTY);
        // SAFETY: `ops` matches what set wrote (or is EMPTY); replaced, so
        // the function is dropped exactly once and never called.
        unsafe { (ops.drop)(self.buf.as_mut_ptr().cast()) }
    }
}

unsafe fn call_inline<F: FnOnce()>(p: *mut u8) {
    // SAFETY: the caller guarantees p holds an F, read exactly once.
    let f = unsafe { p.cast::<F>().read() };
    f()
}
unsafe fn call_boxed<F: FnOnce()>(p: *mut u8) {
    // SAFETY: the caller guarantees p holds a Box<F>, read exactly once.
    let f = unsafe { p.cast::<Box<F>>().read() };
    f()
}
unsafe fn drop_inline<F>(p: *mut u8) {
    // SAFETY: the caller guarantees p holds an F, dropped exactly once.
    unsafe { p.cast::<F>().drop_in_place() }
}
unsafe fn drop_boxed<F>(p: *mut u8) {
    // SAFETY: the caller guarantees p holds a Box<F>, dropped exactly once.
    unsafe { p.cast::<Box<F>>().drop_in_place() }
}
unsafe fn nothing(_: *mut u8) {}

#[cfg(test)]
mod tests {
    use super::GFn;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[test]
    fn small_and_large_functions_are_called_or_dropped_exactly_once() {
        let hits = Arc::new(AtomicUsize::new(0));
        let big = [7u64; 32];
        for large in [false, true] {
            let mut f = GFn::empty();
            let h = hits.clone();
            if large {
                f.set(move || {
                    h.fetch_add(big[0] as usize, Ordering::SeqCst);
                });
            } else {
                f.set(move || {
                    h.fetch_add(1, Ordering::SeqCst);
                });
            }
            f.call();
            f.call(); // second call: nothing left
        }
        assert_eq!(hits.load(Ordering::SeqCst), 8);
        let mut f = GFn::empty();
        let h = hits.clone();
        f.set(move || drop(h));
        assert_eq!(Arc::strong_count(&hits), 2);
        drop(f); // dropped without being called: the capture is released
        assert_eq!(Arc::strong_count(&hits), 1);
    }
}
