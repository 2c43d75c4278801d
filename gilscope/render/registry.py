"""The renderers' front door: render(report, fmt) -> str through RENDERERS, one entry per Format.

It sits above the renderer modules, and base.py (their shared helpers) below them, so no renderer imports
the module that imports it. A renderer is imported the first time its format is asked for (the HTML and
terminal ones cost tens of milliseconds), so `gilscope profile --json` never loads rich.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterable
from dataclasses import is_dataclass
from typing import Any

from gilscope.formats import Format
from gilscope.gcpause import without_gc
from gilscope.model import Report
from gilscope.render.base import RenderOptions, json_report


def _text(report: Report, opts: RenderOptions, rules: Iterable[Any] | None, root: Any) -> str:
    from gilscope.render.terminal import render_text

    return render_text(report, options=opts)


def _markdown(report: Report, opts: RenderOptions, rules: Iterable[Any] | None, root: Any) -> str:
    from gilscope.render.markdown import render_markdown

    return render_markdown(report)


def _html(report: Report, opts: RenderOptions, rules: Iterable[Any] | None, root: Any) -> str:
    from gilscope.render.html import render_html

    return render_html(report, rules=rules)


def _sarif(report: Report, opts: RenderOptions, rules: Iterable[Any] | None, root: Any) -> str:
    from gilscope.render.sarif import render_sarif

    return render_sarif(report, rules=rules, root=root)


def _speedscope(report: Report, opts: RenderOptions, rules: Iterable[Any] | None, root: Any) -> str:
    from gilscope.render.speedscope import render_speedscope

    return render_speedscope(report)


def _json(report: Report, opts: RenderOptions, rules: Iterable[Any] | None, root: Any) -> str:
    return json_report(report)


# Format -> its renderer: (report, options, rules, root) -> str. A new format is a Format member, a module
# with its render function, and a line here.
RENDERERS: dict[Format, Callable[[Report, RenderOptions, Iterable[Any] | None, Any], str]] = {
    Format.text: _text,
    Format.md: _markdown,
    Format.html: _html,
    Format.sarif: _sarif,
    Format.speedscope: _speedscope,
    Format.json: _json,
}
assert set(RENDERERS) == set(Format)

# Format -> the module its renderer above imports (JSON needs none beyond base.py).
MODULES = {
    Format.text: "gilscope.render.terminal",
    Format.md: "gilscope.render.markdown",
    Format.html: "gilscope.render.html",
    Format.sarif: "gilscope.render.sarif",
    Format.speedscope: "gilscope.render.speedscope",
}


def preload(formats: Iterable[Format | str]) -> None:
    """Import the renderers of `formats` now (while a target runs) instead of at their first render."""
    for fmt in formats:
        module = MODULES.get(Format(fmt))
        if module is not None:
            importlib.import_module(module)


@without_gc
def render(
    report: Report,
    fmt: Format | str,
    *,
    color: bool = False,
    width: int = 100,
    rules: Iterable[Any] | None = None,
    root: str | os.PathLike[str] | None = None,
    options: RenderOptions | None = None,
) -> str:
    """Render `report` as `fmt`.

    `rules` (engine Rules or RuleDocs) feed SARIF descriptors and HTML rule docs; `root` makes SARIF paths relative.
    `options` (verbosity, thread rows, width, colour) wins over `color` and `width`.
    """
    opts = options or RenderOptions(color=color, width=width)
    try:
        text = _render(report, fmt, opts, rules=rules, root=root)
        _check_utf8(text)
        return text
    except UnicodeEncodeError:
        # lone surrogates (a non-UTF-8 argv or path, an odd thread name) cannot be written as UTF-8: escape them
        return _render(encodable(report), fmt, opts, rules=rules, root=root)


def _check_utf8(text: str, chunk: int = 1 << 20) -> None:
    """Raise UnicodeEncodeError if `text` cannot be written as UTF-8; in slices, so that a report of hundreds
    of megabytes is not copied whole."""
    if text.isascii():
        return
    for start in range(0, len(text), chunk):
        text[start : start + chunk].encode("utf-8")


def encodable(report: Report) -> Report:
    """A copy of `report` in which every string encodes as UTF-8: lone surrogates become `\\udcff` escapes."""

    def fix(value: Any) -> Any:
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return value.encode("utf-8", "backslashreplace").decode("utf-8")
            return value
        if isinstance(value, dict):
            return {fix(k): fix(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(fix(v) for v in value)
        if is_dataclass(value) and not isinstance(value, type):
            return type(value)(**{name: fix(field) for name, field in vars(value).items()})
        return value

    return fix(report)


def _render(
    report: Report,
    fmt: Format | str,
    opts: RenderOptions,
    *,
    rules: Iterable[Any] | None,
    root: str | os.PathLike[str] | None,
) -> str:
    return RENDERERS[Format(fmt)](report, opts, rules, root)
