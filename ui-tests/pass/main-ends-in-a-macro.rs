// A main whose body ends in a macro call with no `;` compiles and runs: the
// call is the body's value (`#[gort::main]` marks it as main's return).
#![deny(warnings)]

#[gort::main]
fn main() {
    let n = 2;
    println!("{}", n * 21)
}
