//! The rule for code the preemption signal may interrupt — no thread-local
//! storage in `#[gort::preemptible]` functions — checked mechanically on
//! the machine code: the disassembly of a binary's `gort_ptext` section
//! must hold no `fs:`/`gs:` operand other than the stack-protector canary
//! `fs:0x28`, no call to `__tls_get_addr` and no `rdfsbase`/`rdgsbase`.
//! Needs `objdump` (binutils, present wherever `cc` links Rust programs).
#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

use std::process::Command;

/// The section's instruction count, or the offending lines.
fn check_ptext(binary: &str) -> Result<usize, Vec<String>> {
    let out = Command::new("objdump")
        .args([
            "-d",
            "-M",
            "intel",
            "--no-show-raw-insn",
            "-j",
            "gort_ptext",
            binary,
        ])
        .output()
        .expect("objdump runs (install binutils)");
    assert!(out.status.success(), "objdump failed on {binary}");
    let text = String::from_utf8_lossy(&out.stdout);
    let instructions: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("  ") && l.contains(":\t"))
        .collect();
    let bad: Vec<String> = instructions
        .iter()
        .filter(|l| {
            let fs_or_gs = (l.contains("fs:") && !l.contains("fs:0x28")) || l.contains("gs:");
            fs_or_gs
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

/// gort's own preemptible code (the starvation fixture's spin loop) holds
/// no thread-local access, and the section is really there.
#[test]
fn preemptible_code_in_this_workspace_touches_no_thread_local() {
    for bin in [
        env!("CARGO_BIN_EXE_fixture-hog"),
        env!("CARGO_BIN_EXE_fixture-regs"),
        env!("CARGO_BIN_EXE_fixture-soak"),
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
