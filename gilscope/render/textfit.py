"""Fitting text into terminal columns without splitting a word: shortened names and paths, word wrapping."""

from __future__ import annotations

from rich.cells import cell_len

from gilscope.render.base import clean, clean_block

ELLIPSIS = "…"
Segments = list[tuple[str, str]]  # (text, style) pieces of one line


def fit_end(text: str, width: int) -> str:
    """`text`, cut at the end with an ellipsis when it takes more than `width` cells."""
    if cell_len(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    out = ""
    for ch in text:
        if cell_len(out + ch) > width - 1:
            break
        out += ch
    return out + ELLIPSIS


def fit_middle(text: str, width: int) -> str:
    """`text` with its middle replaced by an ellipsis when it takes more than `width` cells (both ends kept)."""
    if cell_len(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    tail_w = (width - 1) // 2
    head = fit_end(text, width - tail_w).removesuffix(ELLIPSIS)
    tail = ""
    for ch in reversed(text):
        if cell_len(ch + tail) > width - 1 - cell_len(head):
            break
        tail = ch + tail
    return head + ELLIPSIS + tail


def fit_path(place: str, width: int) -> str:
    """A `dir/sub/file.py:12` location in `width` cells: folders are elided in the middle first, then the name."""
    if cell_len(place) <= width:
        return place
    folder, slash, name = place.rpartition("/")
    if slash and cell_len(name) + 2 <= width:
        return fit_middle(folder, width - cell_len(name) - 1) + "/" + name
    return fit_middle(place, width)


def fit_name(name: str, width: int) -> str:
    """A function's qualified name (`Class.method.<locals>.inner`) in `width` cells: its last part stays whole
    when it can."""
    if cell_len(name) <= width:
        return name
    outer, dot, last = name.rpartition(".")
    if dot and cell_len(last) + 2 <= width:
        return fit_end(outer, width - cell_len(last) - 1).removesuffix(ELLIPSIS) + ELLIPSIS + "." + last
    return fit_end(name, width)


NBSP = "\u00a0"  # joins words that must stay on one line ("gain ~1.44x"); printed as a space


def wrap(text: str, width: int, indent: int = 0, hang: int = 2, prefix: str = "") -> list[str]:
    """Lines of `text` filling `width` cells, broken only at spaces; the lines after the first are indented
    `hang` cells more than `indent`, and `prefix` starts the first one verbatim. A word longer than a whole line
    is shortened in its middle, never split."""
    lines: list[str] = []
    line = " " * indent + prefix
    empty = not prefix
    for word in (w for w in text.split(" ") if w):
        room = max(1, width - indent - (hang if lines or not empty else 0))
        if cell_len(word) > room:
            word = fit_middle(word, room)
        if not empty and cell_len(line) + 1 + cell_len(word) > width:
            lines.append(line)
            line, empty = " " * (indent + hang), True
        line = line + word if empty else line + " " + word
        empty = False
    lines.append(line)
    return [ln.replace(NBSP, " ") for ln in lines]


class Lines:
    """Lines of styled text, each already fitted to the width."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.lines: list[Segments] = []

    def add(self, *pieces: tuple[str, str] | str) -> None:
        self.lines.append([(p, "") if isinstance(p, str) else p for p in pieces])

    def wrapped(self, text: object, indent: int = 0, hang: int = 2, prefix: str = "") -> list[str]:
        return wrap(clean(text), self.width, indent, hang, prefix)

    def say(self, text: object, indent: int = 0, style: str = "", hang: int = 2) -> None:
        """Untrusted text, cleaned and wrapped at spaces."""
        for line in self.wrapped(text, indent, hang):
            self.add((line, style))

    def block(self, text: str, indent: int = 0, style: str = "") -> None:
        """Code or a diff: one line per line, cut with an ellipsis when longer than the width."""
        for line in clean_block(text).rstrip().splitlines():
            self.add((fit_end(" " * indent + line.rstrip(), self.width), _diff_style(line) or style))

    def blank(self) -> None:
        self.lines.append([])


def _diff_style(line: str) -> str:
    if line.startswith(("+++", "---", "@@")):
        return "dim"
    return {"+": "green", "-": "red"}.get(line[:1], "")
