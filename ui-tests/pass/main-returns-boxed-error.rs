// `main` may return `Result<(), Box<dyn Error>>` (not `Send`): the value is
// reported inside the main goroutine and only the exit code crosses threads.
use std::error::Error;

#[gort::main]
fn main() -> Result<(), Box<dyn Error>> {
    let n: u32 = "42".parse()?;
    assert_eq!(n, 42);
    Ok(())
}
