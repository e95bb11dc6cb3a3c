//! `go!`: parse the three accepted shapes (a call, a closure, a block) and expand each
//! into `::gort::__private::go(closure)`, the closure being `FnOnce() + Send + 'static`.
//!
//! Go's `go f(a, b)` evaluates the function value and its arguments in the calling
//! goroutine and only runs the call in the new one. The call shape keeps that order: the
//! callee and a method receiver (unless each is a plain path) and every argument (unless it
//! is a closure literal) are bound to hidden locals, left to right, before the goroutine is
//! spawned; the goroutine's `move` closure takes those locals and makes the call, whose
//! result must be `()` (a lost value is a compile error: `GoroutineReturn` in gort's
//! lib.rs). See `InPlace` for why some operands are left in place.
//!
//! Spans: everything the user wrote keeps its span, and the tokens added around a user's
//! call or block borrow its spans, so that a type error in the goroutine (a captured `Rc`,
//! a borrowed local) is reported on the user's tokens. The hidden locals are `mixed_site`
//! identifiers: user code can neither name them nor be shadowed by them.

use proc_macro2::{Delimiter, Group, Ident, Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::token::Paren;
use syn::{Expr, ExprCall, ExprClosure, ExprMethodCall, Token};

/// What the user asked to run in a new goroutine.
pub(crate) enum Goroutine {
    /// `go!(f(a, b))` or `go!(recv.method(a))`: values computed now, the call later.
    Call(DeferredCall),
    /// `go!(move || ...)`: an argument-less closure, passed through unchanged.
    Closure(ExprClosure),
    /// `go!({ ... })` or `go!(unsafe { ... })`: becomes the body of a `move` closure.
    Block(Expr),
}

/// A call whose operands are evaluated in the spawner, in source order.
pub(crate) struct DeferredCall {
    /// `let` bindings for the callee, receiver and arguments, in evaluation order.
    bindings: Vec<(Ident, Expr)>,
    /// The goroutine: a `move` closure making the call over the hidden locals, e.g.
    /// `move || { f(__gort_arg0, __gort_arg1); }`.
    closure: TokenStream,
}

// ---------------------------------------------------------------------------------------
// parse
// ---------------------------------------------------------------------------------------

const SHAPES: &str =
    "`go!` expects a call `go!(f(a, b))`, a closure `go!(move || ...)` or a block `go!({ ... })`";

impl Parse for Goroutine {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut exprs = Punctuated::<Expr, Token![,]>::parse_terminated(input)?.into_pairs();
        let Some(first) = exprs.next() else {
            return Err(syn::Error::new(Span::call_site(), SHAPES));
        };
        let rest: Punctuated<Expr, Token![,]> = exprs.collect();
        if !rest.is_empty() {
            return Err(syn::Error::new_spanned(
                rest,
                "`go!` takes a single call, closure or block; \
                 to pass arguments, write the call: `go!(f(a, b))`",
            ));
        }
        Goroutine::classify(first.into_value())
    }
}

impl Goroutine {
    fn classify(expr: Expr) -> syn::Result<Self> {
        match expr {
            // `(f(x))`, and the invisible group around a `$e:expr` from a `macro_rules!`.
            Expr::Paren(inner) => Goroutine::classify(*inner.expr),
            Expr::Group(inner) => Goroutine::classify(*inner.expr),
            Expr::Call(call) => Ok(Goroutine::Call(DeferredCall::from_call(call))),
            Expr::MethodCall(call) => Ok(Goroutine::Call(DeferredCall::from_method_call(call))),
            Expr::Closure(closure) => {
                if let Some(asyncness) = closure.asyncness {
                    return Err(syn::Error::new_spanned(
                        asyncness,
                        "a goroutine runs synchronous code (it may block); remove `async`",
                    ));
                }
                if !closure.inputs.is_empty() {
                    return Err(syn::Error::new_spanned(
                        closure.inputs,
                        "a goroutine closure takes no arguments: capture the values instead, \
                         or pass them with a call, `go!(f(a, b))`",
                    ));
                }
                Ok(Goroutine::Closure(closure))
            }
            Expr::Block(_) | Expr::Unsafe(_) => Ok(Goroutine::Block(expr)),
            Expr::Async(block) => Err(syn::Error::new_spanned(
                block.async_token,
                "a goroutine runs synchronous code (it may block); \
                 remove `async` to run the block: `go!({ ... })`",
            )),
            Expr::Path(ref path) if path.qself.is_none() => {
                let name = path.to_token_stream().to_string().replace(' ', "");
                Err(syn::Error::new_spanned(
                    expr,
                    format!(
                        "{SHAPES}; to run `{name}` in a new goroutine, call it: `go!({name}())`"
                    ),
                ))
            }
            other => Err(syn::Error::new_spanned(other, SHAPES)),
        }
    }
}

/// Which operands may stay inside the goroutine instead of being bound to a hidden local.
#[derive(Clone, Copy)]
enum InPlace {
    /// An argument: only a closure literal stays (building one has no effect, and its
    /// captures are then moved into the goroutine instead of borrowed from the spawner).
    /// Every other argument is bound, so all of them are evaluated left to right, now.
    Closures,
    /// The callee or a method receiver: a plain path stays too (a function item, a local
    /// that the goroutine's `move` closure takes, or a `static`, which cannot be moved out
    /// of but may be borrowed for `'static`).
    ClosuresAndPaths,
}

fn stays_in_place(expr: &Expr, rule: InPlace) -> bool {
    match expr {
        Expr::Closure(_) => true,
        Expr::Path(path) => matches!(rule, InPlace::ClosuresAndPaths) && path.qself.is_none(),
        Expr::Paren(inner) => stays_in_place(&inner.expr, rule),
        Expr::Group(inner) => stays_in_place(&inner.expr, rule),
        _ => false,
    }
}

/// The hidden locals of a deferred call, in evaluation order.
#[derive(Default)]
struct Bindings(Vec<(Ident, Expr)>);

impl Bindings {
    /// Binds `expr` to a hidden local named `name` unless it stays in place; returns the
    /// tokens that stand for it inside the goroutine.
    fn operand(&mut self, name: &str, expr: Expr, rule: InPlace) -> TokenStream {
        if stays_in_place(&expr, rule) {
            return expr.into_token_stream();
        }
        // Hygienic (invisible to user code) but located at the user's expression, so that
        // a diagnostic about the captured local points at what the user wrote.
        let local = Ident::new(name, Span::mixed_site().located_at(expr.span()));
        self.0.push((local.clone(), expr));
        local.into_token_stream()
    }

    /// Binds each argument; returns the parenthesized argument list for the call.
    fn arguments(&mut self, paren: Paren, args: Punctuated<Expr, Token![,]>) -> TokenStream {
        let args: Vec<TokenStream> = args
            .into_iter()
            .enumerate()
            .map(|(i, arg)| self.operand(&format!("__gort_arg{i}"), arg, InPlace::Closures))
            .collect();
        let mut tokens = TokenStream::new();
        paren.surround(&mut tokens, |tokens| tokens.extend(quote!(#(#args),*)));
        tokens
    }
}

impl DeferredCall {
    fn from_call(call: ExprCall) -> Self {
        let ExprCall {
            attrs,
            func,
            paren_token,
            args,
        } = call;
        let start = func.span();
        let mut bindings = Bindings::default();
        let func = bindings.operand("__gort_fn", *func, InPlace::ClosuresAndPaths);
        let args = bindings.arguments(paren_token, args);
        let call = quote!(#(#attrs)* #func #args);
        DeferredCall::new(bindings, call, start, paren_token)
    }

    fn from_method_call(call: ExprMethodCall) -> Self {
        let ExprMethodCall {
            attrs,
            receiver,
            dot_token,
            method,
            turbofish,
            paren_token,
            args,
        } = call;
        let start = receiver.span();
        let mut bindings = Bindings::default();
        let receiver = bindings.operand("__gort_recv", *receiver, InPlace::ClosuresAndPaths);
        let args = bindings.arguments(paren_token, args);
        let call = quote!(#(#attrs)* #receiver #dot_token #method #turbofish #args);
        DeferredCall::new(bindings, call, start, paren_token)
    }

    /// Wraps `call` in the goroutine's closure. The closure's tokens take the spans of the
    /// call's first token (`start`) and of its argument list, so that the closure, and any
    /// error about what it captures, spans the user's call.
    fn new(bindings: Bindings, call: TokenStream, start: Span, paren: Paren) -> Self {
        // The call's value is the closure's: `__private::go` accepts only `()`, so the
        // call form, like the closure and block forms, refuses to drop a result silently
        // (Go discards it; a lost `Result` is a bug Rust can catch) and says to use `spawn`.
        let mut body = Group::new(Delimiter::Brace, quote!(#call));
        body.set_span(paren.span.join());
        let closure = quote_spanned!(start=> move || #body);
        DeferredCall {
            bindings: bindings.0,
            closure,
        }
    }
}

// ---------------------------------------------------------------------------------------
// expand
// ---------------------------------------------------------------------------------------

impl Goroutine {
    /// The expansion: a block of type `()` that spawns the goroutine.
    pub(crate) fn expand(self) -> TokenStream {
        let (bindings, closure) = match self {
            Goroutine::Call(DeferredCall { bindings, closure }) => (bindings, closure),
            Goroutine::Closure(closure) => (Vec::new(), closure.into_token_stream()),
            Goroutine::Block(block) => {
                let span = block.span();
                (Vec::new(), quote_spanned!(span=> move || #block))
            }
        };
        let locals = bindings.iter().map(|(local, _)| local);
        let values = bindings.iter().map(|(_, value)| value);
        quote! {
            {
                #(let #locals = #values;)*
                ::gort::__private::go(#closure);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `tokens` as syn prints them once parsed, so that `||` and `| |` compare equal.
    fn normalized(tokens: TokenStream) -> String {
        syn::parse2::<Expr>(tokens)
            .expect("an expression")
            .to_token_stream()
            .to_string()
    }

    fn expand(input: TokenStream) -> String {
        match syn::parse2::<Goroutine>(input) {
            Ok(goroutine) => normalized(goroutine.expand()),
            Err(error) => panic!("unexpected error: {error}"),
        }
    }

    fn error(input: TokenStream) -> String {
        match syn::parse2::<Goroutine>(input) {
            Ok(goroutine) => panic!("expected an error, got {}", goroutine.expand()),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    #[rustfmt::skip] // the expected expansion keeps the braces rustfmt would drop
    fn call_arguments_are_bound_before_the_spawn() {
        assert_eq!(
            expand(quote!(f(a(), b))),
            normalized(quote!({
                let __gort_arg0 = a();
                let __gort_arg1 = b;
                ::gort::__private::go(move || { f(__gort_arg0, __gort_arg1) });
            })),
        );
    }

    #[test]
    #[rustfmt::skip] // the expected expansion keeps the braces rustfmt would drop
    fn a_computed_callee_is_bound_first() {
        assert_eq!(
            expand(quote!(handlers[i](x))),
            normalized(quote!({
                let __gort_fn = handlers[i];
                let __gort_arg0 = x;
                ::gort::__private::go(move || { __gort_fn(__gort_arg0) });
            })),
        );
    }

    #[test]
    #[rustfmt::skip] // the expected expansion keeps the braces rustfmt would drop
    fn a_computed_receiver_is_bound_first() {
        assert_eq!(
            expand(quote!(server.clone().serve::<Tcp>(conn))),
            normalized(quote!({
                let __gort_recv = server.clone();
                let __gort_arg0 = conn;
                ::gort::__private::go(move || { __gort_recv.serve::<Tcp>(__gort_arg0) });
            })),
        );
    }

    #[test]
    #[rustfmt::skip] // the expected expansion keeps the braces rustfmt would drop
    fn path_callees_receivers_and_closure_arguments_stay_in_place() {
        assert_eq!(
            expand(quote!(COUNTER.fetch_add(1, Ordering::SeqCst))),
            normalized(quote!({
                let __gort_arg0 = 1;
                let __gort_arg1 = Ordering::SeqCst;
                ::gort::__private::go(move || { COUNTER.fetch_add(__gort_arg0, __gort_arg1) });
            })),
        );
        assert_eq!(
            expand(quote!(worker::run(|job| job.len()))),
            normalized(quote!({
                ::gort::__private::go(move || { worker::run(|job| job.len()) });
            })),
        );
    }

    #[test]
    fn parentheses_and_invisible_groups_are_looked_through() {
        let invisible = proc_macro2::Group::new(proc_macro2::Delimiter::None, quote!(f(x)));
        let expected = expand(quote!(f(x)));
        assert_eq!(expand(quote!((f(x)))), expected);
        assert_eq!(expand(invisible.into_token_stream()), expected);
    }

    #[test]
    fn closures_pass_through_and_blocks_become_move_closures() {
        assert_eq!(
            expand(quote!(|| work())),
            normalized(quote!({
                ::gort::__private::go(|| work());
            })),
        );
        assert_eq!(
            expand(quote!({
                work();
            })),
            normalized(quote!({
                ::gort::__private::go(move || {
                    work();
                });
            })),
        );
        assert_eq!(
            expand(quote!(unsafe { work() })),
            normalized(quote!({
                ::gort::__private::go(move || unsafe { work() });
            })),
        );
    }

    #[test]
    fn other_shapes_are_errors_that_name_the_accepted_ones() {
        assert_eq!(error(quote!()), SHAPES);
        assert_eq!(error(quote!(42)), SHAPES);
        assert_eq!(error(quote!(x?)), SHAPES);
        assert!(error(quote!(worker::run)).ends_with("call it: `go!(worker::run())`"));
        assert!(error(quote!(f, a, b)).starts_with("`go!` takes a single call"));
        assert!(error(quote!(|x| x)).starts_with("a goroutine closure takes no arguments"));
        assert!(error(quote!(async {})).contains("remove `async`"));
        assert!(error(quote!(async || {})).contains("remove `async`"));
    }
}
