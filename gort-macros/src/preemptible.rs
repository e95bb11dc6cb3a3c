//! `#[gort::preemptible]`: make functions preemptible.
//!
//! On a `fn`, it puts `::gort::checkpoint();` first in the body — the cooperative
//! checkpoint, one relaxed load and a compare when no preemption is pending — and places
//! the function in the `gort_ptext` link section, where the runtime's SIGURG handler may
//! stop the goroutine at any instruction (x86_64 Linux; elsewhere the attribute adds the
//! checkpoint only). On an impl block or an inline module it does the same to every
//! function inside (nested modules and impl blocks included), skipping `const fn`s,
//! which mostly run at compile time, and `async fn`s, whose bodies are state machines
//! run by an executor, not goroutine code. Written on a `const` or `async` fn itself, it
//! is an error.
//!
//! Each function is also made `#[inline(never)]` (unless it says otherwise with its own
//! `#[inline]`): code inlined into a caller lands in the caller's section, where no
//! signal may stop it.
//!
//! No checkpoint goes on loop back-edges: the signal path stops call-free loops, and a
//! check per iteration would cost tight loops far more than one per call.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::{Attribute, Block, ImplItem, Item, Signature};

const SECTION: &str = "gort_ptext";

/// Expands the attribute. On error the item is re-emitted unchanged beside the error.
pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    match transform(args, item.clone()) {
        Ok(tokens) => tokens,
        Err(error) => {
            let mut tokens = item;
            tokens.extend(error.into_compile_error());
            tokens
        }
    }
}

fn transform(args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    if !args.is_empty() {
        return Err(syn::Error::new_spanned(
            &args,
            "`#[gort::preemptible]` takes no options (the time slice is set with \
             `GORTDEBUG=preemptslice=<ms>`)",
        ));
    }
    let mut item: Item = syn::parse2(item)?;
    match &mut item {
        Item::Fn(f) => {
            refuse_const_or_async(&f.sig)?;
            make_preemptible(&mut f.attrs, &mut f.block)?;
        }
        Item::Impl(imp) => impl_block(&mut imp.items)?,
        Item::Mod(m) => match &mut m.content {
            Some((_, items)) => module(items)?,
            None => {
                return Err(syn::Error::new_spanned(
                    &*m,
                    "`#[gort::preemptible]` cannot see into a module in another file: \
                     write it on that file's functions or impl blocks instead",
                ))
            }
        },
        other => {
            return Err(syn::Error::new_spanned(
                &*other,
                "`#[gort::preemptible]` goes on a `fn`, an `impl` block or an inline `mod`",
            ))
        }
    }
    Ok(item.into_token_stream())
}

fn refuse_const_or_async(sig: &Signature) -> syn::Result<()> {
    if let Some(c) = &sig.constness {
        return Err(syn::Error::new(
            c.span(),
            "a `const fn` cannot be preemptible: it may run at compile time, where there is \
             no goroutine to preempt; remove `#[gort::preemptible]` or `const`",
        ));
    }
    if let Some(a) = &sig.asyncness {
        return Err(syn::Error::new(
            a.span(),
            "an `async fn` cannot be preemptible: its body runs as a future polled by an \
             executor, not as goroutine code; remove `#[gort::preemptible]` or `async`",
        ));
    }
    Ok(())
}

fn impl_block(items: &mut [ImplItem]) -> syn::Result<()> {
    for item in items {
        if let ImplItem::Fn(f) = item {
            if f.sig.constness.is_none() && f.sig.asyncness.is_none() {
                make_preemptible(&mut f.attrs, &mut f.block)?;
            }
        }
    }
    Ok(())
}

fn module(items: &mut [Item]) -> syn::Result<()> {
    for item in items {
        match item {
            Item::Fn(f) if f.sig.constness.is_none() && f.sig.asyncness.is_none() => {
                make_preemptible(&mut f.attrs, &mut f.block)?;
            }
            Item::Impl(imp) => impl_block(&mut imp.items)?,
            Item::Mod(m) => {
                if let Some((_, items)) = &mut m.content {
                    module(items)?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Put the checkpoint first in `block` and the function in the section.
fn make_preemptible(attrs: &mut Vec<Attribute>, block: &mut Block) -> syn::Result<()> {
    if let Some(a) = attrs.iter().find(|a| names_link_section(a)) {
        return Err(syn::Error::new_spanned(
            a,
            "a preemptible function is placed in gort's own link section; remove this \
             `link_section` or `#[gort::preemptible]`",
        ));
    }
    attrs.push(syn::parse_quote! {
        #[cfg_attr(
            all(target_os = "linux", target_arch = "x86_64"),
            unsafe(link_section = #SECTION)
        )]
    });
    // Inlined into a caller, the code would land in the caller's section,
    // out of the signal's reach; a user's own `#[inline]` choice stands.
    if !attrs.iter().any(|a| a.path().is_ident("inline")) {
        attrs.push(syn::parse_quote!(#[inline(never)]));
    }
    let checkpoint: syn::Stmt = syn::parse_quote! { ::gort::checkpoint(); };
    block.stmts.insert(0, checkpoint);
    Ok(())
}

fn names_link_section(a: &Attribute) -> bool {
    let text = a.meta.to_token_stream().to_string();
    text.contains("link_section")
}

#[cfg(test)]
mod tests {
    use super::expand;
    use quote::quote;

    fn expanded(item: proc_macro2::TokenStream) -> String {
        expand(quote!(), item).to_string()
    }

    #[test]
    fn a_fn_gets_the_checkpoint_and_the_section() {
        let out = expanded(quote!(
            fn spin(n: u64) -> u64 {
                n
            }
        ));
        assert!(out.contains("link_section = \"gort_ptext\""), "{out}");
        assert!(out.contains(":: gort :: checkpoint () ; n"), "{out}");
    }

    #[test]
    fn impl_blocks_and_modules_skip_const_and_async_fns() {
        let out = expanded(quote!(
            mod m {
                impl S {
                    fn a(&self) {}
                    const fn b() {}
                }
                async fn c() {}
                mod inner {
                    fn d() {}
                }
            }
        ));
        assert_eq!(out.matches("checkpoint").count(), 2, "{out}");
    }

    #[test]
    fn options_const_and_async_fns_are_errors() {
        for item in [
            quote!(
                const fn f() {}
            ),
            quote!(
                async fn f() {}
            ),
        ] {
            assert!(expanded(item).contains("compile_error"));
        }
        let out = expand(
            quote!(slice = 5),
            quote!(
                fn f() {}
            ),
        )
        .to_string();
        assert!(out.contains("takes no options"), "{out}");
    }
}
