#[gort::test(flavor = "multi_thread")]
fn configured() {}

fn main() {}
