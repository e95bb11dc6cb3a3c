//! Every example runs to completion (they are the book's listings, so this
//! is also what keeps the book's code working). Each example file is
//! compiled into this test as a module and its `main` called.

macro_rules! example {
    ($name:ident, $file:literal) => {
        mod $name {
            include!($file);
            pub fn run() {
                main()
            }
        }
        #[test]
        fn $name() {
            $name::run();
        }
    };
}

example!(hello, "../examples/hello.rs");
example!(crawler, "../examples/crawler.rs");
