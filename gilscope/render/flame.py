"""An icicle graph (a flame graph drawn top-down) of the profile's stacks, as inline SVG without script.

Each frame is as wide as the thread time spent in it and coloured by what its threads were doing there most
(cpu, native, io, gil, lock). The user's frames are drawn solid; each run of library frames is folded into one
greyed frame named after its innermost function. Frames too narrow to see are merged into "other", and the
depth is capped, so a big profile gives a picture of bounded size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from pathlib import PurePath

from gilscope.model import Profile, Report
from gilscope.render.base import STATES, clean
from gilscope.render.svg import COLORS, LABELS

WIDTH, ROW_H, FONT_PX, CHAR_PX = 1000, 20, 12, 7.0
MIN_FRACTION = 0.002  # frames under 0.2% of the total (2 px) are merged into "other"
MAX_DEPTH = 40
MAX_NODES = 1500


@dataclass
class Node:
    label: str
    detail: str  # the tooltip's first line: where the frame is
    user: bool
    key: tuple[str, str] | None  # (file, function) of a user frame: what hotspots and findings link to
    total: float = 0.0
    states: dict[str, float] = field(default_factory=dict)
    children: dict[object, Node] = field(default_factory=dict)

    def add(self, seconds: float, state: str) -> None:
        self.total += seconds
        self.states[state] = self.states.get(state, 0.0) + seconds

    @property
    def dominant(self) -> str:
        return max(self.states, key=lambda s: self.states[s]) if self.states else "cpu"


def frame_id(file: str, function: str) -> str:
    """The anchor of a function's widest frame in the flame graph (also used by findings and hotspots)."""
    text = f"{file}\x00{function}"
    return "flame-" + format(_fnv(text), "x")


def _fnv(text: str) -> int:
    h = 0xCBF29CE484222325
    for b in text.encode("utf-8", "backslashreplace"):
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def build_tree(profile: Profile) -> Node:
    root = Node(label="all threads", detail="every sampled thread", user=True, key=None)
    frames = profile.frames
    for stack in profile.stacks:
        if stack.wall_s <= 0:
            continue
        state = stack.state.value if hasattr(stack.state, "value") else str(stack.state)
        node = root
        node.add(stack.wall_s, state)
        for key, make in _path(stack.frames, frames):
            child = node.children.get(key)
            if child is None:
                child = node.children[key] = make()
            child.add(stack.wall_s, state)
            node = child
    return root


def _path(indexes: tuple[int, ...], frames: list) -> list[tuple[object, Callable[..., Node]]]:
    """(merge key, node factory) per displayed frame: user frames one by one, library runs folded."""
    out: list[tuple[object, Callable[..., Node]]] = []
    run: list = []

    def fold() -> None:
        if not run:
            return
        names = [clean(f.function) for f in run]
        inner = run[-1]
        label = names[-1] + (f" +{len(run) - 1}" if len(run) > 1 else "")
        shown = names if len(names) <= 6 else names[:2] + ["…"] + names[-3:]
        detail = f"library: {' → '.join(shown)} ({PurePath(clean(inner.file)).name})"
        key = ("lib",) + tuple((f.file, f.function) for f in run)
        out.append(
            (key, lambda label=label, detail=detail: Node(label=label, detail=detail, user=False, key=None))
        )
        run.clear()

    for i in indexes:
        if not 0 <= i < len(frames):
            continue
        f = frames[i]
        if not f.user:
            run.append(f)
            continue
        fold()
        detail = f"{clean(f.function)} ({clean(f.file)}:{f.line})"
        out.append(
            (
                (f.file, f.function, f.line),
                lambda f=f, detail=detail: Node(
                    label=clean(f.function), detail=detail, user=True, key=(f.file, f.function)
                ),
            )
        )
    fold()
    return out


@dataclass
class _Box:
    node: Node
    x: float
    w: float
    depth: int
    anchor: str = ""


def _layout(root: Node) -> list[_Box]:
    """Boxes in drawing order (breadth first, so the budget of MAX_NODES keeps the shallow, wide frames)."""
    total = root.total or 1.0
    boxes = [_Box(root, 0.0, float(WIDTH), 0)]
    queue = [boxes[0]]
    while queue and len(boxes) < MAX_NODES:
        parent = queue.pop(0)
        if parent.depth + 1 >= MAX_DEPTH:
            continue
        x = parent.x
        small = Node(label="other", detail="", user=False, key=None)
        merged = 0
        for child in sorted(parent.node.children.values(), key=lambda n: -n.total):
            if child.total / total < MIN_FRACTION:
                for s, v in child.states.items():
                    small.add(v, s)
                merged += 1
                continue
            box = _Box(child, x, child.total / total * WIDTH, parent.depth + 1)
            boxes.append(box)
            queue.append(box)
            x += box.w
            if len(boxes) >= MAX_NODES:
                break
        if merged and small.total / total >= MIN_FRACTION / 2:
            small.detail = f"{merged} frames each under {MIN_FRACTION:.1%} of the time, merged"
            small.label = f"other ({merged})"
            boxes.append(_Box(small, x, small.total / total * WIDTH, parent.depth + 1))
    return boxes


def _anchor(boxes: list[_Box], wanted: set[tuple[str, str]]) -> None:
    """Give each wanted function's widest frame its anchor id."""
    best: dict[tuple[str, str], _Box] = {}
    for b in boxes:
        k = b.node.key
        if k in wanted and (k not in best or b.w > best[k].w):
            best[k] = b
    for k, b in best.items():
        b.anchor = frame_id(*k)


def _tooltip(node: Node, total: float) -> str:
    parts = " · ".join(
        f"{LABELS[s]} {node.states[s] / node.total:.0%}"
        for s in (*STATES,)
        if node.states.get(s, 0) > 0 and node.total
    )
    return f"{node.detail}\n{node.total:.3f} s, {node.total / total:.1%} of all threads' time\n{parts}"


def flame_svg(report: Report) -> str:
    """The icicle graph of `report.profile`, or a note saying why there is none."""
    profile = report.profile
    if profile is None or not profile.stacks:
        return '<p class="muted">No flame graph: this report has no saved stacks.</p>'
    root = build_tree(profile)
    if root.total <= 0:
        return '<p class="muted">No flame graph: the stacks hold no time.</p>'
    boxes = _layout(root)
    _anchor(
        boxes,
        {(h.file, h.function) for h in report.hotspots} | {(f.file, f.function) for f in report.findings},
    )
    depth = max(b.depth for b in boxes) + 1
    height = depth * ROW_H
    title = "Flame graph (icicle): where the threads spent their time, outermost call at the top"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="flame" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'preserveAspectRatio="xMinYMin meet" aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for b in boxes:
        n = b.node
        y = b.depth * ROW_H
        css = "frame user" if n.user else "frame lib"
        ident = f' id="{b.anchor}"' if b.anchor else ""
        label = _fit(n.label, b.w)
        text = f'<text x="{b.x + 4:.1f}" y="{y + ROW_H - 6}">{escape(label)}</text>' if label else ""
        out.append(
            f'<g class="{css} {n.dominant}"{ident}><title>{escape(_tooltip(n, root.total))}</title>'
            f'<rect x="{b.x:.2f}" y="{y}" width="{max(b.w - 0.5, 0.5):.2f}" height="{ROW_H - 1}" '
            f'fill="{COLORS[n.dominant]}"/>{text}</g>'
        )
    out.append("</svg>")
    return "\n".join(out)


def _fit(label: str, width: float) -> str:
    chars = int((width - 6) / CHAR_PX)
    if chars < 3:
        return ""
    return label if len(label) <= chars else label[: chars - 1] + "…"
