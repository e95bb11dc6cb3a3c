//! `#[gort::main]` and `#[gort::test]`: check that the attribute sits on a plain,
//! argument-less, synchronous, non-generic `fn`, then wrap its body in a `move` closure
//! that the runtime runs as a goroutine (`::gort::__private::main` for a program's main,
//! `::gort::run` for a test), keeping the function's attributes, visibility and return type.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{AttrStyle, Attribute, Item, ItemFn, ReturnType, Type};

/// Which entry-point attribute is being expanded.
#[derive(Clone, Copy)]
pub(crate) enum EntryPoint {
    /// `#[gort::main]`
    Main,
    /// `#[gort::test]`
    Test,
}

impl EntryPoint {
    fn attribute(self) -> &'static str {
        match self {
            EntryPoint::Main => "`#[gort::main]`",
            EntryPoint::Test => "`#[gort::test]`",
        }
    }

    /// Expands the attribute. On error, the item is re-emitted unchanged beside the error,
    /// so that the rest of the crate, and an editor's view of the body, still make sense.
    pub(crate) fn expand(self, args: TokenStream, item: TokenStream) -> TokenStream {
        match self.parse(args, item.clone()) {
            Ok(function) => self.wrap(function),
            Err(error) => {
                let mut tokens = item;
                tokens.extend(error.into_compile_error());
                tokens
            }
        }
    }

    // -----------------------------------------------------------------------------------
    // parse
    // -----------------------------------------------------------------------------------

    /// Parses and checks the item, reporting every misuse at once.
    fn parse(self, args: TokenStream, item: TokenStream) -> syn::Result<ItemFn> {
        let attribute = self.attribute();
        let mut errors = Vec::new();
        if !args.is_empty() {
            errors.push(syn::Error::new_spanned(
                &args,
                format!(
                    "{attribute} takes no options (the number of threads running goroutines \
                     is set by the `GOMAXPROCS` environment variable)"
                ),
            ));
        }
        let function = match syn::parse2::<Item>(item) {
            Ok(Item::Fn(function)) => function,
            Ok(other) => return Err(all(errors, self.not_a_function(&other))),
            Err(error) => return Err(all(errors, error)),
        };
        errors.extend(self.check(&function));
        match errors.pop() {
            None => Ok(function),
            Some(last) => Err(all(errors, last)),
        }
    }

    fn not_a_function(self, item: &Item) -> syn::Error {
        let attribute = self.attribute();
        let example = match self {
            EntryPoint::Main => "fn main() { ... }",
            EntryPoint::Test => "fn my_test() { ... }",
        };
        syn::Error::new_spanned(item, format!("{attribute} goes on a function: `{example}`"))
    }

    fn check(self, function: &ItemFn) -> Vec<syn::Error> {
        let attribute = self.attribute();
        let sig = &function.sig;
        let mut errors = Vec::new();
        if let EntryPoint::Test = self {
            errors.extend(
                function
                    .attrs
                    .iter()
                    .filter(|attr| is_test_attribute(attr))
                    .map(|attr| {
                        syn::Error::new_spanned(
                        attr,
                        "`#[gort::test]` already makes the function a test; remove this `#[test]`",
                    )
                    }),
            );
        }
        if let Some(constness) = &sig.constness {
            errors.push(syn::Error::new_spanned(
                constness,
                format!("{attribute} function cannot be `const`"),
            ));
        }
        if let Some(asyncness) = &sig.asyncness {
            errors.push(syn::Error::new_spanned(
                asyncness,
                format!(
                    "{attribute} function must not be `async`: it runs as a goroutine, which \
                     blocks on channels and I/O instead of awaiting; remove `async`"
                ),
            ));
        }
        if !sig.generics.params.is_empty() {
            errors.push(syn::Error::new_spanned(
                &sig.generics,
                format!("{attribute} function cannot be generic"),
            ));
        }
        if !sig.inputs.is_empty() || sig.variadic.is_some() {
            let message = match self {
                EntryPoint::Main => format!(
                    "{attribute} function takes no arguments; read them with `std::env::args()`"
                ),
                EntryPoint::Test => format!("{attribute} function takes no arguments"),
            };
            let mut inputs = sig.inputs.to_token_stream();
            sig.variadic.to_tokens(&mut inputs);
            errors.push(syn::Error::new_spanned(inputs, message));
        }
        if let Some(where_clause) = &sig.generics.where_clause {
            errors.push(syn::Error::new_spanned(
                where_clause,
                format!("{attribute} function cannot have a `where` clause"),
            ));
        }
        if let ReturnType::Type(_, ty) = &sig.output {
            if let Type::ImplTrait(_) = **ty {
                errors.push(syn::Error::new_spanned(
                    ty,
                    format!("{attribute} function must name its return type, not `impl Trait`"),
                ));
            }
        }
        errors
    }

    // -----------------------------------------------------------------------------------
    // expand
    // -----------------------------------------------------------------------------------

    fn wrap(self, function: ItemFn) -> TokenStream {
        let ItemFn {
            attrs,
            vis,
            mut sig,
            mut block,
        } = function;
        if let EntryPoint::Main = self {
            crate::main_exit::mark_returns(&mut block);
        }
        let (inner, outer): (Vec<Attribute>, Vec<Attribute>) = attrs
            .into_iter()
            .partition(|attr| matches!(attr.style, AttrStyle::Inner(_)));
        // The runner's bound on the returned value (`T: Send + 'static`) is reported at the
        // runner's path, so the path takes the span of the return type.
        let (closure, span) = match &sig.output {
            ReturnType::Default => (quote!(move || #block), sig.ident.span()),
            ReturnType::Type(arrow, ty) => (quote!(move || #arrow #ty #block), ty.span()),
        };
        let (test, call) = match (self, &sig.output) {
            (EntryPoint::Main, ReturnType::Default) => (
                TokenStream::new(),
                quote_spanned!(span=> ::gort::__private::main(#closure)),
            ),
            // A `main` that returns a value (`Result<(), Box<dyn Error>>` is common, and not
            // `Send`) reports it inside the main goroutine, as std would after `main`, and
            // hands only the `ExitCode` back across threads.
            (EntryPoint::Main, ReturnType::Type(..)) => {
                sig.output = syn::parse_quote!(-> ::std::process::ExitCode);
                let report = quote!(::std::process::Termination::report((#closure)()));
                (
                    TokenStream::new(),
                    quote_spanned!(span=> ::gort::__private::main(move || #report)),
                )
            }
            (EntryPoint::Test, _) => (
                quote!(#[::core::prelude::v1::test]),
                quote_spanned!(span=> ::gort::run(#closure)),
            ),
        };
        quote! {
            #test
            #(#outer)*
            #vis #sig {
                #(#inner)*
                #call
            }
        }
    }
}

/// `errors` then `last`, as one error that reports each of them in order.
fn all(errors: Vec<syn::Error>, last: syn::Error) -> syn::Error {
    let mut errors = errors.into_iter();
    let Some(mut first) = errors.next() else {
        return last;
    };
    errors
        .chain(Some(last))
        .for_each(|next| first.combine(next));
    first
}

/// `#[test]`, the attribute `#[gort::test]` already emits.
fn is_test_attribute(attr: &Attribute) -> bool {
    attr.path().is_ident("test")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `tokens` as syn prints them once parsed, so that `||` and `| |` compare equal.
    fn normalized(tokens: TokenStream) -> String {
        syn::parse2::<syn::File>(tokens)
            .expect("items")
            .to_token_stream()
            .to_string()
    }

    fn errors(entry: EntryPoint, args: TokenStream, item: TokenStream) -> Vec<String> {
        match entry.parse(args, item) {
            Ok(function) => panic!("expected errors, got {}", function.to_token_stream()),
            Err(error) => error.into_iter().map(|error| error.to_string()).collect(),
        }
    }

    #[test]
    fn main_runs_its_body_as_the_first_goroutine() {
        let item = quote! {
            /// Docs stay.
            pub fn main() -> Result<(), Error> {
                #![allow(unused)]
                run()?;
                Ok(())
            }
        };
        assert_eq!(
            normalized(EntryPoint::Main.expand(TokenStream::new(), item)),
            normalized(quote! {
                /// Docs stay.
                pub fn main() -> ::std::process::ExitCode {
                    #![allow(unused)]
                    ::gort::__private::main(move || ::std::process::Termination::report(
                        (move || -> Result<(), Error> {
                            ::gort::__private::main_try(run())?;
                            ::gort::__private::main_returns(Ok(()))
                        })()
                    ))
                }
            }),
        );
    }

    #[test]
    fn test_adds_the_test_attribute_and_keeps_the_others() {
        let item = quote! {
            #[should_panic(expected = "boom")]
            fn explodes() { panic!("boom") }
        };
        assert_eq!(
            normalized(EntryPoint::Test.expand(TokenStream::new(), item)),
            normalized(quote! {
                #[::core::prelude::v1::test]
                #[should_panic(expected = "boom")]
                fn explodes() {
                    ::gort::run(move || { panic!("boom") })
                }
            }),
        );
    }

    #[test]
    fn every_misuse_is_reported_in_source_order() {
        let item = quote!(
            #[test]
            const async fn t<T>(x: T) -> impl Sized
            where
                T: Send,
            {
            }
        );
        assert_eq!(
            errors(EntryPoint::Test, quote!(threads = 2), item),
            [
                "`#[gort::test]` takes no options (the number of threads running goroutines \
                 is set by the `GOMAXPROCS` environment variable)",
                "`#[gort::test]` already makes the function a test; remove this `#[test]`",
                "`#[gort::test]` function cannot be `const`",
                "`#[gort::test]` function must not be `async`: it runs as a goroutine, which \
                 blocks on channels and I/O instead of awaiting; remove `async`",
                "`#[gort::test]` function cannot be generic",
                "`#[gort::test]` function takes no arguments",
                "`#[gort::test]` function cannot have a `where` clause",
                "`#[gort::test]` function must name its return type, not `impl Trait`",
            ],
        );
    }

    #[test]
    fn main_arguments_point_to_env_args() {
        assert_eq!(
            errors(
                EntryPoint::Main,
                TokenStream::new(),
                quote!(
                    fn main(args: Vec<String>) {}
                )
            ),
            ["`#[gort::main]` function takes no arguments; read them with `std::env::args()`"],
        );
    }

    #[test]
    fn an_item_that_is_not_a_function_is_re_emitted_beside_the_error() {
        let item = quote!(
            struct Main;
        );
        let expanded = EntryPoint::Main
            .expand(TokenStream::new(), item)
            .to_string();
        assert!(expanded.starts_with("struct Main ;"), "{expanded}");
        assert!(
            expanded.contains("`#[gort::main]` goes on a function: `fn main() { ... }`"),
            "{expanded}"
        );
    }
}
