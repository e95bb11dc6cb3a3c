// A goroutine may run on another thread: it cannot capture an `Rc`.
use std::rc::Rc;

fn count(hits: Rc<u32>) {
    println!("{hits}");
}

fn main() {
    let hits = Rc::new(0);
    gort::go!(move || println!("{hits}"));

    let hits = Rc::new(0);
    gort::go!(count(hits.clone()));
}
