"""Inline SVG charts for the HTML report: one stacked horizontal bar per row, no script, no external loads."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from gilscope.render.base import STATES, clean

COLORS = {
    "cpu": "#E69F00",
    "native": "#56B4E9",
    "io": "#009E73",
    "gil": "#D55E00",
    "lock": "#CC79A7",
    "idle": "#C8C8C8",
}
LABELS = {
    "cpu": "Python (GIL held)",
    "native": "native (GIL released)",
    "io": "I/O",
    "gil": "waiting for the GIL",
    "lock": "waiting on a lock",
    "idle": "idle",
}
LABEL_W, BAR_W, VALUE_W, ROW_H, BAR_H, TOP = 240, 440, 80, 24, 16, 4


@dataclass(frozen=True)
class Bar:
    label: str
    parts: dict[str, float]  # state -> seconds, in STATES order (+ "idle")
    note: str = ""  # shown after the bar, e.g. "1.800 s"


def _short(text: str, limit: int = 30) -> str:
    text = clean(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def stacked_bars(bars: list[Bar], *, title: str, scale: float | None = None) -> str:
    """An accessible <svg>: one row per bar, a <rect> per non-zero part with a <title> tooltip."""
    total = scale or max((sum(b.parts.values()) for b in bars), default=0.0) or 1.0
    height = TOP * 2 + ROW_H * max(1, len(bars))
    width = LABEL_W + BAR_W + VALUE_W
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for row, bar in enumerate(bars):
        y = TOP + row * ROW_H
        out.append(
            f'<g class="row"><text x="{LABEL_W - 8}" y="{y + BAR_H - 3}" text-anchor="end">'
            f"<title>{escape(clean(bar.label))}</title>{escape(_short(bar.label))}</text>"
        )
        x = float(LABEL_W)
        for state in (*STATES, "idle"):
            seconds = bar.parts.get(state, 0.0)
            if seconds <= 0:
                continue
            w = seconds / total * BAR_W
            out.append(
                f'<rect class="part {state}" x="{x:.1f}" y="{y}" width="{max(w, 0.5):.1f}" height="{BAR_H}" '
                f'fill="{COLORS[state]}"><title>{escape(LABELS[state])}: {seconds:.3f} s</title></rect>'
            )
            x += w
        out.append(f'<text class="value" x="{x + 6:.1f}" y="{y + BAR_H - 3}">{escape(bar.note)}</text></g>')
    out.append("</svg>")
    return "\n".join(out)


def legend(states: tuple[str, ...] = (*STATES, "idle")) -> str:
    items = "".join(
        f'<li><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" '
        f'fill="{COLORS[s]}"/></svg> {escape(LABELS[s])}</li>'
        for s in states
    )
    return f'<ul class="legend">{items}</ul>'
