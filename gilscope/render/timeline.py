"""A timeline per thread, as inline SVG without script: time on the x-axis, each thread's state in each
interval (from ThreadProfile.segments), a time axis and a legend.

Intervals are drawn at the resolution of the picture: each pixel column shows the state that filled most of
it (idle when the thread was mostly not sampled there), so thousands of segments stay a bounded picture while
turns at the GIL of a few milliseconds remain visible.
"""

from __future__ import annotations

import math
from html import escape

from gilscope.model import Profile, State, ThreadProfile
from gilscope.render.base import STATES, clean
from gilscope.render.svg import COLORS, LABELS, legend

LABEL_W, PLOT_W, ROW_H, BAR_H, AXIS_H = 200, 780, 22, 16, 28
MAX_ROWS = 40  # threads drawn; the rest are counted in a note


def _state(value: object) -> str:
    return value.value if hasattr(value, "value") else str(value)


def columns(thread: ThreadProfile, span: float, n: int = PLOT_W) -> list[str | None]:
    """The dominant state of each of `n` equal columns of [0, span], None where mostly idle."""
    per = span / n
    cover: list[dict[str, float]] = [{} for _ in range(n)]
    for start, end, state in thread.segments:
        s = _state(state)
        start, end = max(0.0, start), min(span, end)
        if end <= start:
            continue
        first, last = int(start / per), min(n - 1, int(end / per))
        for c in range(first, last + 1):
            overlap = min(end, (c + 1) * per) - max(start, c * per)
            if overlap > 0:
                cover[c][s] = cover[c].get(s, 0.0) + overlap
    out: list[str | None] = []
    for col in cover:
        if not col or sum(col.values()) < per / 2:
            out.append(None)
        else:
            out.append(max(col, key=lambda k: col[k]))
    return out


def _runs(cols: list[str | None]) -> list[tuple[int, int, str]]:
    runs: list[tuple[int, int, str]] = []
    for i, s in enumerate(cols):
        if s is None:
            continue
        if runs and runs[-1][2] == s and runs[-1][1] == i:
            runs[-1] = (runs[-1][0], i + 1, s)
        else:
            runs.append((i, i + 1, s))
    return runs


def nice_step(span: float, ticks: int = 8) -> float:
    raw = span / ticks
    mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    for m in (1, 2, 5, 10):
        if m * mag >= raw:
            return m * mag
    return 10 * mag


def _tick_label(t: float, step: float) -> str:
    digits = max(0, -math.floor(math.log10(step))) if step < 1 else 0
    return f"{t:.{digits}f} s"


def timeline_svg(profile: Profile | None) -> str:
    if profile is None:
        return '<p class="muted">No timeline: this report has no saved profile.</p>'
    threads = [t for t in profile.threads if t.segments]
    if not threads:
        return (
            f'<p class="muted">No timeline: the {escape(clean(profile.engine))} engine records no per-thread '
            "intervals (the default sampler does).</p>"
        )
    span = max([profile.wall_s] + [t.segments[-1][1] for t in threads]) or 1.0
    busiest = sorted(threads, key=lambda t: (not t.is_main, -(t.wall_s - t.states.get(State.io, 0.0))))[
        :MAX_ROWS
    ]
    shown = [t for t in threads if t in busiest]
    height = AXIS_H + ROW_H * len(shown) + 8
    width = LABEL_W + PLOT_W + 20
    title = "Timeline per thread: what each thread was doing, over the run"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" role="img" viewBox="0 0 {width} {height}" '
        f'preserveAspectRatio="xMinYMin meet" aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    out += _axis(span, len(shown))
    per = span / PLOT_W
    for row, t in enumerate(shown):
        y = AXIS_H + row * ROW_H
        name = clean(t.name)
        short = name if len(name) <= 26 else name[:12] + "…" + name[-13:]
        out.append(
            f'<g class="thread"><text class="label" x="{LABEL_W - 8}" y="{y + BAR_H - 3}" text-anchor="end">'
            f"<title>{escape(name)} (tid {t.tid})</title>{escape(short)}</text>"
            f'<rect class="lane" x="{LABEL_W}" y="{y}" width="{PLOT_W}" height="{BAR_H}"/>'
        )
        for a, b, s in _runs(columns(t, span)):
            tip = f"{name}: {LABELS[s]}, {a * per:.3f}–{b * per:.3f} s"
            out.append(
                f'<rect class="seg {s}" x="{LABEL_W + a}" y="{y}" width="{b - a}" height="{BAR_H}" '
                f'fill="{COLORS[s]}"><title>{escape(tip)}</title></rect>'
            )
        out.append("</g>")
    out.append("</svg>")
    note = ""
    if len(threads) > len(shown):
        note = (
            f'<p class="muted">The {len(shown)} busiest of {len(threads)} threads are drawn; the table below '
            "lists them all.</p>"
        )
    return "\n".join(out) + "\n" + legend((*STATES, "idle")) + note


def _axis(span: float, rows: int) -> list[str]:
    step = nice_step(span)
    bottom = AXIS_H + ROW_H * rows - (ROW_H - BAR_H)
    out = [
        f'<g class="axis"><line x1="{LABEL_W}" y1="{AXIS_H - 6}" x2="{LABEL_W + PLOT_W}" y2="{AXIS_H - 6}"/>'
    ]
    k = 0
    while k * step <= span * 1.0001:
        x = LABEL_W + k * step / span * PLOT_W
        out.append(
            f'<line class="grid" x1="{x:.1f}" y1="{AXIS_H - 10}" x2="{x:.1f}" y2="{bottom}"/>'
            f'<text x="{x:.1f}" y="{AXIS_H - 14}" text-anchor="middle">{_tick_label(k * step, step)}</text>'
        )
        k += 1
    out.append("</g>")
    return out
