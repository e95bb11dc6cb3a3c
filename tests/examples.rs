//! Every example runs to completion (they are the book's listings, so this
//! is also what keeps the book's code working). Each example file is
//! compiled into this test as a module and its `main` called. (The servers
//! are run by tests/servers.rs; `deadlock` and `stack_overflow` end the
//! process with status 2 on purpose, and tests/book.rs runs them and checks
//! what they print.)
//!
//! The examples run one at a time: some check that
//! `gort::runtime::num_goroutine()` returns to where it started, which only
//! means something if no other example is starting goroutines meanwhile.

use std::sync::Mutex;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

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
            let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
            $name::run();
        }
    };
}

example!(hello, "../examples/hello.rs");
example!(crawler, "../examples/crawler.rs");
example!(producer_consumer, "../examples/producer_consumer.rs");
example!(worker_pool, "../examples/worker_pool.rs");
example!(prime_sieve, "../examples/prime_sieve.rs");
example!(pipeline, "../examples/pipeline.rs");
example!(load_balancer, "../examples/load_balancer.rs");
example!(readme, "../examples/readme.rs");
example!(bank, "../examples/bank.rs");
example!(goroutines_tour, "../examples/goroutines_tour.rs");
example!(channels_tour, "../examples/channels_tour.rs");
example!(select_tour, "../examples/select_tour.rs");
example!(toolkit_tour, "../examples/toolkit_tour.rs");
example!(blocking_io, "../examples/blocking_io.rs");
example!(preemption, "../examples/preemption.rs");
example!(time_tour, "../examples/time_tour.rs");
example!(gobyexample, "../examples/gobyexample.rs");
example!(context_tour, "../examples/context_tour.rs");
