//! The rules for code the preemption signal may interrupt, checked
//! mechanically on the machine code of a binary's `gort_ptext` section:
//! - no thread-local storage in `#[gort::preemptible]` functions: no
//!   `fs:`/`gs:` operand other than the stack-protector canary `fs:0x28`,
//!   no call to `__tls_get_addr` and no `rdfsbase`/`rdgsbase`;
//! - none of the runtime's scheduling code inlined there: no call to the
//!   accessors of the thread's M context (`gort::runtime::context`), which
//!   only scheduling code uses;
//! - no thread-blocking lock taken there: no call to `parking_lot`'s slow
//!   paths (its fast paths are inlined atomics, and come with a call to
//!   the slow path). A goroutine stopped holding one would block every
//!   thread that wants it — on one P, for ever.
//!
//! Cross-crate inlining of gort's non-generic functions needs LTO, so the
//! fixture that calls gort's API is also checked built with fat LTO.
//!
//! Needs `objdump` and `nm` (binutils, present wherever `cc` links Rust
//! programs).
#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

use std::collections::HashMap;
use std::process::Command;

/// What a binutils tool prints about `binary`.
fn binutils(tool: &str, args: &[&str], binary: &str) -> String {
    let out = Command::new(tool)
        .args(args)
        .arg(binary)
        .output()
        .unwrap_or_else(|e| panic!("{tool} runs (install binutils): {e}"));
    assert!(out.status.success(), "{tool} failed on {binary}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The functions that calls through the GOT reach — `call QWORD PTR
/// [rip+…] # <slot>`, how Rust calls a function of another crate — by
/// slot address: the slot's `R_X86_64_RELATIVE` relocation gives the
/// function's address, the symbol table its name.
fn got_targets(binary: &str) -> HashMap<String, String> {
    let hex = |s: &str| u64::from_str_radix(s.trim_start_matches("0x"), 16).ok();
    let names: HashMap<u64, &str> = HashMap::new();
    let symbols = binutils("nm", &[], binary);
    let names = symbols.lines().fold(names, |mut names, l| {
        let mut f = l.split_whitespace();
        if let (Some(addr), Some(_), Some(name)) = (f.next().and_then(hex), f.next(), f.next()) {
            names.insert(addr, name);
        }
        names
    });
    let relocs = binutils("objdump", &["-R"], binary);
    relocs
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let slot = hex(f.next()?)?;
            let target = hex(f.nth(1)?.strip_prefix("*ABS*+")?)?;
            Some((format!("{slot:x}"), names.get(&target)?.to_string()))
        })
        .collect()
}

/// The section's instruction count, or the offending lines.
fn check_ptext(binary: &str) -> Result<usize, Vec<String>> {
    let args = [
        "-d",
        "-M",
        "intel",
        "--no-show-raw-insn",
        "-j",
        "gort_ptext",
    ];
    let text = binutils("objdump", &args, binary);
    let got = got_targets(binary);
    // Each instruction, a call through the GOT with its target's name.
    let instructions: Vec<String> = text
        .lines()
        .filter(|l| l.starts_with("  ") && l.contains(":\t"))
        .map(|l| {
            let slot = l.split("# ").nth(1).and_then(|c| c.split(' ').next());
            match slot.and_then(|s| got.get(s)) {
                Some(target) => format!("{l} -> {target}"),
                None => l.to_string(),
            }
        })
        .collect();
    let bad: Vec<String> = instructions
        .iter()
        .filter(|l| {
            let fs_or_gs = (l.contains("fs:") && !l.contains("fs:0x28")) || l.contains("gs:");
            fs_or_gs
                || l.contains("7runtime7context") // mangled gort::runtime::context::*
                || (l.contains("parking_lot") && l.contains("_slow")) // RawMutex::lock_slow…
                || l.contains("parking_lot_core")
                || l.contains("__tls_get_addr")
                || l.contains("rdfsbase")
                || l.contains("rdgsbase")
        })
        .map(|l| l.trim().to_string())
        .collect();
    if bad.is_empty() {
        Ok(instructions.len())
    } else {
        Err(bad)
    }
}

/// gort's own preemptible code (the fixtures' spin loops, and one calling
/// gort's generic entry points) holds no thread-local access and none of the
/// runtime's scheduling code, and the section is really there.
#[test]
fn preemptible_code_in_this_workspace_touches_no_thread_local() {
    for bin in [
        env!("CARGO_BIN_EXE_fixture-hog"),
        env!("CARGO_BIN_EXE_fixture-regs"),
        env!("CARGO_BIN_EXE_fixture-soak"),
        env!("CARGO_BIN_EXE_fixture-ptext-calls"),
    ] {
        match check_ptext(bin) {
            Ok(n) => assert!(n > 0, "{bin}: empty gort_ptext section"),
            Err(bad) => panic!(
                "{bin}: thread-local access in gort_ptext:\n{}",
                bad.join("\n")
            ),
        }
    }
}

/// The check catches a preemptible function that uses `thread_local!`.
#[test]
fn the_check_rejects_a_preemptible_thread_local() {
    let bad = check_ptext(env!("CARGO_BIN_EXE_fixture-ptext-tls"))
        .expect_err("a thread_local! in a preemptible fn must be caught");
    assert!(bad.iter().any(|l| l.contains("fs:")), "{bad:?}");
}

/// The fixture that calls gort's API, built as users ship: release, fat
/// LTO — where even gort's non-generic functions may be inlined into a
/// preemptible one (before they were marked `#[inline(never)]`, seven
/// calls to parking_lot's lock slow path landed in the section).
#[test]
fn preemptible_code_built_with_lto_takes_no_runtime_lock() {
    let root = env!("CARGO_MANIFEST_DIR");
    let target = format!("{root}/target/lto");
    let out = Command::new(option_env!("CARGO").unwrap_or("cargo"))
        .args(["build", "--release", "--bin", "fixture-ptext-calls"])
        .env("CARGO_PROFILE_RELEASE_LTO", "fat")
        .env("CARGO_TARGET_DIR", &target)
        .current_dir(root)
        .output()
        .expect("cargo runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "LTO build failed:\n{stderr}");
    let bin = format!("{target}/release/fixture-ptext-calls");
    match check_ptext(&bin) {
        Ok(n) => assert!(n > 0, "{bin}: empty gort_ptext section"),
        Err(bad) => panic!("{bin}: runtime code in gort_ptext:\n{}", bad.join("\n")),
    }
}
