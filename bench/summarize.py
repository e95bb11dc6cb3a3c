#!/usr/bin/env python3
"""Turn the harness's raw lines into a Markdown report (stdout).

Input lines (from run.sh):  RESULT <workload> <impl> <value> <unit> procs=<n> [n=<N>]
                             FAIL <workload> <impl> <reason> [procs=<n>]
                             SKIP <workload> <impl> <reason>
A FAIL of workload W also counts for its extra metrics (rows named W.<metric>).
Output: machine facts, a table of medians with ratios to Go, and every run.
"""
import argparse
import platform
import re
import statistics
import subprocess
from collections import OrderedDict, defaultdict
from datetime import datetime, timezone

IMPL_ORDER = ["gort", "go", "tokio", "may", "cb", "flume"]
NAMES = {"gort": "gort", "go": "Go", "tokio": "tokio", "may": "may", "cb": "cb", "flume": "flume"}


def sh(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
    except Exception:
        return "?"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def lock_version(lock, name):
    try:
        text = open(lock).read()
    except OSError:
        return "?"
    m = re.search(r'name = "%s"\nversion = "([^"]+)"' % re.escape(name), text)
    return m.group(1) if m else "?"


def gort_rev():
    here = __file__.rsplit("/", 1)[0] or "."
    rev = sh("git", "-C", here, "rev-parse", "--short", "HEAD")
    dirty = sh("git", "-C", here, "status", "--porcelain", "--", "../gort", "../gort-macros")
    return rev + (" + uncommitted changes" if dirty not in ("", "?") else "")


def fmt(v):
    return f"{v:,.0f}" if v >= 1000 else f"{v:.1f}"


def throughput(unit, n, v):
    """Operations per second from a row's median `v` in `unit` (N = n)."""
    if unit.startswith("ns/"):
        return 1e9 / v, unit[3:] + "s/s"
    if unit == "ms":  # the whole run of N operations
        return n * 1e3 / v, "ops/s"
    return None, None


def per_p_table(workloads, cols, units, sizes, median):
    """For `run.sh scale`: rows W@P become one line per workload and
    implementation, with throughput per P at each P and the ratio of the
    widest to P=1 (1.00 = perfect scaling)."""
    groups = OrderedDict()
    for w in workloads:
        if "@" in w and "." not in w:
            base, p = w.split("@")
            groups.setdefault(base, []).append(int(p))
    ps = sorted({p for g in groups.values() for p in g})
    out = ["", "Throughput per P (higher is better; the last column is per-P throughput at "
           f"{ps[-1]} Ps over that at {ps[0]}: 1.00 is perfect scaling, and past the "
           "machine's core count it can only fall):", ""]
    out.append("| workload | impl | per P in | " + " | ".join(f"P={p}" for p in ps)
               + f" | {ps[-1]}P/{ps[0]}P |")
    out.append("|---|---|---|" + "---:|" * (len(ps) + 1))
    for base, gps in groups.items():
        for i in cols:
            cells, first, last, label = [], None, None, "?"
            for p in ps:
                w = f"{base}@{p}"
                m = median(w, i) if p in gps else None
                t, lab = throughput(units.get(w, "?"), int(sizes.get(w, "0") or 0), m) if m else (None, None)
                if t is None:
                    cells.append("–")
                    continue
                label = lab
                per_p = t / p
                first = per_p if first is None else first
                last = per_p
                cells.append(f"{per_p / 1e6:,.2f} M")
            ratio = f"{last / first:.2f}" if first and last else "–"
            out.append(f"| {base} | {NAMES.get(i, i)} | {label} | " + " | ".join(cells)
                       + f" | {ratio} |")
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("raw")
    ap.add_argument("--rounds", default="?")
    ap.add_argument("--procs", default="?")
    ap.add_argument("--go", default="go")
    ap.add_argument("--lock", default="Cargo.lock")
    ap.add_argument("--busy-runs", type=int, default=0)
    ap.add_argument("--sizes", default="", help='"workload=N ..." as run')
    ap.add_argument("--scale", action="store_true",
                    help="rows are <workload>@<procs>: add throughput per P")
    args = ap.parse_args()

    sizes = dict(kv.split("=", 1) for kv in args.sizes.split() if "=" in kv)
    values = defaultdict(list)       # (w, impl) -> [float]
    by_round = defaultdict(list)     # (w, impl) -> [float | None], one per round
    runs = defaultdict(list)         # (w, impl) -> [str] in run order
    units, procs = {}, defaultdict(set)
    skips = defaultdict(set)         # (w, impl) -> {reason}
    small_n = defaultdict(set)       # (w, impl) -> {N run, where it differs from the row's N}
    workloads, impls = OrderedDict(), set()
    lines = [l.split() for l in open(args.raw)]
    lines = [f for f in lines if len(f) >= 3 and f[0] in ("RESULT", "FAIL", "SKIP")]
    known = OrderedDict((f[1], None) for f in lines)
    for f in lines:
        w, imp = f[1], f[2]
        workloads[w] = None
        impls.add(imp)
        if f[0] == "RESULT":
            v = float(f[3])
            values[w, imp].append(v)
            by_round[w, imp].append(v)
            runs[w, imp].append(fmt(v))
            units[w] = f[4]
            for extra in f[5:]:
                if extra.startswith("procs="):
                    procs[w, imp].add(extra[6:])
                elif extra.startswith("n=") and extra[2:] != sizes.get(w):
                    small_n[w, imp].add(int(extra[2:]))
        elif f[0] == "SKIP":
            skips[w, imp].add(" ".join(f[3:]))
        else:
            reason = " ".join(x for x in f[3:] if not x.startswith("procs="))
            # The run's extra metrics (W.<metric>) failed with it.
            for w2 in [w] + [x for x in known if x.startswith(w + ".")]:
                workloads[w2] = None
                runs[w2, imp].append(f"FAIL({reason})")
                by_round[w2, imp].append(None)
                for x in f[3:]:
                    if x.startswith("procs="):
                        procs[w2, imp].add(x[6:])

    cols = [i for i in IMPL_ORDER if i in impls] + sorted(impls - set(IMPL_ORDER))
    others = [i for i in cols if i != "go"]

    def median(w, imp):
        v = values.get((w, imp))
        return statistics.median(v) if v else None

    def cell(w, imp):
        m = median(w, imp)
        total = len(runs.get((w, imp), []))
        if m is None:
            return "FAIL" if total else ("skip" if skips.get((w, imp)) else "–")
        ok = len(values[w, imp])
        return fmt(m) + ("" if ok == total else f" ({ok}/{total} ok)")

    out = []
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    title = "scaling run" if args.scale else "latest run"
    out.append(f"# gort benchmarks — {title} ({now})\n")
    out.append(
        f"Machine: {cpu_model()}, {sh('nproc')} cores, {platform.system()} {platform.release()}. "
        f"{sh(args.go, 'version')}; {sh('rustc', '--version')}; "
        f"tokio {lock_version(args.lock, 'tokio')}, may {lock_version(args.lock, 'may')}, "
        f"crossbeam-channel {lock_version(args.lock, 'crossbeam-channel')} (`cb`) and "
        f"flume {lock_version(args.lock, 'flume')} (`flume`) on OS threads; "
        f"gort {gort_rev()}. "
        f"Median of {args.rounds} runs per cell, implementations alternated round by round; "
        f"GOMAXPROCS / worker threads = {args.procs} unless the workload says otherwise "
        f"(procs column). Lower is better; a ratio above 1 is slower than Go.\n"
    )
    if args.busy_runs:
        out.append(f"**Warning: {args.busy_runs} run(s) started while other load kept the CPU "
                   f"≥ 15 % busy; treat these figures as noisy.**\n")
    # The anchors let the book include this table ({{#include ...:table}});
    # HTML comments, so nothing shows where the report itself is read.
    out.append("<!-- ANCHOR: table -->")
    head = ["workload", "unit", "procs"] + [NAMES.get(i, i) for i in cols]
    head += [f"{NAMES.get(i, i)}/Go" for i in others] if "go" in cols else []
    out.append("| " + " | ".join(head) + " |")
    out.append("|" + "|".join(["---"] * 3 + ["---:"] * (len(head) - 3)) + "|")
    for w in workloads:
        ps = sorted({p for i in cols for p in procs.get((w, i), ())})
        name = w + (f" (N={int(sizes[w]):,})" if sizes.get(w, "").isdigit() else "")
        row = [name, units.get(w, "?"), "/".join(ps) or "?"]
        row += [cell(w, i) for i in cols]
        if "go" in cols:
            g = median(w, "go")
            for i in others:
                m = median(w, i)
                row.append(f"{m / g:.2f}×" if m is not None and g else "–")
        out.append("| " + " | ".join(row) + " |")
    out.append("<!-- ANCHOR_END: table -->")
    if args.scale:
        out.extend(per_p_table(workloads, cols, units, sizes, median))
    notes = []
    for (w, i), ns in small_n.items():
        notes.append(f"{NAMES.get(i, i)} ran {w} with N = {', '.join(f'{x:,}' for x in sorted(ns))} "
                     f"(blocking hand-offs between OS threads cost µs each)")
    for (w, i), why in skips.items():
        notes.append(f"{NAMES.get(i, i)} skipped {w}: {'; '.join(sorted(why))}")
    if notes:
        out.append("")
        out.extend(f"* {x}" for x in notes)
    out.append("\n<details><summary>All runs (in run order)</summary>\n")
    out.append("| workload | impl | procs | runs |")
    out.append("|---|---|---|---|")
    for w in workloads:
        for i in cols:
            if (w, i) in runs:
                p = "/".join(sorted(procs.get((w, i), ()))) or "?"
                out.append(f"| {w} | {NAMES.get(i, i)} | {p} | {', '.join(runs[w, i])} |")
    if "go" in cols:
        out.append("\nPer-round ratios to Go (runs of one round are seconds apart, so these")
        out.append("pairs usually share the machine's state; see README, The machine):\n")
        out.append("| workload | ratio | per round | median |")
        out.append("|---|---|---|---|")
        for w in workloads:
            for i in others:
                pairs = [a / b if a is not None and b else None
                         for a, b in zip(by_round.get((w, i), []), by_round.get((w, "go"), []))]
                ok = [x for x in pairs if x is not None]
                if not pairs:
                    continue
                shown = ", ".join("–" if x is None else f"{x:.2f}" for x in pairs)
                med = f"{statistics.median(ok):.2f}×" if ok else "–"
                out.append(f"| {w} | {NAMES.get(i, i)}/Go | {shown} | {med} |")
    out.append("\n</details>")
    print("\n".join(out))


if __name__ == "__main__":
    main()
