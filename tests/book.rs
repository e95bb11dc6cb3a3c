//! The book includes its listings from `examples/`; every `{{#include}}`
//! must name a file that exists and, when it names an anchor, a file that
//! has that anchor — otherwise the book would silently show nothing.
//! (The examples themselves are run by tests/examples.rs.)

use std::path::{Path, PathBuf};

/// The book's sources.
fn book_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("book/src")
}

/// Every chapter: its path and its text.
fn pages() -> Vec<(PathBuf, String)> {
    let mut pages: Vec<(PathBuf, String)> = std::fs::read_dir(book_src())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect();
    pages.sort();
    pages
}

#[test]
fn every_book_include_resolves() {
    let src = book_src();
    let mut includes = 0;
    for (page, text) in pages() {
        for (at, tag) in text.match_indices("{{#include ") {
            let rest = &text[at + tag.len()..];
            let spec = &rest[..rest.find("}}").expect("closed include")];
            let (file, anchor) = spec
                .split_once(':')
                .map_or((spec, None), |(f, a)| (f, Some(a)));
            let target = src.join(file.trim());
            let body = std::fs::read_to_string(&target)
                .unwrap_or_else(|e| panic!("{}: include {file}: {e}", page.display()));
            // `file:N:M` (or `file:N:`) is a range of lines, not an anchor.
            let is_lines = anchor.is_some_and(|a| a.starts_with(|c: char| c.is_ascii_digit()));
            if let Some(anchor) = anchor.filter(|_| !is_lines) {
                assert!(
                    body.contains(&format!("ANCHOR: {anchor}"))
                        && body.contains(&format!("ANCHOR_END: {anchor}")),
                    "{}: {file} has no anchor {anchor}",
                    page.display()
                );
            }
            includes += 1;
        }
    }
    assert!(includes >= 2, "the book should include its examples");
}

/// Every Rust listing in the book is an `{{#include}}` of an example, so
/// that the code a reader copies compiles and runs (tests/examples.rs):
/// a fenced Rust block holds include lines and nothing else.
#[test]
fn every_rust_listing_is_an_included_example() {
    for (page, text) in pages() {
        let mut in_rust = None;
        for (n, line) in text.lines().enumerate() {
            match in_rust {
                None if line.starts_with("```rust") => in_rust = Some(n + 1),
                Some(_) if line.starts_with("```") => in_rust = None,
                Some(start) => assert!(
                    line.trim().is_empty() || line.trim_start().starts_with("{{#include "),
                    "{}:{}: the Rust listing opened at line {start} is written inline; \
                     put it in examples/ and include it",
                    page.display(),
                    n + 1
                ),
                None => {}
            }
        }
    }
}

#[test]
fn every_chapter_is_in_the_summary() {
    let summary = std::fs::read_to_string(book_src().join("SUMMARY.md")).unwrap();
    for (page, _) in pages() {
        let name = page.file_name().unwrap().to_str().unwrap().to_string();
        if name.ends_with(".md") && name != "SUMMARY.md" {
            assert!(
                summary.contains(&format!("({name})")),
                "{name} is not in SUMMARY.md"
            );
        }
    }
}

/// The README's program is `examples/readme.rs` (run by tests/examples.rs),
/// so the first code a visitor reads compiles and works.
#[test]
fn the_readme_program_is_a_tested_example() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let start = readme
        .find("```rust\n")
        .expect("a rust block in the README")
        + 8;
    let block = &readme[start..start + readme[start..].find("```").unwrap()];
    let example = std::fs::read_to_string(root.join("examples/readme.rs")).unwrap();
    let code: String = example
        .lines()
        .skip_while(|l| l.starts_with("//") || l.is_empty())
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(
        block, code,
        "README's program and examples/readme.rs differ"
    );
}

/// Every example is run by a test — by tests/examples.rs or
/// tests/servers.rs, or by an output marker below (the examples that end in
/// a fatal error on purpose are run only there, which checks their report
/// and their exit status) — so no listing in the book can rot unnoticed.
#[test]
fn every_example_is_run_by_a_test() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let runners = [include_str!("examples.rs"), include_str!("servers.rs")].concat();
    let chapters: String = pages().into_iter().map(|(_, text)| text).collect();
    for entry in std::fs::read_dir(root.join("examples")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let path = format!("examples/{name}");
        assert!(
            runners.contains(&format!("\"../{path}\""))
                || chapters.contains(&format!("<!-- output: {path}")),
            "{path} is run by no test: add it to tests/examples.rs"
        );
    }
}

/// Where a chapter shows what a program prints, it is what the program
/// prints: the ```text block after a marker line
///
/// ```text
/// <!-- output: examples/NAME.rs[; args A B][; numbers vary][; any order][; stderr][; exit N] -->
/// ```
///
/// must equal what that example, run here (with arguments `A B`), writes to
/// stdout (or, with `stderr`, to stderr), and the example must exit with
/// status 0 (or N).
/// `numbers vary` is for output with timings and counts in it: every number
/// then matches any number, and runs of spaces match any run of spaces, so
/// the words, the lines and their order are still checked; `any order` is
/// for goroutines printing concurrently: the same lines, in any order.
/// (`cargo test`
/// builds the examples beside this test's binary.)
#[test]
fn shown_output_is_what_the_example_prints() {
    let examples = std::env::current_exe()
        .unwrap()
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .join("examples");
    let mut checked = 0;
    for (page, text) in pages() {
        for (at, tag) in text.match_indices("<!-- output: ") {
            let rest = &text[at + tag.len()..];
            let marker = Marker::parse(&rest[..rest.find(" -->").expect("marker ends with -->")]);
            let block = rest
                .split_once("```text\n")
                .and_then(|(_, b)| b.split_once("```"))
                .map(|(b, _)| b)
                .unwrap_or_else(|| panic!("{}: no text block after the marker", page.display()));
            let out = std::process::Command::new(examples.join(&marker.example))
                .args(&marker.args)
                .output()
                .unwrap_or_else(|e| panic!("run example {}: {e}", marker.example));
            let name = &marker.example;
            assert_eq!(
                out.status.code(),
                Some(marker.exit),
                "example {name} exited with {}; stderr:\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
            let printed = String::from_utf8_lossy(if marker.stderr {
                &out.stderr
            } else {
                &out.stdout
            })
            .into_owned();
            let (printed, shown) = (marker.normalize(&printed), marker.normalize(block));
            assert_eq!(
                printed,
                shown,
                "{}: the output shown for {name} is not what it prints",
                page.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 8, "only {checked} outputs checked");
}

/// What an output marker asks for.
struct Marker {
    example: String,
    args: Vec<String>,
    numbers_vary: bool,
    any_order: bool,
    stderr: bool,
    exit: i32,
}

impl Marker {
    /// Parses `examples/NAME.rs; option; option`.
    fn parse(spec: &str) -> Marker {
        let mut parts = spec.split(';').map(str::trim);
        let example = parts
            .next()
            .and_then(|p| p.strip_prefix("examples/"))
            .and_then(|p| p.strip_suffix(".rs"))
            .unwrap_or_else(|| panic!("marker {spec:?} does not name examples/NAME.rs"))
            .to_string();
        let mut marker = Marker {
            example,
            args: Vec::new(),
            numbers_vary: false,
            any_order: false,
            stderr: false,
            exit: 0,
        };
        for option in parts {
            match option {
                "numbers vary" => marker.numbers_vary = true,
                "any order" => marker.any_order = true,
                "stderr" => marker.stderr = true,
                _ if option.starts_with("args ") => {
                    marker.args = option[5..].split_whitespace().map(String::from).collect()
                }
                _ => {
                    marker.exit = option
                        .strip_prefix("exit ")
                        .and_then(|n| n.parse().ok())
                        .unwrap_or_else(|| panic!("marker {spec:?}: unknown option {option:?}"))
                }
            }
        }
        marker
    }

    /// The output as far as this marker asks to compare it.
    fn normalize(&self, text: &str) -> String {
        let text = if self.numbers_vary {
            without_numbers(text)
        } else {
            text.to_string()
        };
        if !self.any_order {
            return text;
        }
        let mut lines: Vec<&str> = text.lines().collect();
        lines.sort_unstable();
        lines.join("\n")
    }
}

/// `text` with every number (digits, with any `.` or `,` inside) replaced
/// by `#` and every run of spaces by one space.
fn without_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            while chars
                .next_if(|c| c.is_ascii_digit() || *c == '.' || *c == ',')
                .is_some()
            {}
            out.push('#');
        } else if c == ' ' {
            while chars.next_if_eq(&' ').is_some() {}
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}
