// A concurrent web crawler — the "Web Crawler" exercise of the Go tour —
// over a fake, in-memory web, so it runs anywhere.
//
// Each page is fetched in its own goroutine; a mutex-protected set makes
// sure no URL is fetched twice; a WaitGroup tells main when the crawl is
// over. Each fetch "takes" 2 ms (a `gort::time::sleep` stands in for the
// network), so the goroutines really overlap.
//
// Run it: cargo run --release --example crawler

// ANCHOR: all
use gort::sync::WaitGroup;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The fake web: URL -> (title, links).
type Web = HashMap<String, (String, Vec<String>)>;

fn fake_web() -> Web {
    let mut web = Web::new();
    for i in 0..200 {
        let links = (1..=3).map(|k| format!("https://golang.org/pkg/{}/", (i * 7 + k * 13) % 200));
        web.insert(
            format!("https://golang.org/pkg/{i}/"),
            (format!("Package {i}"), links.collect()),
        );
    }
    web
}

/// Pretend to fetch a page: a little simulated latency, then the page.
fn fetch(web: &Web, url: &str) -> Option<(String, Vec<String>)> {
    gort::time::sleep(Duration::from_millis(2)); // parks: other fetches run
    web.get(url).cloned()
}

/// Crawl `url` and, in new goroutines, every page it links to, `depth` deep.
fn crawl(url: String, depth: u32, web: Arc<Web>, seen: Arc<Mutex<HashSet<String>>>, wg: WaitGroup) {
    if depth > 0 && seen.lock().unwrap().insert(url.clone()) {
        if let Some((_title, links)) = fetch(&web, &url) {
            for link in links {
                wg.add(1);
                gort::go!(crawl(
                    link,
                    depth - 1,
                    web.clone(),
                    seen.clone(),
                    wg.clone()
                ));
            }
        }
    }
    wg.done();
}

#[gort::main]
fn main() {
    let start = Instant::now();
    let web = Arc::new(fake_web());
    let seen = Arc::new(Mutex::new(HashSet::new()));
    let wg = WaitGroup::new();
    wg.add(1);
    gort::go!(crawl(
        "https://golang.org/pkg/0/".to_string(),
        6,
        web,
        seen.clone(),
        wg.clone()
    ));
    wg.wait();
    let pages = seen.lock().unwrap().len();
    println!(
        "crawled {pages} pages in {:.1} ms on {} Ps (each fetch takes 2 ms)",
        start.elapsed().as_secs_f64() * 1e3,
        gort::runtime::gomaxprocs()
    );
}
// ANCHOR_END: all
