#[gort::preemptible(slice = 5)]
fn spin() {}

fn main() {
    spin();
}
