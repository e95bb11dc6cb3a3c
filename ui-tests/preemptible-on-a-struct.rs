#[gort::preemptible]
struct Worker;

fn main() {
    let _ = Worker;
}
