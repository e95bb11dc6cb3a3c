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

/// Where a chapter shows what a program prints, it is what the program
/// prints: a ```text block right after a `<!-- output: examples/NAME.rs -->`
/// line must equal the stdout of that example, run here. (`cargo test`
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
        for (at, tag) in text.match_indices("<!-- output: examples/") {
            let rest = &text[at + tag.len()..];
            let name = &rest[..rest.find(".rs -->").expect("marker ends with .rs -->")];
            let block = rest
                .split_once("```text\n")
                .and_then(|(_, b)| b.split_once("```"))
                .map(|(b, _)| b)
                .unwrap_or_else(|| panic!("{}: no text block after the marker", page.display()));
            let out = std::process::Command::new(examples.join(name))
                .output()
                .unwrap_or_else(|e| panic!("run example {name}: {e}"));
            assert!(out.status.success(), "example {name} failed");
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                block,
                "{}: the output shown for {name} is not what it prints",
                page.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 1, "no chapter shows a program's output");
}
