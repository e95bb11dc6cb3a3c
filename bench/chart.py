#!/usr/bin/env python3
"""Draw the gort/Go ratios of a benchmark report (results/latest.md, made by
run.sh) as an SVG bar chart: one bar per workload, the ratio on a log scale
around 1 (left of the line: faster than Go). Written to results/ratios.svg
and to the book (book/src/img/ratios.svg), which both show it.

Usage: python3 bench/chart.py [REPORT.md]
"""
import math
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPORT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "results", "latest.md")
OUTS = [
    os.path.join(HERE, "results", "ratios.svg"),
    os.path.join(HERE, "..", "book", "src", "img", "ratios.svg"),
]


def ratios(text):
    """(workload, gort/Go ratio) for each table row that has one."""
    rows, header = [], None
    for line in text.splitlines():
        if not line.startswith("|"):
            if header is not None and rows:
                return rows  # only the first table with ratios
            header = None
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if header is None:
            header = cells
            continue
        if set(cells[0]) <= set("-: "):
            continue
        if "gort/Go" not in header or len(cells) != len(header):
            continue
        col = header.index("gort/Go")
        m = re.match(r"([0-9.]+)×", cells[col])
        if m:
            rows.append((cells[0].split(" (")[0], float(m.group(1))))
    return rows


def svg(rows, title):
    w, bar, gap, left, right, top = 640, 18, 6, 150, 60, 40
    h = top + len(rows) * (bar + gap) + 40
    lo, hi = math.log(0.1), math.log(4.0)
    x = lambda r: left + (math.log(min(max(r, 0.1), 4.0)) - lo) / (hi - lo) * (w - left - right)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">',
        f"<title>{title}</title>",
        f'<text x="{left}" y="20" font-size="14">{title}</text>',
    ]
    for i, (name, r) in enumerate(rows):
        y = top + i * (bar + gap)
        x0, x1 = sorted((x(1.0), x(r)))
        color = "#188038" if r < 1 else "#d93025"
        out.append(f'<text x="{left - 8}" y="{y + bar - 5}" text-anchor="end">{name}</text>')
        out.append(f'<rect x="{x0:.1f}" y="{y}" width="{max(x1 - x0, 1):.1f}" height="{bar}" fill="{color}"/>')
        out.append(f'<text x="{x(r) + (4 if r >= 1 else -4):.1f}" y="{y + bar - 5}" '
                   f'text-anchor="{"start" if r >= 1 else "end"}" fill="#202124">{r:.2f}×</text>')
    base = top + len(rows) * (bar + gap)
    out.append(f'<line x1="{x(1.0):.1f}" y1="{top - 6}" x2="{x(1.0):.1f}" y2="{base}" stroke="#202124"/>')
    for t in (0.1, 0.25, 0.5, 1, 2, 4):
        out.append(f'<text x="{x(t):.1f}" y="{base + 16}" text-anchor="middle" fill="#5f6368">{t}×</text>')
    out.append(f'<text x="{left}" y="{base + 34}" fill="#5f6368">relative to Go, time or memory (log scale): left of the line is better</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    text = open(REPORT, encoding="utf-8").read()
    rows = ratios(text)
    if not rows:
        sys.exit(f"{REPORT}: no gort/Go column")
    when = re.search(r"latest run \(([^)]*)\)", text)
    title = "gort vs Go" + (f" ({when.group(1)})" if when else "")
    for path in OUTS:
        with open(path, "w", encoding="utf-8") as f:
            f.write(svg(rows, title))
        print(f"wrote {os.path.relpath(path)}")


if __name__ == "__main__":
    main()
