#[gort::test]
#[test]
fn counted_twice() {}

fn main() {}
