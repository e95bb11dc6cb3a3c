#[gort::main(gomaxprocs = 4)]
fn main() {}
