#!/usr/bin/env python3
"""Draw the ratios to Go of a benchmark report (results/latest.md, made by
run.sh) as an SVG bar chart: for each workload, one bar each for gort,
tokio and may, the ratio on a log scale around 1 (left of the line: faster
than Go, or less memory). Written to results/ratios.svg and to the book
(book/src/img/ratios.svg), which both show it.

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
# The runtimes charted (the thread-based channels, 30-190x slower on the
# hand-off workloads, would only flatten the scale), and their colours.
SERIES = [("gort", "#3367d6"), ("tokio", "#e37400"), ("may", "#9aa0a6")]
LO, HI = 0.04, 4.0  # the scale; ratios beyond it are drawn to its edge


def ratios(text):
    """[(workload, {runtime: ratio to Go})] from the report's first table
    with a gort/Go column; a runtime without a ratio (–, FAIL, skip) is left
    out of its row."""
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
        if set(cells[0]) <= set("-: ") or "gort/Go" not in header or len(cells) != len(header):
            continue
        found = {}
        for name, _ in SERIES:
            col = f"{name}/Go"
            m = col in header and re.match(r"([0-9.,]+)×", cells[header.index(col)])
            if m:
                found[name] = float(m.group(1).replace(",", ""))
        if "gort" in found:
            rows.append((cells[0].split(" (")[0], found))
    return rows


def x_of(r, left, width):
    """The x of ratio `r` on the log scale."""
    lo, hi = math.log(LO), math.log(HI)
    return left + (math.log(min(max(r, LO), HI)) - lo) / (hi - lo) * width


def svg(rows, title):
    w, bar, group_gap, left, right, top = 720, 11, 9, 150, 60, 58
    width = w - left - right
    heights = [len(found) * bar + group_gap for _, found in rows]
    h = top + sum(heights) + 44
    x = lambda r: x_of(r, left, width)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">',
        f"<title>{title}</title>",
        f'<text x="{left}" y="20" font-size="14">{title}</text>',
    ]
    for i, (name, colour) in enumerate(SERIES):  # the legend
        lx = left + i * 90
        out.append(f'<rect x="{lx}" y="32" width="12" height="12" fill="{colour}"/>')
        out.append(f'<text x="{lx + 17}" y="43">{name}</text>')
    y = top
    for (workload, found), height in zip(rows, heights):
        out.append(f'<text x="{left - 8}" y="{y + len(found) * bar / 2 + 4:.1f}" text-anchor="end">{workload}</text>')
        for name, colour in SERIES:
            if name not in found:
                continue
            r = found[name]
            x0, x1 = sorted((x(1.0), x(r)))
            out.append(f'<rect x="{x0:.1f}" y="{y}" width="{max(x1 - x0, 1):.1f}" height="{bar - 1}" fill="{colour}"/>')
            label = f"{r:.2f}×" if r < 10 else f"{r:.0f}×"
            out.append(f'<text x="{x(r) + (3 if r >= 1 else -3):.1f}" y="{y + bar - 2}" font-size="10" '
                       f'text-anchor="{"start" if r >= 1 else "end"}" fill="#202124">{label}</text>')
            y += bar
        y += group_gap
    base = y
    out.append(f'<line x1="{x(1.0):.1f}" y1="{top - 4}" x2="{x(1.0):.1f}" y2="{base}" stroke="#202124"/>')
    for t in (0.05, 0.1, 0.25, 0.5, 1, 2, 4):
        out.append(f'<text x="{x(t):.1f}" y="{base + 14}" text-anchor="middle" fill="#5f6368">{t}×</text>')
    out.append(f'<text x="{left}" y="{base + 32}" fill="#5f6368">relative to Go, time or memory (log scale): left of the line is better</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    text = open(REPORT, encoding="utf-8").read()
    rows = ratios(text)
    if not rows:
        sys.exit(f"{REPORT}: no gort/Go column")
    when = re.search(r"latest run \(([^)]*)\)", text)
    title = "gort, tokio and may vs Go" + (f" ({when.group(1)})" if when else "")
    for path in OUTS:
        with open(path, "w", encoding="utf-8") as f:
            f.write(svg(rows, title))
        print(f"wrote {os.path.relpath(path)}")


if __name__ == "__main__":
    main()
