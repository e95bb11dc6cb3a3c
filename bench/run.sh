#!/usr/bin/env bash
# gort benchmark harness: builds the Go programs (go/*.go) and the Rust binaries
# (src/bin/<workload>_<impl>.rs), runs every workload in every implementation,
# alternating implementations round by round, and prints a Markdown table of
# medians with ratios to Go (also written to results/latest.md).
#
# Usage: bash bench/run.sh [workload ...]        (default: all workloads below)
#        bash bench/run.sh scale                 (spawn, skynet and buffered 4P4C at
#                       GOMAXPROCS 1, 2, 4 and 8, gort and Go: throughput per P,
#                       written to results/scale.md)
# Env:   BENCH_ROUNDS   rounds per workload/impl      (default 5)
#        BENCH_PROCS    GOMAXPROCS / worker threads   (default 2 = cores)
#        BENCH_IMPLS    implementations to run        (default "gort go tokio may cb flume";
#                       cb = crossbeam-channel, flume = flume, both on OS threads)
#        BENCH_N        override every workload's N   (e.g. 10000 for a smoke test)
#        BENCH_TIMEOUT  seconds before a run is killed (default 60)
#        BENCH_IDLE_WAIT  max seconds to wait, before each run, for other load to stop
#                         (default 120; 0 = don't wait)
#        GO             path of a go binary to use (else `go` on PATH, else bench/.venv)
#
# Adding a workload W: write go/W.go and src/bin/W_{gort,tokio,may,...}.rs (each prints
# a `RESULT W <impl> <value> <unit> procs=<n>` line; N is argv[1]), add a
# [[bin]] W_gort entry to Cargo.toml, and add a line to WORKLOADS below.
# An implementation without a W_<impl> binary is left out of W's row; a program
# that prints `SKIP <reason>` is recorded as skipped (not failed). A program may
# print more lines `RESULT W.<metric> ...` (e.g. skynet.rss): each becomes a row.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$BENCH_DIR"

ROUNDS="${BENCH_ROUNDS:-5}"
PROCS="${BENCH_PROCS:-2}"
TIMEOUT="${BENCH_TIMEOUT:-60}"
SCALE=""
if [[ "${1:-}" == scale ]]; then SCALE=1; shift; fi
if [[ -n "$SCALE" ]]; then
    IMPLS="${BENCH_IMPLS:-gort go}"
else
    IMPLS="${BENCH_IMPLS:-gort go tokio may cb flume}"
fi

# A row runs `program N args...` (program defaults to the row's name: go/<program>.go,
# src/bin/<program>_<impl>.rs) with GOMAXPROCS set; its RESULT lines are filed under
# the row's name, so one program can make several rows.
# name          N          GOMAXPROCS  [program  [args...]]
WORKLOADS="
spawn           1000000    $PROCS
gosched         1000000    1
pingpong        1000000    $PROCS
pingpong-p1     1000000    1           pingpong
buffered1p1c    5000000    $PROCS      buffered  1 1
buffered4p4c    5000000    $PROCS      buffered  4 4
select2         2000000    $PROCS
threadring      10000000   $PROCS
skynet          1000000    $PROCS
parked          100000     $PROCS
sleepers        1000000    $PROCS
handoff         200        1
handoff-fresh   200        1           handoff   fresh
preemptwake     200        1
fib             32         1
"
# `run.sh scale`: how throughput per P holds up as Ps are added. On this
# project's 2-core machine it can only fall past 2 Ps; on a bigger machine
# the same command shows how far gort (and Go) scale.
if [[ -n "$SCALE" ]]; then
    WORKLOADS=""
    for p in 1 2 4 8; do
        WORKLOADS+="spawn@$p 1000000 $p spawn
skynet@$p 1000000 $p skynet
buffered4p4c@$p 5000000 $p buffered 4 4
"
    done
fi

CACHE="$BENCH_DIR/.cache"
mkdir -p "$CACHE/go-bin" "$CACHE/logs" "$BENCH_DIR/results"

log() { printf '== %s\n' "$*" >&2; }

# ---------------------------------------------------------------- selection
all_workloads="$(awk 'NF {print $1}' <<<"$WORKLOADS")"
if (($# > 0)); then
    selected="$*"
    for w in $selected; do
        grep -qx "$w" <<<"$all_workloads" || { echo "unknown workload: $w (known: $(echo $all_workloads))" >&2; exit 2; }
    done
else
    selected="$(echo $all_workloads)"
fi
wl_field() { awk -v w="$1" -v f="$2" '$1 == w {print $f}' <<<"$WORKLOADS"; }
wl_prog() { awk -v w="$1" '$1 == w {print (NF >= 4 ? $4 : $1)}' <<<"$WORKLOADS"; }
wl_args() { awk -v w="$1" '$1 == w {for (i = 5; i <= NF; i++) printf "%s ", $i}' <<<"$WORKLOADS"; }
programs="$(for w in $selected; do wl_prog "$w"; done | awk '!seen[$0]++' | xargs)"

# ---------------------------------------------------------------- 1. Go
# (find_go and the Go environment are shared with http.sh)
source "$BENCH_DIR/go-env.sh"

for prog in $programs; do
    log "go build go/$prog.go"
    "$GO_BIN" build -o "$CACHE/go-bin/$prog" "go/$prog.go"
done

# ---------------------------------------------------------------- 2. Rust
TARGET="$BENCH_DIR/target"
log "cargo build --release (tokio, may, cb, flume)"
cargo build --release --quiet --target-dir "$TARGET" --bins

if grep -qw gort <<<"$IMPLS"; then
    gort_bins=()
    for prog in $programs; do gort_bins+=(--bin "${prog}_gort"); done
    log "cargo build --release --features gort ${gort_bins[*]}"
    if ! cargo build --release --quiet --target-dir "$TARGET" --features gort "${gort_bins[@]}" \
        >"$CACHE/logs/gort-build.log" 2>&1; then
        tail -n 30 "$CACHE/logs/gort-build.log" >&2
        log "gort does NOT build (full log: bench/.cache/logs/gort-build.log); skipping gort"
        IMPLS="$(sed 's/\bgort\b//' <<<"$IMPLS")"
    fi
fi

binary() { # program impl
    if [[ "$2" == go ]]; then echo "$CACHE/go-bin/$1"; else echo "$TARGET/release/$1_$2"; fi
}

# ---------------------------------------------------------------- 3. run
# Percentage of CPU time (all cores) not idle over the next 0.3 s.
busy_pct() {
    local a b
    read -r -a a < <(head -1 /proc/stat); sleep 0.3; read -r -a b < <(head -1 /proc/stat)
    local tot=0 idle=$(((b[4] + b[5]) - (a[4] + a[5]))) i
    for ((i = 1; i < ${#a[@]}; i++)); do tot=$((tot + b[i] - a[i])); done
    echo $((tot > 0 ? 100 * (tot - idle) / tot : 0))
}
# Timing on 2 cores is meaningless while something else (a build, a test run)
# is busy: wait up to BENCH_IDLE_WAIT s for < 15 % busy; note it if it never is.
IDLE_WAIT="${BENCH_IDLE_WAIT:-120}"
BUSY_RUNS=0
wait_idle() {
    local waited=0 b
    b="$(busy_pct)"
    while ((b >= 15 && waited < IDLE_WAIT)); do
        ((waited == 0)) && log "machine busy (${b}% CPU), waiting up to ${IDLE_WAIT}s before the next run"
        sleep 2; waited=$((waited + 2)); b="$(busy_pct)"
    done
    if ((b >= 15)); then BUSY_RUNS=$((BUSY_RUNS + 1)); log "still busy (${b}%), running anyway"; fi
}

RAW="$CACHE/raw.txt"
: >"$RAW"
read -r -a impls <<<"$IMPLS"
k=${#impls[@]}
log "load before runs: $(cut -d' ' -f1-3 /proc/loadavg); rounds=$ROUNDS procs=$PROCS impls=${impls[*]}"

for ((r = 0; r < ROUNDS; r++)); do
    for w in $selected; do
        n="${BENCH_N:-$(wl_field "$w" 2)}"
        procs="$(wl_field "$w" 3)"
        prog="$(wl_prog "$w")"
        read -r -a args <<<"$(wl_args "$w")"
        # Rotate the implementation order every round, so none always runs first.
        for ((i = 0; i < k; i++)); do
            imp="${impls[$(((i + r) % k))]}"
            bin="$(binary "$prog" "$imp")"
            [[ -x "$bin" ]] || continue # this implementation has no such program
            out="$CACHE/logs/$w-$imp-round$r.log"
            wait_idle
            rc=0
            GOMAXPROCS="$procs" timeout --kill-after=5 "$TIMEOUT" "$bin" "$n" "${args[@]}" >"$out" 2>&1 || rc=$?
            # File the program's RESULT lines (prog, prog.metric) under the row's name.
            lines="$(awk -v p="$prog" -v w="$w" '/^RESULT / {
                        if ($2 == p) $2 = w; else if (index($2, p ".") == 1) $2 = w substr($2, length(p) + 1)
                        print }' "$out")"
            skip="$(grep -m1 '^SKIP ' "$out" || true)"
            if ((rc == 0)) && [[ -n "$skip" ]]; then
                echo "SKIP $w $imp ${skip#SKIP }" | tee -a "$RAW"
            elif ((rc == 0)) && [[ -n "$lines" ]]; then
                echo "$lines" | tee -a "$RAW"
            else
                why="exit=$rc"; ((rc == 124)) && why="timeout(${TIMEOUT}s)"
                echo "FAIL $w $imp $why procs=$procs" | tee -a "$RAW"
                log "$w/$imp round $((r + 1)) failed ($why); output (full: .cache/logs/${out##*/}):"
                { grep -m1 -A1 'panicked at' "$out" || true; echo '...'; tail -n 8 "$out"; } | sed 's/^/   | /' >&2
            fi
        done
    done
done

# ---------------------------------------------------------------- 4. table
# Only a full run (all workloads, default sizes) replaces results/latest.md
# (or, for `scale`, results/scale.md).
if [[ -n "$SCALE" ]]; then REPORT="$BENCH_DIR/results/scale.md"; else REPORT="$BENCH_DIR/results/latest.md"; fi
if [[ -n "${BENCH_N:-}" || "$selected" != "$(echo $all_workloads)" ]]; then REPORT="$CACHE/partial.md"; fi
sizes=""
for w in $selected; do sizes+="$w=${BENCH_N:-$(wl_field "$w" 2)} "; done
python3 "$BENCH_DIR/summarize.py" "$RAW" --rounds "$ROUNDS" --procs "$PROCS" --go "$GO_BIN" \
    --lock "$BENCH_DIR/Cargo.lock" --sizes "$sizes" --busy-runs "$BUSY_RUNS" ${SCALE:+--scale} >"$REPORT"
if [[ "$REPORT" == "$BENCH_DIR/results/latest.md" ]]; then
    python3 "$BENCH_DIR/chart.py" "$REPORT" >&2 # results/ratios.svg and the book's copy
fi
echo
cat "$REPORT"
log "written to ${REPORT#"$BENCH_DIR/"} (raw lines: .cache/raw.txt, logs: .cache/logs/)"
