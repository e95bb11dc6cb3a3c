#!/usr/bin/env bash
# Open every page of the built book (book/book/, see build.sh) in headless
# Chromium and fail on what a reader would meet as breakage: a resource
# that does not load (a missing image or script), a script error, an
# internal link to a page or anchor that does not exist, or an SVG picture
# that is not well-formed. Installs Debian's chromium when it can (root and
# apt-get); without it, says so and exits 0.
set -euo pipefail
cd "$(dirname "$0")"
out=book
[[ -f "$out/index.html" ]] || { echo "build the book first: bash book/build.sh" >&2; exit 1; }

browser="$(command -v chromium || command -v chromium-browser || true)"
if [[ -z "$browser" && "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
  echo "installing chromium (apt-get)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 || true
  browser="$(command -v chromium || true)"
fi
if [[ -z "$browser" ]]; then
  echo "chromium is not installable here: browser check skipped"
  exit 0
fi

fail=0
# Every SVG picture parses.
for svg in $(find "$out" -name '*.svg'); do
  python3 -c "import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])" "$svg" \
    || { echo "not well-formed: $svg"; fail=1; }
done

profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
for page in $(cd "$out" && find . -name '*.html' ! -name 'print.html' ! -path './404.html' | sort); do
  dom="$profile/dom.html"
  log="$profile/log.txt"
  timeout 60 "$browser" --headless --no-sandbox --disable-gpu --user-data-dir="$profile/u" \
    --enable-logging=stderr --v=0 --virtual-time-budget=3000 \
    --dump-dom "file://$(pwd)/$out/${page#./}" >"$dom" 2>"$log" || true
  if grep -Eq 'ERR_FILE_NOT_FOUND|Failed to load resource|Uncaught' "$log"; then
    echo "$page: $(grep -E 'ERR_FILE_NOT_FOUND|Failed to load resource|Uncaught' "$log" | head -3)"
    fail=1
  fi
  if [[ ! -s "$dom" ]]; then
    echo "$page: the browser rendered nothing"
    fail=1
    continue
  fi
  # Internal links (relative .html targets, with or without an anchor).
  python3 - "$out" "$page" "$dom" <<'PY' || fail=1
import os, re, sys
from html.parser import HTMLParser
root, page, dom = sys.argv[1], sys.argv[2], sys.argv[3]
class P(HTMLParser):
    def __init__(self):
        super().__init__(); self.links = []; self.imgs = []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"): self.links.append(a["href"])
        if tag == "img" and a.get("src"): self.imgs.append(a["src"])
p = P(); p.feed(open(dom, encoding="utf-8").read())
base = os.path.dirname(os.path.join(root, page))
bad = []
for href in p.links:
    if re.match(r"^[a-z]+:", href) or href.startswith("#"):
        continue
    path, _, anchor = href.partition("#")
    target = os.path.normpath(os.path.join(base, path))
    if not os.path.exists(target):
        bad.append(f"dead link {href}")
    elif anchor and target.endswith(".html"):
        if f'id="{anchor}"' not in open(target, encoding="utf-8").read():
            bad.append(f"no anchor {href}")
for src in p.imgs:
    if not re.match(r"^[a-z]+:", src) and not os.path.exists(os.path.normpath(os.path.join(base, src))):
        bad.append(f"missing image {src}")
for b in bad:
    print(f"{page}: {b}")
sys.exit(1 if bad else 0)
PY
done
if [[ $fail != 0 ]]; then
  echo "browser check failed" >&2
  exit 1
fi
echo "browser check passed: every page rendered, every link and picture resolves"
