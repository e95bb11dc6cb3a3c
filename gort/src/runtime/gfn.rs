//! `GFn`: a goroutine's function, stored inside its G without a separate
//! allocation when it is small (most closures capture a few pointers).
//!
//! Together with the per-P cache of free Gs (p.rs), this makes spawning free
//! of `malloc` in the steady state — important because the G is usually
//! freed on another thread than the one that made it (work stealing), and
//! cross-thread frees are slow in most allocators. Larger closures are boxed.
//!
//! # Invariant
//! `state` says what `buf` holds: nothing, an `F` inline, or a `Box<F>`; the
//! `call`/`drop_fn` pointers were instantiated for that same `F` and state.

use std::mem::{align_of, size_of, MaybeUninit};

/// Inline capacity in words: 6 words (48 bytes) covers closures capturing
/// up to six pointers, e.g. a few Arcs and a channel end. A guess sized to
/// the examples; larger closures cost one allocation.
const WORDS: usize = 6;

pub(crate) struct GFn {
    buf: MaybeUninit<[usize; WORDS]>,
    /// Moves the function out of `buf` and calls it; None when empty.
    call: Option<unsafe fn(*mut u8)>,
    /// Drops the function in `buf` without calling it.
    drop_fn: unsafe fn(*mut u8),
}

// SAFETY: GFn only ever holds an `F: Send` (enforced by `set`).
unsafe impl Send for GFn {}

impl GFn {
    pub(crate) const fn empty() -> GFn {
        GFn {
            buf: MaybeUninit::uninit(),
            call: None,
            drop_fn: drop_nothing,
        }
    }

    /// Store `f`; the previous function must have been taken.
    pub(crate) fn set<F: FnOnce() + Send + 'static>(&mut self, f: F) {
        debug_assert!(self.call.is_none(), "GFn::set over a stored function");
        let dst = self.buf.as_mut_ptr().cast::<u8>();
        if size_of::<F>() <= size_of::<[usize; WORDS]>() && align_of::<F>() <= align_of::<usize>() {
            // SAFETY: buf is large and aligned enough for F (checked above).
            unsafe { dst.cast::<F>().write(f) };
            self.call = Some(call_inline::<F>);
            self.drop_fn = drop_inline::<F>;
        } else {
            // SAFETY: buf holds at least one word, enough for a Box pointer.
            unsafe { dst.cast::<Box<F>>().write(Box::new(f)) };
            self.call = Some(call_boxed::<F>);
            self.drop_fn = drop_boxed::<F>;
        }
    }

    /// Take the function out and call it.
    pub(crate) fn call(&mut self) {
        if let Some(call) = self.call.take() {
            self.drop_fn = drop_nothing;
            // SAFETY: `call` matches what `set` wrote to buf, and taking it
            // above means the function is moved out exactly once.
            unsafe { call(self.buf.as_mut_ptr().cast()) }
        }
    }
}

impl Drop for GFn {
    fn drop(&mut self) {
        if self.call.take().is_some() {
            // SAFETY: drop_fn matches what set wrote; call is taken, so it is
            // dropped exactly once and never called.
            unsafe { (self.drop_fn)(self.buf.as_mut_ptr().cast()) }
        }
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
unsafe fn drop_nothing(_: *mut u8) {}

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
