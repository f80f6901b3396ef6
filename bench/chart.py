"""bench/chart.svg from bench/results.json: ratios to the baseline, and broadcast latency by tab count."""

from __future__ import annotations

from html import escape
from pathlib import Path

WIDTH, HEIGHT = 960, 380
INK, MUTED, OURS, BASE, TARGET = "#1f2933", "#7b8794", "#2f6fde", "#9aa5b1", "#d64545"


def _ratio_bars(figures: list[dict]) -> list[str]:
    rows = [f for f in figures if "ratio_to_floor" in f or f.get("unit") == "ms/call"]
    left, top, width, bar = 250, 60, 200, 18
    out = [f'<text x="20" y="30" font-size="15" fill="{INK}" font-weight="600">pysession / baseline (median)</text>']
    scale = width / max(2.5, *(f.get("ratio_to_floor", f.get("ratio_to_raw", 1)) for f in rows))
    for index, figure in enumerate(rows):
        ratio = figure.get("ratio_to_floor", figure.get("ratio_to_raw"))
        baseline = "floor" if "ratio_to_floor" in figure else "minimal JS store"
        target = 1.1 if "ratio_to_floor" in figure else 1.5
        y = top + index * (bar + 12)
        label = escape(figure["figure"].replace("encrypted ", ""))
        out.append(f'<text x="{left - 8}" y="{y + 13}" font-size="11" text-anchor="end" fill="{INK}">{label}</text>')
        out.append(f'<rect x="{left}" y="{y}" width="{ratio * scale:.1f}" height="{bar}" fill="{OURS}" rx="2"/>')
        out.append(f'<line x1="{left + target * scale:.1f}" x2="{left + target * scale:.1f}" y1="{y - 2}" y2="{y + bar + 2}" stroke="{TARGET}" stroke-width="2"/>')
        out.append(f'<text x="{left + ratio * scale + 6:.1f}" y="{y + 13}" font-size="11" fill="{MUTED}">{ratio:.2f}x {baseline}</text>')
    out.append(f'<line x1="{left + scale:.1f}" x2="{left + scale:.1f}" y1="{top - 8}" y2="{top + len(rows) * (bar + 12)}" stroke="{MUTED}" stroke-dasharray="3 3"/>')
    out.append(f'<text x="{left}" y="{top + len(rows) * (bar + 12) + 16}" font-size="10" fill="{MUTED}">dashed: 1.0x; red: target</text>')
    return out


def _curve(curve: list[dict]) -> list[str]:
    left, top, width, height = 600, 60, 320, 240
    out = [f'<text x="{left - 40}" y="30" font-size="15" fill="{INK}" font-weight="600">disconnect reaches the other tabs (p50 ms)</text>']
    if not curve:
        return out
    tabs = [p["tabs"] for p in curve]
    peak = max(max(p["pysession"]["median"], p["raw BroadcastChannel"]["median"]) for p in curve) * 1.2 or 1
    x = lambda t: left + (t - min(tabs)) / max(1, max(tabs) - min(tabs)) * width  # noqa: E731
    y = lambda v: top + height - v / peak * height  # noqa: E731
    out.append(f'<line x1="{left}" x2="{left + width}" y1="{top + height}" y2="{top + height}" stroke="{MUTED}"/>')
    out.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + height}" stroke="{MUTED}"/>')
    for t in tabs:
        out.append(f'<text x="{x(t):.1f}" y="{top + height + 16}" font-size="10" text-anchor="middle" fill="{MUTED}">{t}</text>')
    out.append(f'<text x="{left + width / 2}" y="{top + height + 32}" font-size="11" text-anchor="middle" fill="{MUTED}">tabs</text>')
    out.append(f'<text x="{left - 8}" y="{top + 4}" font-size="10" text-anchor="end" fill="{MUTED}">{peak:.1f}</text>')
    for key, color in (("pysession", OURS), ("raw BroadcastChannel", BASE)):
        points = " ".join(f"{x(p['tabs']):.1f},{y(p[key]['median']):.1f}" for p in curve)
        out.append(f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="2.5"/>')
    out.append(f'<text x="{left + width - 4}" y="{top + 14}" font-size="11" text-anchor="end" fill="{OURS}">pysession</text>')
    out.append(f'<text x="{left + width - 4}" y="{top + 30}" font-size="11" text-anchor="end" fill="{MUTED}">raw BroadcastChannel</text>')
    return out


def write_chart(results: dict, path: Path) -> None:
    body = _ratio_bars(results["figures"]) + _curve(results["broadcast_curve"])
    caption = f"Chromium {results['chromium']}, {results['date']}; medians, warm-up excluded"
    body.append(f'<text x="20" y="{HEIGHT - 12}" font-size="10" fill="{MUTED}">{escape(caption)}</text>')
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'font-family="system-ui, sans-serif"><rect width="100%" height="100%" fill="#ffffff"/>{"".join(body)}</svg>\n'
    )
    path.write_text(svg)
