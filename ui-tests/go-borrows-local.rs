// A goroutine may outlive the function that started it: it cannot borrow its locals.
fn greet(name: &str) {
    println!("hello, {name}");
}

fn main() {
    let name = String::from("gopher");
    let r = &name;
    gort::go!(move || println!("{r}"));

    let name = String::from("gopher");
    gort::go!(greet(&name));
}
