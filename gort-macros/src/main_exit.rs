//! Marks the moment `#[gort::main]`'s body returns, before its locals are
//! dropped, so that the runtime can make the exit status final there.
//!
//! In Go, `main` returning ends the program at once; in gort, main's locals
//! are still dropped (a `BufWriter` must flush), and a drop can wake a
//! goroutine — the last `Receiver` closing its channel fails a pending
//! `send`, whose `unwrap` then panics and would race the exit with status 2.
//! So every way out of the body first calls `__private::main_returns`:
//! * the tail expression becomes `main_returns(tail)`; a body without one
//!   gets a last statement that calls it (allowed to be unreachable);
//! * `return e` becomes `return main_returns(e)`;
//! * `e?` becomes `main_try(e)?`, which calls it when `e` is an `Err`.
//!
//! Closures, async blocks and nested items are left alone: their `return`s
//! and `?`s do not leave main. So are the insides of macro calls, which a
//! proc macro cannot see expanded: a `return` or `?` inside a macro's
//! arguments, or a macro like `anyhow::bail!` that returns, leaves main
//! unmarked (the race it guards against is then as before). A macro call
//! in tail position is the body's value and is marked like any tail.

use syn::visit_mut::{self, VisitMut};
use syn::{parse_quote, Block, Expr, Item, Stmt};

/// Rewrite main's body as the module docs say.
pub(crate) fn mark_returns(block: &mut Block) {
    let mut marker = Marker;
    for stmt in &mut block.stmts {
        marker.visit_stmt_mut(stmt);
    }
    if let Some(Stmt::Macro(tail)) = block.stmts.last() {
        if tail.semi_token.is_none() {
            // `println!("done")` with no `;`: the body's value.
            let (attrs, mac) = (&tail.attrs, &tail.mac);
            let tail: Expr = parse_quote!(#(#attrs)* #mac);
            *block.stmts.last_mut().expect("checked above") = Stmt::Expr(tail, None);
        }
    }
    match block.stmts.last_mut() {
        Some(Stmt::Expr(tail, None)) => {
            *tail = parse_quote!(::gort::__private::main_returns(#tail));
        }
        _ => block.stmts.push(parse_quote! {
            #[allow(unreachable_code)]
            let () = ::gort::__private::main_returns(());
        }),
    }
}

struct Marker;

impl VisitMut for Marker {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        match expr {
            // Their `return` and `?` leave the closure or the future, not main.
            Expr::Closure(_) | Expr::Async(_) | Expr::Const(_) => {}
            Expr::Return(ret) => {
                if let Some(value) = &mut ret.expr {
                    self.visit_expr_mut(value);
                }
                let value = match ret.expr.take() {
                    Some(value) => quote::quote!(#value),
                    None => quote::quote!(()),
                };
                ret.expr = Some(parse_quote!(::gort::__private::main_returns(#value)));
            }
            Expr::Try(try_expr) => {
                self.visit_expr_mut(&mut try_expr.expr);
                let inner = &try_expr.expr;
                *try_expr.expr = parse_quote!(::gort::__private::main_try(#inner));
            }
            _ => visit_mut::visit_expr_mut(self, expr),
        }
    }

    fn visit_item_mut(&mut self, _: &mut Item) {
        // A nested fn, impl or module is not main's body.
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;

    fn marked(block: Block) -> String {
        let mut block = block;
        mark_returns(&mut block);
        block.to_token_stream().to_string()
    }

    #[test]
    fn every_way_out_of_main_is_marked_and_nothing_else() {
        let out = marked(parse_quote!({
            let n = read()?;
            if n == 0 {
                return Err(E);
            }
            let f = |x: u32| -> Result<u32, E> {
                let y = g(x)?;
                return Ok(y);
            };
            fn helper() -> u32 {
                return 1;
            }
            Ok(n)
        }));
        assert_eq!(out.matches("main_try").count(), 1, "{out}");
        assert_eq!(out.matches("main_returns").count(), 2, "{out}");
        assert!(out.contains("main_returns (Err (E))"), "{out}");
        assert!(out.contains("main_returns (Ok (n))"), "{out}");
        assert!(
            out.contains("return Ok (y)"),
            "a closure's return was rewritten: {out}"
        );
        assert!(
            out.contains("return 1"),
            "a nested fn's return was rewritten: {out}"
        );
    }

    #[test]
    fn a_macro_call_in_tail_position_is_the_marked_tail() {
        let out = marked(parse_quote!({
            work();
            println!("done")
        }));
        assert!(
            out.ends_with("main_returns (println ! (\"done\")) }"),
            "{out}"
        );
        let out = marked(parse_quote!({
            println!("done");
        }));
        assert!(
            out.ends_with("let () = :: gort :: __private :: main_returns (()) ; }"),
            "{out}"
        );
    }

    #[test]
    fn a_body_without_a_tail_gets_a_final_mark() {
        let out = marked(parse_quote!({
            work();
            return;
        }));
        assert!(
            out.contains("return :: gort :: __private :: main_returns (())"),
            "{out}"
        );
        assert!(
            out.ends_with("let () = :: gort :: __private :: main_returns (()) ; }"),
            "{out}"
        );
    }
}
