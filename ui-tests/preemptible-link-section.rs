#[gort::preemptible]
#[unsafe(link_section = ".text.hot")]
fn spin() {}

fn main() {
    spin();
}
