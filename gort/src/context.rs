//! `gort::context`: Go's `context` package — cancellation, deadlines and
//! request-scoped values that flow down a tree of contexts.
//!
//! # Structure
//! A [`Context`] is an `Arc` to a node: `background()`'s root, or a child
//! made by `with_cancel`, `with_deadline`/`with_timeout` (cancellable
//! nodes) or `with_value` (a value node, which shares its parent's
//! cancellation). A cancellable node owns a channel that is closed when it
//! is cancelled — so `done()` is an ordinary [`Receiver`], ready in
//! `select!` once cancelled and never before — plus its error, its timer
//! and its cancellable children.
//!
//! # Cancellation
//! `cancel(err)`: set the error (once; later calls do nothing), close the
//! done channel, stop the timer, then cancel every registered child with
//! the same error and unregister from the parent. A child registers with
//! its nearest cancellable ancestor under that ancestor's `children` lock,
//! checking the ancestor's error under the same lock; the canceller sets
//! its error *before* taking that lock to empty the list. So a child either
//! sees the error (and cancels itself at once) or is in the list the
//! canceller takes. A node leaves the list once nobody can receive from
//! its done channel (below), so a long-lived parent does not collect dead
//! children. No goroutine is ever started:
//! a deadline is a runtime timer, released on cancel.
//!
//! # Dropped, not cancelled
//! Only cancellation closes the done channel (it is kept open however its
//! senders go), so a clone of `done()` that outlives its context is not
//! closed by the drop — as in Go, where dropping a context cancels nothing.
//! Such a clone still hears what would have cancelled the context: its
//! parent's registry entry keeps a sender of the channel, which the
//! parent's cancellation closes if the node is gone, and the deadline
//! timer holds one, which it closes at the deadline. Both are released
//! once nobody can receive from the channel any more — the channel's
//! orphan hook stops the timer and leaves the parent's registry — so a
//! context dropped uncancelled costs nothing after that.

use crate::chan::{chan, chan_kept_open, on_orphan, Receiver, Sender};
use crate::runtime::timer::{self, TimerId};
use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, OnceLock, Weak};
use std::time::{Duration, Instant};

/// Why a context was cancelled (Go's `context.Canceled` and
/// `context.DeadlineExceeded`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Error {
    /// Its `CancelFunc` (or an ancestor's) was called.
    Canceled,
    /// Its deadline (or an ancestor's) passed.
    DeadlineExceeded,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::Canceled => "context canceled",
            Error::DeadlineExceeded => "context deadline exceeded",
        })
    }
}

impl std::error::Error for Error {}

/// Carries a cancellation signal, a deadline and values across API
/// boundaries and between goroutines (Go's `context.Context`). Cheap to
/// clone; `Send + Sync`.
///
/// ```
/// use gort::context;
/// use std::time::Duration;
///
/// gort::run(|| {
///     let (ctx, _cancel) = context::with_timeout(&context::background(), Duration::from_millis(10));
///     let (_tx, rx) = gort::chan::<u32>(0); // nobody ever sends
///     gort::select! {
///         _ = <-&rx => unreachable!(),
///         <-ctx.done() => assert_eq!(ctx.err(), Some(context::Error::DeadlineExceeded)),
///     }
/// });
/// ```
#[derive(Clone)]
pub struct Context {
    node: Arc<Node>,
}

/// Cancels the context it came with, and that context's descendants
/// (Go's `context.CancelFunc`). Idempotent. Dropping it does *not* cancel:
/// call [`cancel`](CancelFunc::cancel) when the work is done, as Go's
/// `defer cancel()` does, or the context lives until its parent is
/// cancelled (a timeout's timer until it fires).
#[derive(Clone)]
pub struct CancelFunc {
    node: Arc<Node>,
}

struct Node {
    parent: Option<Arc<Node>>,
    kind: Kind,
}

enum Kind {
    Background,
    Value {
        type_id: TypeId,
        value: Box<dyn Any + Send + Sync>,
    },
    Cancel(Cancel),
}

struct Cancel {
    id: u64,
    deadline: Option<Instant>,
    err: OnceLock<Error>,
    done_tx: parking_lot::Mutex<Option<Sender<()>>>,
    done_rx: Receiver<()>,
    /// Shared with the done channel's orphan hook, which stops the timer.
    timer: Arc<parking_lot::Mutex<Option<TimerId>>>,
    children: parking_lot::Mutex<HashMap<u64, Child>>,
}

/// A cancellable descendant, as its nearest cancellable ancestor knows it.
struct Child {
    node: Weak<Node>,
    /// Closed in the node's stead if it was dropped while a clone of its
    /// done channel lives on.
    done: Sender<()>,
}

/// The root of every context tree: never cancelled, no deadline, no
/// values (Go's `context.Background()`).
pub fn background() -> Context {
    static ROOT: OnceLock<Arc<Node>> = OnceLock::new();
    Context {
        node: Arc::clone(ROOT.get_or_init(|| {
            Arc::new(Node {
                parent: None,
                kind: Kind::Background,
            })
        })),
    }
}

/// The same root as [`background`], for code that has not been given a
/// context yet (Go's `context.TODO()`: a marker for a later change).
pub fn todo() -> Context {
    background()
}

/// A child of `parent` that is cancelled when the returned [`CancelFunc`]
/// is called or when `parent` is (Go's `context.WithCancel`).
pub fn with_cancel(parent: &Context) -> (Context, CancelFunc) {
    cancellable(parent, None)
}

/// A child of `parent` that is also cancelled, with
/// [`Error::DeadlineExceeded`], at `deadline` (Go's
/// `context.WithDeadline`). A parent's earlier deadline stays in force.
#[inline(never)] // takes a thread-blocking lock: see asyncpreempt.rs
pub fn with_deadline(parent: &Context, deadline: Instant) -> (Context, CancelFunc) {
    if parent.deadline().is_some_and(|d| d <= deadline) {
        return with_cancel(parent);
    }
    let (ctx, cancel) = cancellable(parent, Some(deadline));
    let Kind::Cancel(c) = &ctx.node.kind else {
        unreachable!("cancellable makes cancel nodes")
    };
    if deadline <= Instant::now() {
        ctx.node.cancel(Error::DeadlineExceeded);
    } else {
        let weak = Arc::downgrade(&ctx.node);
        let done_tx = c.done_tx.lock().clone();
        let id = timer::add(deadline, move || match weak.upgrade() {
            Some(node) => expire(node),
            None => {
                // Dropped before its deadline: close `done` for the clones.
                if let Some(tx) = done_tx {
                    tx.close();
                }
            }
        });
        let mut slot = c.timer.lock();
        if c.err.get().is_some() {
            timer::cancel(id); // cancelled meanwhile (by the parent)
        } else {
            *slot = Some(id);
        }
    }
    (ctx, cancel)
}

/// The deadline timer's callback. It runs in scheduler context: if the
/// context was dropped meanwhile, this may be the node's last reference, and
/// the values it owns must not be dropped here (`spawn::release`).
fn expire(node: Arc<Node>) {
    node.cancel(Error::DeadlineExceeded);
    crate::spawn::release(node);
}

/// [`with_deadline`] at `d` from now (Go's `context.WithTimeout`).
pub fn with_timeout(parent: &Context, d: Duration) -> (Context, CancelFunc) {
    with_deadline(parent, crate::time::deadline_after(d))
}

/// A child of `parent` that carries `value`, found by its type with
/// [`Context::value`] (Go's `context.WithValue`, keyed by type: wrap a
/// value in a newtype of your own to keep it apart from others').
pub fn with_value<T: Any + Send + Sync>(parent: &Context, value: T) -> Context {
    Context {
        node: Arc::new(Node {
            parent: Some(Arc::clone(&parent.node)),
            kind: Kind::Value {
                type_id: TypeId::of::<T>(),
                value: Box::new(value),
            },
        }),
    }
}

#[inline(never)] // takes a thread-blocking lock: see asyncpreempt.rs
fn cancellable(parent: &Context, deadline: Option<Instant>) -> (Context, CancelFunc) {
    static NEXT_ID: AtomicU64 = AtomicU64::new(1);
    let (tx, rx) = chan_kept_open(0);
    let id = NEXT_ID.fetch_add(1, Relaxed);
    let timer = Arc::new(parking_lot::Mutex::new(None));
    let ancestor_node = parent.node.cancel_ancestor_node().map(Arc::downgrade);
    on_orphan(
        &rx,
        leave_when_unreceivable(id, Arc::clone(&timer), ancestor_node),
    );
    let child_done = tx.clone();
    let node = Arc::new(Node {
        parent: Some(Arc::clone(&parent.node)),
        kind: Kind::Cancel(Cancel {
            id,
            deadline,
            err: OnceLock::new(),
            done_tx: parking_lot::Mutex::new(Some(tx)),
            done_rx: rx,
            timer,
            children: parking_lot::Mutex::new(HashMap::new()),
        }),
    });
    if let Some(ancestor) = parent.node.cancel_ancestor() {
        let mut children = ancestor.children.lock();
        match ancestor.err.get() {
            Some(&err) => {
                drop(children);
                node.cancel(err);
            }
            None => {
                let child = Child {
                    node: Arc::downgrade(&node),
                    done: child_done,
                };
                children.insert(id, child);
            }
        }
    }
    let ctx = Context {
        node: Arc::clone(&node),
    };
    (ctx, CancelFunc { node })
}

/// The done channel's orphan hook: once nobody can receive from it, stop
/// the deadline timer and leave the ancestor's registry.
fn leave_when_unreceivable(
    id: u64,
    timer: Arc<parking_lot::Mutex<Option<TimerId>>>,
    ancestor: Option<Weak<Node>>,
) -> Box<dyn FnOnce() + Send> {
    Box::new(move || {
        let stopped = timer.lock().take();
        if let Some(t) = stopped {
            timer::cancel(t);
        }
        if let Some(ancestor) = ancestor.and_then(|a| a.upgrade()) {
            let left = ancestor.cancel_state().children.lock().remove(&id);
            drop(left); // its sender, after the lock
            crate::spawn::release(ancestor);
        }
    })
}

impl Node {
    /// This node or its nearest ancestor that can be cancelled.
    fn cancel_ancestor_node(self: &Arc<Node>) -> Option<&Arc<Node>> {
        let mut node = self;
        loop {
            match &node.kind {
                Kind::Cancel(_) => return Some(node),
                Kind::Background => return None,
                Kind::Value { .. } => node = node.parent.as_ref()?,
            }
        }
    }

    /// The cancellation state of this node or of its nearest ancestor that
    /// can be cancelled.
    fn cancel_ancestor(self: &Arc<Node>) -> Option<&Cancel> {
        self.cancel_ancestor_node().map(|n| n.cancel_state())
    }

    fn cancel_state(&self) -> &Cancel {
        match &self.kind {
            Kind::Cancel(c) => c,
            _ => unreachable!("only cancel nodes are cancelled"),
        }
    }

    /// See the module docs.
    #[inline(never)] // takes a thread-blocking lock: see asyncpreempt.rs
    fn cancel(&self, err: Error) {
        let c = self.cancel_state();
        if c.err.set(err).is_err() {
            return; // already cancelled
        }
        let done_tx = c.done_tx.lock().take(); // closed with no lock held
        if let Some(tx) = done_tx {
            tx.close();
        }
        if let Some(id) = c.timer.lock().take() {
            timer::cancel(id);
        }
        let children = std::mem::take(&mut *c.children.lock());
        for child in children.into_values() {
            match child.node.upgrade() {
                Some(node) => {
                    node.cancel(err);
                    crate::spawn::release(node); // we may run in a timer callback
                }
                // Dropped, but a clone of its done channel lives on.
                None => {
                    child.done.close();
                }
            }
        }
        self.unregister();
    }

    /// Leave the nearest cancellable ancestor's list of children.
    #[inline(never)] // takes a thread-blocking lock: see asyncpreempt.rs
    fn unregister(&self) {
        let Kind::Cancel(c) = &self.kind else { return };
        if let Some(ancestor) = self.parent.as_ref().and_then(Node::cancel_ancestor) {
            ancestor.children.lock().remove(&c.id);
        }
    }
}

impl Context {
    /// A channel that is closed when this context is cancelled (Go's
    /// `ctx.Done()`): as a `select!` operand, `<-ctx.done() => …` is ready
    /// once the context is cancelled and never before. `background()`'s
    /// never closes.
    pub fn done(&self) -> &Receiver<()> {
        match self.node.cancel_ancestor() {
            Some(c) => &c.done_rx,
            None => never(),
        }
    }

    /// Why the context was cancelled, or `None` while it is not (Go's
    /// `ctx.Err()`). A descendant reports its ancestor's reason. Once it
    /// returns an error, `done()` is closed (as in Go).
    pub fn err(&self) -> Option<Error> {
        let c = self.node.cancel_ancestor()?;
        let err = *c.err.get()?;
        // The canceller sets the error, then closes the channel: wait out
        // that instant (a receive returns once the channel is closed).
        let _ = c.done_rx.recv();
        Some(err)
    }

    /// When the context will be cancelled by itself (its own or an
    /// ancestor's deadline), if ever (Go's `ctx.Deadline()`).
    pub fn deadline(&self) -> Option<Instant> {
        let mut node = Some(&*self.node);
        while let Some(n) = node {
            if let Kind::Cancel(Cancel {
                deadline: Some(d), ..
            }) = &n.kind
            {
                return Some(*d);
            }
            node = n.parent.as_deref();
        }
        None
    }

    /// The nearest value of type `T` put in this context or an ancestor
    /// with [`with_value`] (Go's `ctx.Value(key)`).
    pub fn value<T: Any + Send + Sync>(&self) -> Option<&T> {
        let mut node = Some(&*self.node);
        while let Some(n) = node {
            if let Kind::Value { type_id, value } = &n.kind {
                if *type_id == TypeId::of::<T>() {
                    return value.downcast_ref();
                }
            }
            node = n.parent.as_deref();
        }
        None
    }
}

impl CancelFunc {
    /// Cancel the context (with [`Error::Canceled`]) and its descendants,
    /// and release its timer; later calls do nothing.
    pub fn cancel(&self) {
        self.node.cancel(Error::Canceled);
    }
}

/// The done channel of contexts that are never cancelled.
fn never() -> &'static Receiver<()> {
    static NEVER: OnceLock<(Sender<()>, Receiver<()>)> = OnceLock::new();
    &NEVER.get_or_init(|| chan(0)).1
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("err", &self.err())
            .field("deadline", &self.deadline())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for CancelFunc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelFunc").finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// The pending timer of a timeout context.
    fn timer_of(ctx: &Context) -> Option<TimerId> {
        *ctx.node.cancel_state().timer.lock()
    }

    #[test]
    fn a_cancelled_or_dropped_timeout_releases_its_timer() {
        let (ctx, cancel) = with_timeout(&background(), Duration::from_secs(3600));
        let id = timer_of(&ctx).expect("a pending deadline has a timer");
        cancel.cancel();
        assert!(timer_of(&ctx).is_none());
        assert!(
            !timer::cancel(id),
            "the timer was still pending after cancel"
        );

        let (ctx, cancel) = with_timeout(&background(), Duration::from_secs(3600));
        let id = timer_of(&ctx).expect("a pending deadline has a timer");
        drop((ctx, cancel));
        assert!(!timer::cancel(id), "the timer outlived its context");
    }

    /// The context was dropped while its deadline fired: the callback, in
    /// scheduler context, holds the last reference to it and its values.
    #[test]
    fn values_released_by_a_deadline_are_dropped_on_a_goroutine() {
        let (probe, dropped) = crate::spawn::drop_probe();
        let valued = with_value(&background(), probe);
        let (ctx, cancel) = with_timeout(&valued, Duration::from_secs(3600));
        let upgraded = Arc::clone(&ctx.node);
        drop((ctx, cancel, valued));
        expire(upgraded);
        let by = dropped.recv_timeout(Duration::from_secs(10)).unwrap();
        assert_ne!(by, 0, "a value was dropped in scheduler context");
    }

    #[test]
    fn a_parent_forgets_children_that_are_cancelled_or_dropped() {
        let (parent, _cancel) = with_cancel(&background());
        let children = || parent.node.cancel_state().children.lock().len();
        let kept: Vec<_> = (0..10).map(|_| with_cancel(&parent)).collect();
        assert_eq!(children(), 10);
        kept[..5].iter().for_each(|(_, c)| c.cancel());
        assert_eq!(children(), 5);
        drop(kept);
        assert_eq!(children(), 0);
    }
}
