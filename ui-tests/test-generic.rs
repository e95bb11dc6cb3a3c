#[gort::test]
fn defaults<T: Default>() {
    let _ = T::default();
}

fn main() {}
