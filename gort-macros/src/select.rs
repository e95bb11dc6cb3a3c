//! `select!`: parse Go's select arms and expand them into one call of the runtime's
//! `::gort::__private::select` over type-erased cases, followed by a `match` on the index of
//! the case that fired, whose arms are the user's bodies, inline.
//!
//! # The problem
//!
//! Go's `select` is a statement whose cases are channel operations written with Go's `<-`
//! operator; the arms run in the enclosing function, so `break`, `continue` and `return`
//! in them mean what they mean around the `select`. Rust has no `<-` token (the lexer
//! hands a proc macro `<` and `-`), and the arms must stay ordinary Rust code.
//!
//! # Rejected alternatives
//!
//! - *Arm bodies in closures* handed to the runtime (as a library-only API would): a
//!   closure cannot `break` out of the caller's loop, `return` from the caller or use `?`.
//! - *Parsing each head as a `syn::Expr`*: `tx <- v` parses as the comparison `tx < -v`,
//!   but `tx <- a + b` as `tx < (-a + b)`, so the operands could not be recovered reliably;
//!   and a receive `<-rx` is not an expression at all.
//! - *A `macro_rules!` macro* (crossbeam's and tokio's `select!` are): it cannot split a
//!   token sequence at a `<-` that follows an arbitrary expression, nor report a misuse on
//!   the user's tokens with an explanation.
//!
//! # The protocol
//!
//! 1. *Heads.* An arm is `head => body`. The head is every token before the arm's first
//!    top-level `=>` (groups — `(..)`, `[..]`, `{..}` — are single tokens here, so a `=>`
//!    inside a closure's `match` does not count). The body is parsed as `match` parses an
//!    arm's body: a block-like expression, or an expression followed by `,` (optional
//!    after the last arm).
//! 2. *Binding.* A head that starts with `name =`, `mut name =` or `_ =` binds the case's
//!    result (the `=` must stand alone: `==` is not a binding).
//! 3. *Operation.* What follows the binding is `default`, or starts with `<-` (a receive:
//!    the operand is the rest), or contains `<-` (a send: the channel is what comes before
//!    the first `<-`, the value what comes after it). Inside a head, `<-` is a `<` joined
//!    to a `-` (written without a space); at the start of a receive any spacing is
//!    accepted, since no expression starts with `< -`. So the channel expression of a
//!    send may not contain `<-` itself: `a<-b` there must be written `a < -b`.
//! 4. *Evaluation.* Every channel operand and every send value is evaluated exactly once,
//!    in source order, before the runtime is entered — cf. Go's spec, "Select statements".
//!    An operand is *borrowed* into a hidden local, `let __gort_opN = &(rx);`: `rx` stays
//!    usable (a `select!` in a loop), and a temporary (`<-gort::time::after(d)`) lives as
//!    long as the `select!`. A send value is moved into its case's constructor as an
//!    argument, so the channel's element type is its expected type: a mismatch is reported
//!    on the whole value, and closures, `Default::default()` and `.into()` infer from it.
//!    (The price: a temporary borrowed by a send value, `tx <- &make()`, is not extended;
//!    bind it with `let` first.)
//! 5. *Cases.* Each operand is lent to a `RecvCase`/`SendCase` through the runtime's
//!    `recv_operand`/`send_operand` (whose traits accept a channel end, a reference to one,
//!    an `Option` of either — `None` being Go's nil channel — and a `Ticker`, and whose
//!    `on_unimplemented` messages explain a send on a `Receiver` and the like).
//! 6. *Selection.* `::gort::__private::select(&mut [cases..], has_default)` returns the
//!    index of the fired case (in the source order of the non-default arms) or `None` when
//!    the `default` arm is to run. Go's algorithm (random poll order, locking in address
//!    order, parking on every channel) lives in the runtime, cf. `runtime.selectgo`.
//! 7. *Arms.* A `match` on that index runs the arm inline: `v = <-rx` binds
//!    `Result<T, RecvError>`, `<-rx` drops the result, `tx <- value` panics on a closed
//!    channel as Go does (`into_sent`), `r = tx <- value` binds `Result<(), SendError<T>>`.
//!    `select! {}` is `select_forever()`, Go's `select {}`.
//!
//! Hygiene: the hidden locals are `mixed_site` identifiers located at the user's operand,
//! so user code can neither see nor shadow them (a `select!` nested in an arm included),
//! and a type error about an operand is reported on the user's tokens.
//!
//! Errors: every misuse of an arm's head is collected and reported at once, each on the
//! offending tokens; a body that does not parse stops the parse (syn's own error). The
//! input is not re-emitted beside the errors, as the attribute macros do: its bodies use
//! bindings that would then be undefined, burying the real error under follow-ups.

use proc_macro2::{Delimiter, Group, Ident, Literal, Spacing, Span, TokenStream, TokenTree};
use quote::{quote, quote_spanned, ToTokens};
use syn::parse::{Parse, ParseStream};
use syn::{Expr, Token};

/// A parsed `select!`: its arms in source order.
pub(crate) struct Select {
    arms: Vec<Arm>,
}

/// `head => body`.
struct Arm {
    operation: Operation,
    body: Expr,
}

/// What an arm waits for.
enum Operation {
    /// `<-rx` or `v = <-rx`.
    Recv {
        binding: Option<TokenStream>,
        arrow: Extent,
        operand: Operand,
    },
    /// `tx <- value` or `r = tx <- value`.
    Send {
        binding: Option<TokenStream>,
        channel: Operand,
        arrow: Extent,
        value: Expr,
    },
    /// `default`: the keyword, for the error about a second one.
    Default(Ident),
}

/// A channel operand and where it was written.
struct Operand {
    expr: Expr,
    extent: Extent,
}

/// The spans of the first and the last token of something the user wrote: a diagnostic
/// on tokens spanned from `first` to `last` underlines all of it (`Span::join` is not
/// stable).
#[derive(Clone, Copy)]
struct Extent {
    first: Span,
    last: Span,
}

impl Extent {
    fn of(tokens: &[TokenTree]) -> Self {
        let span = |token: Option<&TokenTree>| token.map_or_else(Span::call_site, TokenTree::span);
        Extent {
            first: span(tokens.first()),
            last: span(tokens.last()),
        }
    }
}

// ---------------------------------------------------------------------------------------
// parse
// ---------------------------------------------------------------------------------------

const MISSING_FAT_ARROW: &str = "expected `=>` before this `select!` arm's body: `<-rx => { ... }`";

/// The accepted arm shapes, for error messages.
const SHAPES: &str = "expected a `select!` arm: `v = <-rx => ...`, `<-rx => ...`, \
                      `tx <- value => ...`, `r = tx <- value => ...` or `default => ...`";

impl Parse for Select {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut arms = Vec::new();
        let mut errors = Errors::default();
        let mut has_default = false;
        while !input.is_empty() {
            let head = match scan_head(input) {
                Ok(head) => head,
                Err(error) => return Err(errors.and(error)),
            };
            let fat_arrow: Token![=>] = input.parse()?;
            let body = match parse_body(input) {
                Ok(body) => body,
                Err(error) => return Err(errors.and(error)),
            };
            match classify(head, fat_arrow) {
                Ok(Operation::Default(default)) if has_default => {
                    errors.push(syn::Error::new(
                        default.span(),
                        "a `select!` has at most one `default` arm; remove this one",
                    ));
                }
                Ok(operation) => {
                    has_default |= matches!(operation, Operation::Default(_));
                    arms.push(Arm { operation, body });
                }
                Err(error) => errors.push(error),
            }
        }
        errors.finish()?;
        Ok(Select { arms })
    }
}

/// Errors collected across arms, reported together in source order.
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(first) => first.combine(error),
            None => self.0 = Some(error),
        }
    }

    /// The collected errors followed by `last`.
    fn and(mut self, last: syn::Error) -> syn::Error {
        self.push(last);
        self.0.expect("just pushed")
    }

    fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

/// The tokens of an arm's head: everything up to its first top-level `=>`, which is left
/// in the input.
fn scan_head(input: ParseStream) -> syn::Result<Vec<TokenTree>> {
    let mut head = Vec::new();
    while !input.peek(Token![=>]) {
        if input.is_empty() {
            return Err(missing_fat_arrow(&head));
        }
        head.push(input.parse::<TokenTree>()?);
    }
    Ok(head)
}

/// The error for an arm without `=>`. Usually the body is there, as a block, and the
/// arrow was forgotten: point at the block.
fn missing_fat_arrow(head: &[TokenTree]) -> syn::Error {
    match head {
        [_, .., TokenTree::Group(body)] if body.delimiter() == Delimiter::Brace => {
            syn::Error::new(body.span(), MISSING_FAT_ARROW)
        }
        _ => syn::Error::new_spanned(
            tokens(head),
            "expected `=>` and a body after this `select!` arm: `<-rx => { ... }`",
        ),
    }
}

/// An arm's body, as `match` parses one: a block-like expression (`{ .. }`, `if`, `match`,
/// a loop, ...) or an expression followed by `,`, optional after the last arm.
fn parse_body(input: ParseStream) -> syn::Result<Expr> {
    let body = Expr::parse_with_earlier_boundary_rule(input)?;
    if input.is_empty() {
        return Ok(body);
    }
    if input.peek(Token![,]) {
        input.parse::<Token![,]>()?;
    } else if requires_comma(&body) {
        let end = body.to_token_stream().into_iter().last();
        return Err(syn::Error::new(
            end.map_or_else(|| input.span(), |token| token.span()),
            "expected `,` after this expression, which ends a `select!` arm's body, \
             or write the body as a block: `=> { ... }`",
        ));
    }
    Ok(body)
}

/// Whether an arm's body must be followed by a comma to end it (cf. syn's
/// `classify::requires_comma_to_be_match_arm`, which is not public).
fn requires_comma(body: &Expr) -> bool {
    !matches!(
        body,
        Expr::If(_)
            | Expr::Match(_)
            | Expr::Block(_)
            | Expr::Unsafe(_)
            | Expr::While(_)
            | Expr::Loop(_)
            | Expr::ForLoop(_)
            | Expr::TryBlock(_)
            | Expr::Const(_)
    )
}

/// Steps 2 and 3: what an arm's head asks for.
fn classify(head: Vec<TokenTree>, fat_arrow: Token![=>]) -> syn::Result<Operation> {
    if head.is_empty() {
        return Err(syn::Error::new_spanned(
            fat_arrow,
            format!("{SHAPES}; found nothing before `=>`"),
        ));
    }
    let (binding, rest) = split_binding(&head)?;
    // The error spans include the `=`; the expansion binds the pattern before it.
    let binding_tokens = binding.map(tokens);
    let pattern = binding.map(|binding| tokens(&binding[..binding.len() - 1]));
    match rest {
        [] => Err(syn::Error::new_spanned(
            binding_tokens,
            "expected a channel operation after `=`: `v = <-rx` or `r = tx <- value`",
        )),
        [TokenTree::Ident(default)] if default == "default" => match binding_tokens {
            Some(binding) => Err(syn::Error::new_spanned(
                binding,
                "`default` has no result to bind: it runs when no other case is ready; \
                 remove the binding",
            )),
            None => Ok(Operation::Default(default.clone())),
        },
        // `default { .. } <-rx => ..` would otherwise read as a send on a struct literal.
        [TokenTree::Ident(default), TokenTree::Group(body), ..]
            if default == "default" && body.delimiter() == Delimiter::Brace =>
        {
            Err(syn::Error::new(body.span(), MISSING_FAT_ARROW))
        }
        _ => match find_arrow(rest, 0) {
            Some(0) => {
                let operand = one_operation(&rest[2..])?;
                if operand.is_empty() {
                    return Err(syn::Error::new_spanned(
                        tokens(&rest[..2]),
                        "expected the channel to receive from after `<-`: `<-rx`",
                    ));
                }
                Ok(Operation::Recv {
                    binding: pattern,
                    arrow: Extent::of(&rest[..2]),
                    operand: Operand {
                        expr: parse_operand(operand)?,
                        extent: Extent::of(operand),
                    },
                })
            }
            Some(arrow) => {
                let value = one_operation(&rest[arrow + 2..])?;
                if value.is_empty() {
                    return Err(syn::Error::new_spanned(
                        tokens(&rest[arrow..arrow + 2]),
                        "expected the value to send after `<-`: `tx <- value`",
                    ));
                }
                let channel = &rest[..arrow];
                if let Some(eq) = (0..channel.len()).find(|&i| is_standalone_eq(channel, i)) {
                    return Err(pattern_error(&channel[..eq]));
                }
                Ok(Operation::Send {
                    binding: pattern,
                    channel: Operand {
                        expr: parse_operand(channel)?,
                        extent: Extent::of(channel),
                    },
                    arrow: Extent::of(&rest[arrow..arrow + 2]),
                    value: parse_operand(value)?,
                })
            }
            None => Err(unknown_shape(rest)),
        },
    }
}

/// Splits `name =`, `mut name =` or `_ =` off the front of a head. A richer pattern before
/// a standalone `=` is an error; so is Go's `:=`.
fn split_binding(head: &[TokenTree]) -> syn::Result<(Option<&[TokenTree]>, &[TokenTree])> {
    let simple = match head {
        [TokenTree::Ident(kw), TokenTree::Ident(name), _, ..]
            if kw == "mut" && is_binding_name(name) && is_standalone_eq(head, 2) =>
        {
            Some(3)
        }
        [TokenTree::Ident(name), _, ..] if is_binding_name(name) && is_standalone_eq(head, 1) => {
            Some(2)
        }
        [TokenTree::Ident(name), TokenTree::Punct(colon), TokenTree::Punct(eq), ..]
            if is_binding_name(name)
                && colon.as_char() == ':'
                && colon.spacing() == Spacing::Joint
                && eq.as_char() == '=' =>
        {
            return Err(syn::Error::new_spanned(
                tokens(&head[1..3]),
                format!("`select!` binds with `=`, not Go's `:=`: `{name} = <-rx`"),
            ));
        }
        _ => None,
    };
    if let Some(len) = simple {
        return Ok((Some(&head[..len]), &head[len..]));
    }
    // A standalone `=` before the first `<-` follows a pattern this macro does not take.
    let end = find_arrow(head, 0).unwrap_or(head.len());
    if let Some(eq) = (0..end).find(|&i| is_standalone_eq(head, i)) {
        return Err(pattern_error(&head[..eq]));
    }
    Ok((None, head))
}

fn is_binding_name(name: &Ident) -> bool {
    !matches!(name.to_string().as_str(), "mut" | "ref" | "default")
}

fn pattern_error(pattern: &[TokenTree]) -> syn::Error {
    syn::Error::new_spanned(
        tokens(pattern),
        "a `select!` arm binds its result to a name or `_` (`v = <-rx`, `r = tx <- value`); \
         to destructure it, `match` on the name in the arm's body",
    )
}

/// Whether `head[at]` is an `=` standing alone (not part of `==`, `<=`, `+=`, `=>`, ...).
/// `v =<-rx` has a standalone `=` joined to the `<` that follows.
fn is_standalone_eq(head: &[TokenTree], at: usize) -> bool {
    let Some(TokenTree::Punct(eq)) = head.get(at) else {
        return false;
    };
    let joined_before =
        at > 0 && matches!(&head[at - 1], TokenTree::Punct(p) if p.spacing() == Spacing::Joint);
    let joined_after = eq.spacing() == Spacing::Joint
        && matches!(head.get(at + 1), Some(TokenTree::Punct(p)) if matches!(p.as_char(), '=' | '>'));
    eq.as_char() == '=' && !joined_before && !joined_after
}

/// The index of the first `<-` in `tokens` at or after `start`: a `<` followed by a `-`,
/// joined (written `<-`) unless it is at `start`, where no expression can begin with `<`
/// followed by `-`.
fn find_arrow(tokens: &[TokenTree], start: usize) -> Option<usize> {
    (start..tokens.len().saturating_sub(1)).find(|&i| match (&tokens[i], &tokens[i + 1]) {
        (TokenTree::Punct(lt), TokenTree::Punct(minus)) => {
            lt.as_char() == '<'
                && minus.as_char() == '-'
                && (i == start || lt.spacing() == Spacing::Joint)
        }
        _ => false,
    })
}

/// Checks that a receive operand or a send value holds no further `<-`: a head with two
/// is most likely two arms, the first missing its `=>`.
fn one_operation(operand: &[TokenTree]) -> syn::Result<&[TokenTree]> {
    let Some(arrow) = find_arrow(operand, 1) else {
        return Ok(operand);
    };
    Err(match &operand[arrow - 1] {
        TokenTree::Group(body) if body.delimiter() == Delimiter::Brace && arrow > 1 => {
            syn::Error::new(body.span(), MISSING_FAT_ARROW)
        }
        _ => syn::Error::new_spanned(
            tokens(&operand[arrow..arrow + 2]),
            "a `select!` arm has a single `<-`; if this starts a new arm, end the previous \
             one with `=> body,`; to compare with a negative number, write `a < -b`",
        ),
    })
}

/// Parses a channel operand or a send value. When it does not parse but a prefix ending
/// in a block does, the block is most likely the arm's body, its `=>` missing.
fn parse_operand(operand: &[TokenTree]) -> syn::Result<Expr> {
    syn::parse2(tokens(operand)).map_err(|error| {
        operand
            .iter()
            .enumerate()
            .find_map(|(i, token)| match token {
                TokenTree::Group(body)
                    if body.delimiter() == Delimiter::Brace
                        && i > 0
                        && i + 1 < operand.len()
                        && syn::parse2::<Expr>(tokens(&operand[..i])).is_ok() =>
                {
                    Some(syn::Error::new(body.span(), MISSING_FAT_ARROW))
                }
                _ => None,
            })
            .unwrap_or(error)
    })
}

/// The error for a head that is no channel operation, with a hint when it names a
/// channel.
fn unknown_shape(head: &[TokenTree]) -> syn::Error {
    let plain = |tokens: &dyn ToTokens| tokens.to_token_stream().to_string().replace(' ', "");
    let hint = match syn::parse2::<Expr>(tokens(head)) {
        Ok(Expr::Path(path)) if path.qself.is_none() => {
            let channel = plain(&path);
            format!("; to receive from `{channel}`, write `<-{channel}`")
        }
        Ok(Expr::Field(field)) => {
            let channel = plain(&field);
            format!("; to receive from `{channel}`, write `<-{channel}`")
        }
        // `tx.send(v)` and `rx.recv()`, as a Rust user might first write them.
        Ok(Expr::MethodCall(call)) => {
            let channel = plain(&call.receiver);
            match (call.method.to_string().as_str(), call.args.len()) {
                ("send" | "try_send", 1) => {
                    let value = call.args.to_token_stream();
                    format!("; to send on `{channel}`, write `{channel} <- {value}`")
                }
                ("recv" | "try_recv", 0) => {
                    format!("; to receive from `{channel}`, write `<-{channel}`")
                }
                _ => String::new(),
            }
        }
        _ => String::new(),
    };
    syn::Error::new_spanned(tokens(head), format!("{SHAPES}{hint}"))
}

fn tokens(trees: &[TokenTree]) -> TokenStream {
    trees.iter().cloned().collect()
}

// ---------------------------------------------------------------------------------------
// expand
// ---------------------------------------------------------------------------------------

impl Select {
    /// The expansion: a block whose value is the value of the arm that ran.
    ///
    /// Statements, in source order of the non-default arms: `let __gort_opN = &(operand);`
    /// then `let mut __gort_caseN = ...Case::new(...);` — a send's value is evaluated in
    /// its case's constructor, so that the channel's element type is its expected type
    /// (a mismatch is reported on the whole value; a closure or `Default::default()`
    /// infers from it).
    pub(crate) fn expand(self) -> TokenStream {
        if self.arms.is_empty() {
            return quote!(::gort::__private::select_forever());
        }
        let mut cases = TokenStream::new();
        let mut erased = Vec::new();
        let mut arms = TokenStream::new();
        let mut default = None;
        for Arm { operation, body } in self.arms {
            let index = erased.len();
            let case = hidden(&format!("__gort_case{index}"), Span::call_site());
            let on_fire = match operation {
                Operation::Default(_) => {
                    default = Some(body);
                    continue;
                }
                Operation::Recv {
                    binding,
                    arrow,
                    operand,
                } => {
                    let (evaluate, lent) = operand.lend(index);
                    let lend = runtime_path(arrow, quote!(recv_operand));
                    let new = runtime_path(arrow, quote!(RecvCase::new));
                    cases.extend(quote! {
                        #evaluate
                        let mut #case = #new(#lend(#lent));
                    });
                    let binding = binding.unwrap_or_else(|| quote!(_));
                    quote!(let #binding = #case.into_result();)
                }
                Operation::Send {
                    binding,
                    channel,
                    arrow,
                    value,
                } => {
                    let (evaluate, lent) = channel.lend(index);
                    let lend = runtime_path(arrow, quote!(send_operand));
                    // An arm that does not bind the result must send: it
                    // panics on a closed channel, and never fires on one
                    // whose receivers are all gone (Go would block).
                    let new = match binding {
                        Some(_) => runtime_path(arrow, quote!(SendCase::new)),
                        None => runtime_path(arrow, quote!(SendCase::must_send)),
                    };
                    cases.extend(quote! {
                        #evaluate
                        let mut #case = #new(#lend(#lent), #value);
                    });
                    match binding {
                        Some(binding) => quote!(let #binding = #case.into_result();),
                        None => quote!(#case.into_sent();),
                    }
                }
            };
            let index = Literal::usize_unsuffixed(index);
            arms.extend(quote!(
                ::core::option::Option::Some(#index) => { #on_fire #body }
            ));
            erased.push(quote!(#case.erase()));
        }
        let has_default = default.is_some();
        if let Some(body) = default {
            arms.extend(quote!(::core::option::Option::None => { #body }));
        }
        let chosen = hidden("__gort_chosen", Span::call_site());
        quote! {
            {
                #cases
                let #chosen = ::gort::__private::select(&mut [#(#erased),*], #has_default);
                match #chosen {
                    #arms
                    _ => ::core::unreachable!(),
                }
            }
        }
    }
}

impl Operand {
    /// `let __gort_opN = &(operand);` — borrowed, not moved, so that `<-rx` leaves `rx` to
    /// the next iteration of a loop, and a temporary (`<-gort::time::after(d)`) lives as
    /// long as the `select!` — and the argument that lends it to the runtime, `&*__gort_opN`,
    /// spanned over the user's operand so that an error about its type underlines it.
    fn lend(self, index: usize) -> (TokenStream, TokenStream) {
        let Operand { expr, extent } = self;
        let first = Span::mixed_site().located_at(extent.first);
        let op = hidden(&format!("__gort_op{index}"), extent.last);
        let mut paren = Group::new(Delimiter::Parenthesis, expr.into_token_stream());
        paren.set_span(first);
        let evaluate = quote!(let #op = &#paren;);
        let lent = quote_spanned!(first=> &*#op);
        (evaluate, lent)
    }
}

/// `::gort::__private::#item`, spanned over the user's `<-`: where an error in the call
/// says "required by a bound introduced by this call" or "arguments to this function are
/// incorrect", it underlines the operator.
fn runtime_path(arrow: Extent, item: TokenStream) -> TokenStream {
    let mut tokens: Vec<TokenTree> = quote_spanned!(arrow.first=> ::gort::__private::#item)
        .into_iter()
        .collect();
    if let Some(last) = tokens.last_mut() {
        last.set_span(arrow.last);
    }
    tokens.into_iter().collect()
}

/// A hidden local: invisible to user code, located at `at` for diagnostics.
fn hidden(name: &str, at: Span) -> Ident {
    Ident::new(name, Span::mixed_site().located_at(at))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `tokens` as syn prints them once parsed, so that spacing does not matter.
    fn normalized(tokens: TokenStream) -> String {
        syn::parse2::<Expr>(tokens)
            .expect("an expression")
            .to_token_stream()
            .to_string()
    }

    fn expand(input: TokenStream) -> String {
        match syn::parse2::<Select>(input) {
            Ok(select) => normalized(select.expand()),
            Err(error) => panic!("unexpected error: {error}"),
        }
    }

    fn errors(input: TokenStream) -> Vec<String> {
        match syn::parse2::<Select>(input) {
            Ok(select) => panic!("expected an error, got {}", select.expand()),
            Err(error) => error.into_iter().map(|error| error.to_string()).collect(),
        }
    }

    fn error(input: TokenStream) -> String {
        let errors = errors(input);
        assert_eq!(errors.len(), 1, "{errors:?}");
        errors.into_iter().next().unwrap()
    }

    #[test]
    fn every_arm_shape_expands_to_its_case() {
        assert_eq!(
            expand(quote! {
                v = <-rx => v.is_ok(),
                <-gort::time::after(d) => { false }
                tx <- value() => true,
                r = tx2 <- 1 + 2 => r.is_ok(),
                default => false,
            }),
            normalized(quote! {{
                let __gort_op0 = &(rx);
                let mut __gort_case0 =
                    ::gort::__private::RecvCase::new(::gort::__private::recv_operand(&*__gort_op0));
                let __gort_op1 = &(gort::time::after(d));
                let mut __gort_case1 =
                    ::gort::__private::RecvCase::new(::gort::__private::recv_operand(&*__gort_op1));
                let __gort_op2 = &(tx);
                let mut __gort_case2 = ::gort::__private::SendCase::must_send(
                    ::gort::__private::send_operand(&*__gort_op2),
                    value()
                );
                let __gort_op3 = &(tx2);
                let mut __gort_case3 = ::gort::__private::SendCase::new(
                    ::gort::__private::send_operand(&*__gort_op3),
                    1 + 2
                );
                let __gort_chosen = ::gort::__private::select(
                    &mut [
                        __gort_case0.erase(),
                        __gort_case1.erase(),
                        __gort_case2.erase(),
                        __gort_case3.erase()
                    ],
                    true
                );
                match __gort_chosen {
                    ::core::option::Option::Some(0) => {
                        let v = __gort_case0.into_result();
                        v.is_ok()
                    }
                    ::core::option::Option::Some(1) => {
                        let _ = __gort_case1.into_result();
                        { false }
                    }
                    ::core::option::Option::Some(2) => {
                        __gort_case2.into_sent();
                        true
                    }
                    ::core::option::Option::Some(3) => {
                        let r = __gort_case3.into_result();
                        r.is_ok()
                    }
                    ::core::option::Option::None => { false }
                    _ => ::core::unreachable!(),
                }
            }}),
        );
    }

    #[test]
    fn default_may_come_first_and_indices_skip_it() {
        assert_eq!(
            expand(quote! {
                default => 0,
                mut v = <-rx => 1,
            }),
            normalized(quote! {{
                let __gort_op0 = &(rx);
                let mut __gort_case0 =
                    ::gort::__private::RecvCase::new(::gort::__private::recv_operand(&*__gort_op0));
                let __gort_chosen = ::gort::__private::select(&mut [__gort_case0.erase()], true);
                match __gort_chosen {
                    ::core::option::Option::Some(0) => {
                        let mut v = __gort_case0.into_result();
                        1
                    }
                    ::core::option::Option::None => { 0 }
                    _ => ::core::unreachable!(),
                }
            }}),
        );
    }

    #[test]
    fn only_a_default_polls_nothing() {
        assert_eq!(
            expand(quote!(default => ())),
            normalized(quote! {{
                let __gort_chosen = ::gort::__private::select(&mut [], true);
                match __gort_chosen {
                    ::core::option::Option::None => { () }
                    _ => ::core::unreachable!(),
                }
            }}),
        );
    }

    #[test]
    fn an_empty_select_blocks_forever() {
        assert_eq!(
            expand(quote!()),
            normalized(quote!(::gort::__private::select_forever())),
        );
    }

    #[test]
    fn the_arrow_splits_heads_whatever_the_spacing() {
        let tight: TokenStream = "v=<-rx=>1, _=tx<-x=>2, <- a => 3, < -b => 4, t <--1 => 5"
            .parse()
            .unwrap();
        let spaced = quote!(v = <-rx => 1, _ = tx <- x => 2, <-a => 3, <-b => 4, t <- -1 => 5);
        assert_eq!(expand(tight), expand(spaced));
    }

    #[test]
    fn operands_may_be_any_expression() {
        let expanded = expand(quote! {
            v = <-if on { Some(&rx) } else { None } => v,
            chans.get::<usize>(i).unwrap() <- Point { x: 1, y: a < -b } => (),
            self.out <- |a, b| a == b => (),
            <-m! { x => y } => (),
        });
        for piece in [
            "let __gort_op0 = & (if on { Some (& rx) } else { None }) ;",
            "let __gort_op1 = & (chans . get :: < usize > (i) . unwrap ()) ;",
            "send_operand (& * __gort_op1) , Point { x : 1 , y : a < - b })",
            "let __gort_op2 = & (self . out) ;",
            "send_operand (& * __gort_op2) , | a , b | a == b)",
            "let __gort_op3 = & (m ! { x => y }) ;",
        ] {
            assert!(expanded.contains(piece), "{piece} in {expanded}");
        }
    }

    #[test]
    fn bodies_parse_like_match_arms() {
        // Block-like bodies need no comma; a trailing comma is allowed after anything.
        let expanded = expand(quote! {
            <-a => if x { 1 } else { 2 }
            <-b => match y { _ => 3 }
            <-c => loop { break 4 }
            <-d => { 5 },
            <-e => 6
        });
        for body in ["if x", "match y", "loop", "{ 5 }", "6"] {
            assert!(expanded.contains(body), "{body} in {expanded}");
        }
        assert_eq!(
            error(quote!(<-a => 1 <-b => 2)),
            "expected `,` after this expression, which ends a `select!` arm's body, \
             or write the body as a block: `=> { ... }`",
        );
    }

    #[test]
    fn a_second_default_is_an_error() {
        assert_eq!(
            errors(quote!(default => 1, <-rx => 2, default => 3, default => 4)),
            [
                "a `select!` has at most one `default` arm; remove this one",
                "a `select!` has at most one `default` arm; remove this one",
            ],
        );
    }

    #[test]
    fn unknown_shapes_name_the_accepted_ones() {
        assert_eq!(
            error(quote!(rx => ())),
            format!("{SHAPES}; to receive from `rx`, write `<-rx`"),
        );
        assert_eq!(
            error(quote!(v = self.rx => ())),
            format!("{SHAPES}; to receive from `self.rx`, write `<-self.rx`"),
        );
        assert_eq!(error(quote!(x == y => ())), SHAPES);
        assert_eq!(error(quote!(rx.len() => ())), SHAPES);
        assert_eq!(
            error(quote!(rx.recv() => ())),
            format!("{SHAPES}; to receive from `rx`, write `<-rx`"),
        );
        assert_eq!(
            error(quote!(self.tx.send(v + 1) => ())),
            format!("{SHAPES}; to send on `self.tx`, write `self.tx <- v + 1`"),
        );
        assert_eq!(
            error(quote!(=> ())),
            format!("{SHAPES}; found nothing before `=>`")
        );
    }

    #[test]
    fn every_bad_head_is_reported() {
        // `quote!` does not keep `:=` joined as the compiler does; parse it from text.
        let go_binding: TokenStream = "v := <-rx => (),".parse().unwrap();
        assert_eq!(
            errors(quote! {
                rx => (),
                v = default => (),
                Ok(v) = <-rx => (),
                #go_binding
                <- => (),
                tx <- => (),
                v = => (),
                a.b = tx <- 1 => (),
            }),
            [
                format!("{SHAPES}; to receive from `rx`, write `<-rx`"),
                "`default` has no result to bind: it runs when no other case is ready; \
                 remove the binding"
                    .to_owned(),
                "a `select!` arm binds its result to a name or `_` (`v = <-rx`, \
                 `r = tx <- value`); to destructure it, `match` on the name in the arm's body"
                    .to_owned(),
                "`select!` binds with `=`, not Go's `:=`: `v = <-rx`".to_owned(),
                "expected the channel to receive from after `<-`: `<-rx`".to_owned(),
                "expected the value to send after `<-`: `tx <- value`".to_owned(),
                "expected a channel operation after `=`: `v = <-rx` or `r = tx <- value`"
                    .to_owned(),
                "a `select!` arm binds its result to a name or `_` (`v = <-rx`, \
                 `r = tx <- value`); to destructure it, `match` on the name in the arm's body"
                    .to_owned(),
            ],
        );
    }

    #[test]
    fn a_missing_fat_arrow_points_at_the_body() {
        let expected = "expected `=>` before this `select!` arm's body: `<-rx => { ... }`";
        assert_eq!(error(quote!(<-rx { () })), expected);
        assert_eq!(error(quote!(<-a { () } <-b => ())), expected);
        assert_eq!(error(quote!(tx <- 1 { () } default => ())), expected);
        assert_eq!(
            error(quote!(<-rx)),
            "expected `=>` and a body after this `select!` arm: `<-rx => { ... }`",
        );
    }

    #[test]
    fn comparisons_are_not_bindings() {
        // `a <= b` and `a == b` contain no standalone `=`: these are sends and receives.
        let expanded = expand(quote! {
            <-pick(a <= b) => (),
            tx <- a == b => (),
        });
        assert!(expanded.contains("pick (a <= b)"), "{expanded}");
        assert!(
            expanded.contains("send_operand (& * __gort_op1) , a == b)"),
            "{expanded}"
        );
    }
}
