#!/usr/bin/env bash
# Build the book into book/book/ (open book/book/index.html), installing
# mdBook with cargo the first time (a few minutes; then cached in
# ~/.cargo/bin). Fails on any warning mdBook prints — a missing include, a
# bad link target — not only on errors.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v mdbook >/dev/null; then
  echo "installing mdbook (cargo install mdbook --locked)"
  cargo install mdbook --locked --quiet
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! mdbook build 2>&1 | tee "$log"; then
  echo "mdbook build failed" >&2
  exit 1
fi
if grep -Eq '\b(WARN|ERROR)\b' "$log"; then
  echo "mdbook printed warnings: treated as errors" >&2
  exit 1
fi
echo "book built: $(pwd)/book/index.html"
