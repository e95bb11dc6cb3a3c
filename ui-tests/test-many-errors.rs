// Every misuse is reported at once.
#[gort::test(x)]
async fn everything_wrong<T>(_t: T)
where
    T: Send,
{
}

fn main() {}
