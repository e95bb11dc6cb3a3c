#[gort::preemptible]
async fn fetch() -> u32 {
    42
}

fn main() {
    let _ = fetch();
}
