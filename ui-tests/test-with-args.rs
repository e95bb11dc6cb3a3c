#[gort::test]
fn adds(x: u32) {
    assert_eq!(x + 1, 2);
}

fn main() {}
