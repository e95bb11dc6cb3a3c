#[gort::test]
async fn waits() {}

fn main() {}
