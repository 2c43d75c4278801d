"""A tiny, safe Markdown-to-HTML converter for rule docs: headings, paragraphs, lists, code, bold, https links.

Everything is escaped first; only the constructs above are turned back into tags.
"""

from __future__ import annotations

import re
from html import escape

from gilscope.render.base import clean_block

_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_LINK = re.compile(r"\[([^\]]+)\]\((https://[^)\s]+)\)")
_HEADING = re.compile(r"(#{1,6})\s+(.*)")


def inline(text: str) -> str:
    text = escape(text)
    text = _CODE.sub(r"<code>\1</code>", text)
    text = _BOLD.sub(r"<strong>\1</strong>", text)
    return _LINK.sub(r'<a href="\2">\1</a>', text)


def markdown_to_html(markdown: str, *, base_level: int = 3) -> str:
    out: list[str] = []
    para: list[str] = []
    items: list[str] = []
    code: list[str] | None = None

    def flush() -> None:
        if para:
            out.append(f"<p>{inline(' '.join(para))}</p>")
            para.clear()
        if items:
            out.append("<ul>" + "".join(f"<li>{inline(i)}</li>" for i in items) + "</ul>")
            items.clear()

    for line in clean_block(markdown).splitlines():
        if line.lstrip().startswith("```"):
            if code is None:
                flush()
                code = []
            else:
                out.append("<pre><code>" + escape("\n".join(code)) + "</code></pre>")
                code = None
            continue
        if code is not None:
            code.append(line)
        elif m := _HEADING.match(line):
            flush()
            level = min(6, len(m.group(1)) + base_level - 1)
            out.append(f"<h{level}>{inline(m.group(2))}</h{level}>")
        elif line.lstrip().startswith(("- ", "* ")):
            if para:
                flush()
            items.append(line.lstrip()[2:])
        elif not line.strip():
            flush()
        elif items and line.startswith("  "):
            items[-1] += " " + line.strip()
        else:
            para.append(line.strip())
    if code is not None:
        out.append("<pre><code>" + escape("\n".join(code)) + "</code></pre>")
    flush()
    return "\n".join(out)
