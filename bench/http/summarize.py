#!/usr/bin/env python3
"""Helpers for bench/http.sh.

  summarize.py parse <wrk-or-ab-output>   print "rps=<req/s> p50_ms=<ms> p99_ms=<ms> errors=<n>"
                                          (exit 1 if the output has no result)
  summarize.py bench <raw> [opts]         Markdown report of the load tests (stdout)
  summarize.py idle <raw> [opts]          Markdown report of the idle-connection test

Raw lines written by http.sh:
  RESULT <test> <server> rps=.. p50_ms=.. p99_ms=.. errors=.. [noka=..] round=<r>
  FAIL <test> <server> <reason> round=<r>
  SKIP <server> <reason...>
  IDLE <server> n=.. errors=.. ms=.. before_kib=.. rss_kib=.. nproc=.. threads=..
"""
import argparse
import platform
import re
import statistics
import subprocess
import sys
from collections import OrderedDict, defaultdict
from datetime import datetime, timezone

SERVER_ORDER = ["gort", "go-nethttp", "go-raw", "hyper", "node"]
NAMES = {"gort": "gort", "go-nethttp": "Go net/http", "go-raw": "Go raw net.Conn",
         "hyper": "tokio + hyper", "node": "Node.js http"}
BASE = "go-nethttp"
TESTS = OrderedDict([
    ("hello-c50", "`wrk -t1 -c50 --latency` GET /"),
    ("hello-c256", "`wrk -t1 -c256 --latency` GET /"),
    ("ab-c100", "`ab -k -c 100` GET / (p50/p99 in whole ms)"),
    ("work1ms-c50", "`wrk -t1 -c50 --latency` GET /work?ms=1 (1 ms CPU per request)"),
])


# ---------------------------------------------------------------- parse
def wrk_time_ms(s):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", s)
    if not m:
        raise ValueError(s)
    v, u = float(m.group(1)), m.group(2)
    return v * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}[u]


def parse(path):
    text = open(path, errors="replace").read()
    if "Requests/sec:" in text:  # wrk
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
        p50 = wrk_time_ms(re.search(r"^\s+50%\s+(\S+)", text, re.M).group(1))
        p99 = wrk_time_ms(re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1))
        errors = 0
        m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
        if m:
            errors += sum(int(x) for x in m.groups())
        m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
        if m:
            errors += int(m.group(1))
        print(f"rps={rps:.1f} p50_ms={p50:.3f} p99_ms={p99:.3f} errors={errors}")
    elif "Requests per second:" in text:  # ab
        rps = float(re.search(r"Requests per second:\s+([\d.]+)", text).group(1))
        p50 = float(re.search(r"^\s+50%\s+(\d+)", text, re.M).group(1))
        p99 = float(re.search(r"^\s+99%\s+(\d+)", text, re.M).group(1))
        errors = int(re.search(r"Failed requests:\s+(\d+)", text).group(1))
        m = re.search(r"Non-2xx responses:\s+(\d+)", text)
        if m:
            errors += int(m.group(1))
        done = int(re.search(r"Complete requests:\s+(\d+)", text).group(1))
        m = re.search(r"Keep-Alive requests:\s+(\d+)", text)
        ka = int(m.group(1)) if m else 0
        extra = f" noka={done - ka}" if done - ka > done // 100 else ""
        print(f"rps={rps:.1f} p50_ms={p50:.3f} p99_ms={p99:.3f} errors={errors}{extra}")
    else:
        sys.exit(1)


# ---------------------------------------------------------------- report helpers
def sh(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
    except Exception:
        return "?"


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def kv(fields):
    return dict(f.split("=", 1) for f in fields if "=" in f)


def order(servers):
    return [s for s in SERVER_ORDER if s in servers] + sorted(set(servers) - set(SERVER_ORDER))


def header(title, args, extra):
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    vers = [v.split("=", 1) for v in args.versions.split(";") if "=" in v]
    out = [f"# {title} ({now})\n",
           f"Machine: {cpu_model()}, {sh('nproc')} cores, {platform.system()} {platform.release()}. "
           + "; ".join(f"{NAMES.get(k, k)}: {v.replace('_', ' ')}" for k, v in vers) + ". "
           + f"Every server runs with {args.procs} Ps / worker threads / Node processes. " + extra + "\n"]
    return out


def fmt(v, digits=0):
    return f"{v:,.{digits}f}"


# ---------------------------------------------------------------- bench report
def bench(args):
    res = defaultdict(list)            # (test, server) -> [dict]
    fails = defaultdict(list)
    skips = OrderedDict()
    servers = []
    for line in open(args.raw):
        f = line.split()
        if not f:
            continue
        if f[0] == "SKIP":
            skips[f[1]] = " ".join(f[2:])
        elif f[0] in ("RESULT", "FAIL") and len(f) >= 3:
            t, s = f[1], f[2]
            if s not in servers:
                servers.append(s)
            if f[0] == "RESULT":
                res[t, s].append({k: float(v) for k, v in kv(f[3:]).items()})
            else:
                fails[t, s].append(" ".join(x for x in f[3:] if not x.startswith("round=")))
    servers = order(servers)
    out = header(
        "gort HTTP benchmarks", args,
        f"Median of {args.rounds} round(s) of {args.duration} s per test; servers alternated "
        "round by round (rotated order), each started fresh per round and warmed up for 1 s. "
        "Higher req/s is better, lower latency is better; ratios are to Go net/http.")
    out.append("**Caveat: the load generator (wrk / ab, one thread) runs on the same "
               f"{sh('nproc')} cores as the server**, so a server only gets what the client "
               "leaves it, and a server that burns less CPU per request leaves more to the "
               "client: absolute figures are below what a separate client machine would show; "
               "compare the ratios.\n")
    if args.busy_runs:
        out.append(f"**Warning: {args.busy_runs} test(s) started while other load kept the CPU "
                   "≥ 15 % busy; treat these figures as noisy.**\n")
    for t, desc in TESTS.items():
        if not any((t, s) in res or (t, s) in fails for s in servers):
            continue
        out.append(f"### {t}: {desc}\n")
        out.append("| server | req/s | req/s ÷ Go net/http | p50 ms | p99 ms | p99 ÷ Go net/http | errors | req/s of every run |")
        out.append("|---|---:|---:|---:|---:|---:|---:|---|")
        base = res.get((t, BASE))
        b_rps = statistics.median(r["rps"] for r in base) if base else None
        b_p99 = statistics.median(r["p99_ms"] for r in base) if base else None
        for s in servers:
            rs = res.get((t, s), [])
            nf = len(fails.get((t, s), []))
            if not rs:
                out.append(f"| {NAMES.get(s, s)} | {'FAIL' if nf else '–'} | – | – | – | – | – | |")
                continue
            rps = statistics.median(r["rps"] for r in rs)
            p50 = statistics.median(r["p50_ms"] for r in rs)
            p99 = statistics.median(r["p99_ms"] for r in rs)
            errs = int(sum(r.get("errors", 0) for r in rs))
            noka = int(sum(r.get("noka", 0) for r in rs))
            rr = f"{rps / b_rps:.2f}×" if b_rps else "–"
            pr = f"{p99 / b_p99:.2f}×" if b_p99 else "–"
            runs = ", ".join(fmt(r["rps"]) for r in rs) + (f" ({nf} failed)" if nf else "")
            err = str(errs) + (f" ({noka} not keep-alive)" if noka else "")
            out.append(f"| {NAMES.get(s, s)} | {fmt(rps)} | {rr} | {p50:.2f} | {p99:.2f} | {pr} | {err} | {runs} |")
        out.append("")
    notes = [f"{NAMES.get(s, s)} skipped: {why}" for s, why in skips.items()]
    notes += [f"{NAMES.get(s, s)} failed {t} {len(v)}×: {'; '.join(sorted(set(v)))}"
              for (t, s), v in fails.items()]
    if notes:
        out.extend(f"* {n}" for n in notes)
        out.append("")
    out.append("Errors = wrk socket errors + non-2xx responses, or ab failed + non-2xx requests, "
               "summed over the rounds. `work1ms-c50`: each request spins 1 ms of CPU "
               "(xorshift64, clock read every 1000 steps), so 2 cores cap it near 2,000 req/s "
               "less the client's share; its p99 shows how fairly a server spreads 50 "
               "CPU-bound requests over 2 cores.")
    print("\n".join(out))


# ---------------------------------------------------------------- idle report
def idle(args):
    rows = defaultdict(list)
    skips, fails = OrderedDict(), defaultdict(int)
    for line in open(args.raw):
        f = line.split()
        if not f:
            continue
        if f[0] == "IDLE":
            rows[f[1]].append({k: float(v) for k, v in kv(f[2:]).items()})
        elif f[0] == "SKIP":
            skips[f[1]] = " ".join(f[2:])
        elif f[0] == "FAIL":
            fails[f[1]] += 1
    servers = order(list(rows) + list(fails))
    out = header(
        "gort HTTP idle connections", args,
        f"Each server gets {int(args.conns):,} TCP connections (bench/http/idleconns, "
        "64 opening at a time); each sends one keep-alive `GET /`, reads the response and "
        "then stays open and idle. The server's VmRSS (summed over its process group: Node "
        f"runs a cluster primary + workers) is read before the connections and again "
        "after all are idle (+ a settle delay).")
    out.append("| server | idle conns | errors | RSS before (MiB) | RSS with conns (MiB) | KiB per conn | per conn ÷ Go net/http | processes | threads | open all (ms) |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")

    def per_conn(r):
        return (r["rss_kib"] - r["before_kib"]) / r["n"] if r.get("n") else None

    def med(rs, key):
        return statistics.median(r[key] for r in rs)

    base = rows.get(BASE)
    b = statistics.median(per_conn(r) for r in base) if base and all(per_conn(r) for r in base) else None
    for s in servers:
        rs = rows.get(s)
        if not rs:
            out.append(f"| {NAMES.get(s, s)} | FAIL | | | | | | | | |")
            continue
        pc = statistics.median(per_conn(r) or 0 for r in rs)
        ratio = f"{pc / b:.2f}×" if b else "–"
        out.append(f"| {NAMES.get(s, s)} | {med(rs, 'n'):,.0f} | {med(rs, 'errors'):,.0f} | "
                   f"{med(rs, 'before_kib') / 1024:.1f} | {med(rs, 'rss_kib') / 1024:.1f} | {pc:.2f} | "
                   f"{ratio} | {med(rs, 'nproc'):.0f} | {med(rs, 'threads'):.0f} | {med(rs, 'ms'):,.0f} |")
    notes = [f"{NAMES.get(s, s)} skipped: {why}" for s, why in skips.items()]
    notes += [f"{NAMES.get(s, s)} failed {n}×" for s, n in fails.items()]
    if notes:
        out.append("")
        out.extend(f"* {n}" for n in notes)
    out.append("\nKiB per conn = (RSS with conns − RSS before) / idle conns. Go's figures include "
               "whatever garbage the GC has not returned yet.")
    print("\n".join(out))


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "parse":
        return parse(sys.argv[2])
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["bench", "idle"])
    ap.add_argument("raw")
    ap.add_argument("--rounds", default="?")
    ap.add_argument("--duration", default="?")
    ap.add_argument("--procs", default="?")
    ap.add_argument("--conns", default="0")
    ap.add_argument("--busy-runs", type=int, default=0)
    ap.add_argument("--versions", default="")
    args = ap.parse_args()
    (bench if args.mode == "bench" else idle)(args)


if __name__ == "__main__":
    main()
