// `#[gort::main]` keeps `main`'s return type; `?` works in its body.
use std::error::Error;

#[gort::main]
fn main() -> Result<(), Box<dyn Error + Send + Sync>> {
    let n: u32 = "42".parse()?;
    assert_eq!(n, 42);
    Ok(())
}
