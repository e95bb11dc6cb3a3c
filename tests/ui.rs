//! The single trybuild driver: every misuse of the macros in `ui-tests/*.rs` must fail to
//! compile with the error saved beside it, and `ui-tests/pass/*.rs` must build and run.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui-tests/*.rs");
    t.pass("ui-tests/pass/*.rs");
}
