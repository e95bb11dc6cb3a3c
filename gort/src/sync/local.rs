//! Goroutine-local storage: [`goroutine_local!`](crate::goroutine_local)
//! and [`LocalKey`], the replacement for `thread_local!` in goroutines.
//!
//! # The problem
//! A goroutine may resume on another OS thread after anything that can
//! switch goroutines (`yield_now`, a channel operation, a contended lock…),
//! so a `thread_local!` read on both sides of such a call can see two
//! different threads' values. Values that belong to a *goroutine* need
//! storage that moves with it.
//!
//! # Layout
//! Each G has one storage slot (`Option<Box<dyn Any + Send>>`, reached with
//! `runtime::with_goroutine_locals`), touched only by code running on that
//! G. We keep a [`LocalMap`] there: key id → [`Slot`]. A key's id is taken
//! from a global counter on its first use, so keys never collide. A value is
//! boxed once and never moves or is removed until the whole map is dropped,
//! which the runtime does on the goroutine's own stack after its function
//! returned. On a plain OS thread (no current goroutine) the same map lives
//! in a `thread_local!` instead, dropped at thread exit.
//!
//! # Re-entrancy
//! The slot itself is lent out only for the few map operations here (the
//! runtime panics on nested loans), never while user code runs: `with`
//! looks the value up, releases the slot, then calls the user's closure with
//! a reference to the boxed value. So, inside `with`, using *other* keys
//! works (they may be created, growing the map — moving the `Value`
//! pointers, not the values), and using the *same* key again yields a
//! second shared `&T` to the same value, as `thread_local!` does. Only
//! initialising a key from inside its own initialiser is refused (a panic;
//! there is no value to give yet).
//!
//! # Safety argument for `with`
//! The `&T` handed to the closure points into a heap block owned by a
//! `Value` in the current goroutine's (or thread's) map. It stays valid for
//! the call: a `Value` is dropped only when the whole map is, which happens
//! after the goroutine's function has returned — so after every `with` frame
//! on its stack — or at thread exit. Nothing ever makes a `&mut T` to a
//! stored value. Only the goroutine that owns the map reaches it, from
//! whatever thread it runs on (hence `T: Send`; `T: Sync` is not needed).
//! Values are kept as raw pointers rather than `Box`es so that moving them
//! when the map grows asserts nothing about references into them.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::hash_map::{Entry, HashMap};
use std::fmt;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// Declare goroutine-local statics: `thread_local!`'s syntax, with one
/// value per goroutine instead of per thread.
///
/// ```
/// use std::cell::Cell;
///
/// gort::goroutine_local! {
///     /// Requests handled by the current goroutine.
///     static HANDLED: Cell<u32> = Cell::new(0);
///     pub static NAME: String = format!("worker");
/// }
///
/// gort::run(|| {
///     HANDLED.set(HANDLED.get() + 1);
///     gort::yield_now(); // may resume on another thread: the value follows
///     assert_eq!(HANDLED.get(), 1);
///     NAME.with(|n| assert_eq!(n, "worker"));
///     gort::spawn(|| HANDLED.get()).join().map(|n| assert_eq!(n, 0)).unwrap();
/// });
/// ```
///
/// Each `static NAME: T = init;` becomes a `static NAME:`
/// [`LocalKey<T>`](crate::sync::LocalKey); `T` must be `Send + 'static`.
/// `init` runs on a goroutine's first access to the key, and the value is
/// dropped when that goroutine exits. Used from a plain OS thread, the key
/// falls back to per-thread storage. See [`LocalKey`](crate::sync::LocalKey).
#[macro_export]
macro_rules! goroutine_local {
    () => {};
    ($(#[$attr:meta])* $vis:vis static $name:ident : $t:ty = $init:expr; $($rest:tt)*) => {
        $crate::goroutine_local!($(#[$attr])* $vis static $name: $t = $init);
        $crate::goroutine_local!($($rest)*);
    };
    ($(#[$attr:meta])* $vis:vis static $name:ident : $t:ty = $init:expr) => {
        $(#[$attr])*
        $vis static $name: $crate::sync::LocalKey<$t> = {
            fn __gort_local_init() -> $t {
                $init
            }
            $crate::sync::LocalKey::__new(__gort_local_init)
        };
    };
}

/// A key for goroutine-local values, declared with
/// [`goroutine_local!`](crate::goroutine_local) (the counterpart of
/// `std::thread::LocalKey`).
///
/// Every goroutine that uses the key gets its own `T`, created by the
/// key's initialiser on that goroutine's first access and dropped when the
/// goroutine exits (on its own stack, so a destructor may block). The value
/// follows the goroutine when it migrates between threads — unlike a
/// `thread_local!`, whose value can change under a goroutine at any call
/// that may switch goroutines.
///
/// # On plain threads
/// Outside a goroutine (a thread that is not running one, e.g. `main`
/// without `#[gort::main]`), the key falls back to per-thread storage: one
/// value per thread, dropped at thread exit. As with `thread_local!`, a
/// destructor that runs at thread exit must not use a goroutine-local key
/// (that panics).
///
/// # Destructors on goroutines
/// When a goroutine exits, its values are dropped in no particular order. A
/// destructor that uses a key gets a fresh value (dropped in turn); the
/// runtime repeats until none is left, so do not create one from every
/// destructor. A destructor that panics ends the process with status 2,
/// as any unrecovered panic in a goroutine does.
pub struct LocalKey<T: 'static> {
    init: fn() -> T,
    /// This key's id in the maps, 0 until its first use. Written once, by
    /// CAS from any thread; read relaxed (the id is the only data).
    id: AtomicUsize,
}

/// Source of key ids (0 means "not assigned").
static NEXT_ID: AtomicUsize = AtomicUsize::new(1);

impl<T: 'static> LocalKey<T> {
    #[doc(hidden)]
    /// The expansion of `goroutine_local!`; not a public API.
    pub const fn __new(init: fn() -> T) -> LocalKey<T> {
        LocalKey {
            init,
            id: AtomicUsize::new(0),
        }
    }

    fn id(&self) -> usize {
        match self.id.load(Relaxed) {
            0 => {
                let fresh = NEXT_ID.fetch_add(1, Relaxed);
                match self.id.compare_exchange(0, fresh, Relaxed, Relaxed) {
                    Ok(_) => fresh,
                    Err(winner) => winner,
                }
            }
            id => id,
        }
    }
}

impl<T: Send + 'static> LocalKey<T> {
    /// Call `f` with a reference to the calling goroutine's value, creating
    /// it first if this goroutine has none (the counterpart of
    /// `LocalKey::with` for threads).
    ///
    /// Inside `f`, other keys — and this key again — may be used freely.
    ///
    /// # Panics
    /// If the key's initialiser uses the key itself (it has no value yet),
    /// or if the initialiser panics (the key then stays uninitialised, and
    /// the next access tries again). On a plain thread, also if called
    /// while the thread's goroutine-local values are being dropped.
    pub fn with<R>(&'static self, f: impl FnOnce(&T) -> R) -> R {
        let value = self.value_ptr();
        // SAFETY: `value` points into a heap block owned by the current
        // goroutine's (or thread's) map, which frees it only when the whole
        // map is dropped — after every frame of this goroutine (or thread)
        // has returned — and never hands out `&mut T` to it (module docs).
        f(unsafe { value.as_ref() })
    }

    /// The current goroutine's value, created if need be.
    fn value_ptr(&'static self) -> NonNull<T> {
        let id = self.id();
        let found = with_map(|map| match map.values.entry(id) {
            Entry::Occupied(e) => match e.get() {
                Slot::Ready(v) => Some(Some(v.0)),
                Slot::Initializing => None,
            },
            Entry::Vacant(e) => {
                e.insert(Slot::Initializing);
                Some(None)
            }
        });
        match found {
            Some(Some(value)) => return downcast(value),
            Some(None) => {}
            None => panic!(
                "goroutine-local value of type `{}` used by its own initialiser",
                std::any::type_name::<T>()
            ),
        }

        // First use on this goroutine: initialise outside the map's loan
        // (the initialiser may use other keys).
        let unmark = Unmark(id);
        let value: Box<dyn Any + Send> = Box::new((self.init)());
        std::mem::forget(unmark);
        let value = Value::new(value);
        let ptr = value.0;
        let previous = with_map(|map| map.values.insert(id, Slot::Ready(value)));
        debug_assert!(matches!(previous, Some(Slot::Initializing)));
        drop(previous); // outside the loan: it could, in theory, run user code
        downcast(ptr)
    }
}

impl<T: Copy + Send + 'static> LocalKey<Cell<T>> {
    /// A copy of the calling goroutine's value.
    pub fn get(&'static self) -> T {
        self.with(Cell::get)
    }

    /// Set the calling goroutine's value.
    pub fn set(&'static self, value: T) {
        self.with(|c| c.set(value))
    }

    /// Replace the calling goroutine's value, returning the old one.
    pub fn replace(&'static self, value: T) -> T {
        self.with(|c| c.replace(value))
    }
}

impl<T: Send + 'static> LocalKey<RefCell<T>> {
    /// Borrow the calling goroutine's value immutably for the call.
    ///
    /// # Panics
    /// If it is currently mutably borrowed.
    pub fn with_borrow<R>(&'static self, f: impl FnOnce(&T) -> R) -> R {
        self.with(|c| f(&c.borrow()))
    }

    /// Borrow the calling goroutine's value mutably for the call.
    ///
    /// # Panics
    /// If it is currently borrowed.
    pub fn with_borrow_mut<R>(&'static self, f: impl FnOnce(&mut T) -> R) -> R {
        self.with(|c| f(&mut c.borrow_mut()))
    }

    /// Replace the calling goroutine's value, returning the old one.
    ///
    /// # Panics
    /// If it is currently borrowed.
    pub fn replace(&'static self, value: T) -> T {
        self.with(|c| c.replace(value))
    }
}

impl<T: 'static> fmt::Debug for LocalKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalKey").finish_non_exhaustive()
    }
}

/// The `&T` inside a stored value. Keys have a fixed `T` and unique ids, so
/// the type always matches; a mismatch would be a bug here, so it panics.
fn downcast<T: 'static>(value: NonNull<dyn Any + Send>) -> NonNull<T> {
    // SAFETY: `value` is live (see `with`), and this shared reference is
    // used only to check the type.
    let any = unsafe { value.as_ref() };
    assert!(
        any.is::<T>(),
        "goroutine-local storage: value of the wrong type under a key"
    );
    value.cast::<T>()
}

/// Removes a key's `Initializing` mark if its initialiser panics.
struct Unmark(usize);

impl Drop for Unmark {
    fn drop(&mut self) {
        let mark = with_map(|map| map.values.remove(&self.0));
        drop(mark);
    }
}

/// One goroutine's (or thread's) values.
#[derive(Default)]
pub(crate) struct LocalMap {
    values: HashMap<usize, Slot>,
}

enum Slot {
    /// The key's initialiser is running.
    Initializing,
    Ready(Value),
}

/// An owned, type-erased value: a `Box<dyn Any + Send>` held as a raw
/// pointer, so moving a `Value` asserts no uniqueness over the heap block
/// that live `&T`s point into.
struct Value(NonNull<dyn Any + Send>);

impl Value {
    fn new(b: Box<dyn Any + Send>) -> Value {
        Value(NonNull::from(Box::leak(b)))
    }
}

// SAFETY: a Value owns a `Box<dyn Any + Send>`; sending it sends that box,
// and it offers no shared access of its own (it is not Sync).
unsafe impl Send for Value {}

impl Drop for Value {
    fn drop(&mut self) {
        // SAFETY: the pointer came from `Box::leak` in `Value::new` and is
        // freed only here, once; by now no `with` frame refers to it.
        drop(unsafe { Box::from_raw(self.0.as_ptr()) });
    }
}

/// Run `f` on the calling goroutine's map (or the thread's, outside a
/// goroutine). `f` must not run user code: the map is on loan meanwhile.
fn with_map<R>(f: impl FnOnce(&mut LocalMap) -> R) -> R {
    let mut f = Some(f);
    let on_goroutine = crate::runtime::with_goroutine_locals(|slot| {
        let map = slot.get_or_insert_with(Box::default);
        (f.take().expect("f is called once"))(map)
    });
    match on_goroutine {
        Some(r) => r,
        None => with_thread_map(f.take().expect("f is called once")),
    }
}

thread_local! {
    /// The fallback map for plain OS threads.
    static THREAD_MAP: RefCell<LocalMap> = RefCell::new(LocalMap::default());
}

/// Out of line, as every thread-local access in gort (see the crate docs on
/// llvm-project#98479); only reached on a thread that runs no goroutine.
#[inline(never)]
fn with_thread_map<R>(f: impl FnOnce(&mut LocalMap) -> R) -> R {
    THREAD_MAP
        .try_with(|map| f(&mut map.borrow_mut()))
        .unwrap_or_else(|_| {
            panic!("goroutine-local value used on a thread after its goroutine-local values were dropped")
        })
}

#[cfg(all(test, not(loom)))]
mod tests {
    //! The plain-thread fallback (no runtime needed); tests/sync.rs covers
    //! goroutines.

    use std::cell::{Cell, RefCell};
    use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

    static DROPS: AtomicUsize = AtomicUsize::new(0);
    struct Counted(u32);
    impl Drop for Counted {
        fn drop(&mut self) {
            DROPS.fetch_add(1, Relaxed);
        }
    }

    crate::goroutine_local! {
        static A: Cell<u32> = Cell::new(1);
        static B: RefCell<Vec<u32>> = RefCell::new(vec![2]);
        static C: Counted = Counted(3)
    }
    crate::goroutine_local!(
        static SELF_INIT: u32 = SELF_INIT.with(|v| *v);
    );

    static INIT_CALLS: AtomicUsize = AtomicUsize::new(0);
    crate::goroutine_local! {
        static FLAKY: u32 = {
            if INIT_CALLS.fetch_add(1, Relaxed) == 0 {
                panic!("first init fails");
            }
            7
        };
    }

    #[test]
    fn per_thread_values_and_nesting() {
        A.set(10);
        B.with_borrow_mut(|v| v.push(3));
        std::thread::spawn(|| {
            assert_eq!(A.get(), 1, "a new thread starts fresh");
            B.with_borrow(|v| assert_eq!(v, &[2]));
        })
        .join()
        .unwrap();
        // Nested: a different key, and the same key again (same value).
        A.with(|a| {
            B.with(|b| b.borrow_mut().push(a.get()));
            A.with(|a2| assert!(std::ptr::eq(a, a2)));
        });
        assert_eq!(B.replace(vec![]), [2, 3, 10]);
    }

    #[test]
    fn dropped_at_thread_exit() {
        let before = DROPS.load(Relaxed);
        std::thread::spawn(|| C.with(|c| assert_eq!(c.0, 3)))
            .join()
            .unwrap();
        assert_eq!(DROPS.load(Relaxed), before + 1);
    }

    #[test]
    fn recursive_init_panics_and_failed_init_retries() {
        let r = std::panic::catch_unwind(|| SELF_INIT.with(|v| *v));
        assert!(r.is_err());
        assert!(std::panic::catch_unwind(|| FLAKY.with(|v| *v)).is_err());
        assert_eq!(FLAKY.with(|v| *v), 7);
    }
}
