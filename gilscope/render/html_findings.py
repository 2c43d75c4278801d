"""A finding in the HTML report: message, conditions and evidence, estimated gain, and the change to the
user's own code (never the rule's generic example: that is in the rule docs), linked to its hotspot."""

from __future__ import annotations

from html import escape

from gilscope.model import Finding, Report
from gilscope.render.base import clean, clean_block, finding_facts, user_change, where
from gilscope.render.flame import frame_id


def e(value: object) -> str:
    """Untrusted text, escaped for HTML text and attribute values."""
    return escape(clean(value), quote=True)


def _code(text: str, css: str = "") -> str:
    return f'<pre class="{css}"><code>{escape(clean_block(text))}</code></pre>'


def _diff(text: str) -> str:
    def line_class(line: str) -> str:
        if line.startswith(("+++", "---", "@@")):
            return "hunk"
        return {"+": "add", "-": "del"}.get(line[:1], "")

    lines = "\n".join(
        f'<span class="{line_class(ln)}">{escape(ln)}</span>' for ln in clean_block(text).splitlines()
    )
    return f'<pre class="diff"><code>{lines}</code></pre>'


def finding_html(f: Finding, report: Report, first: bool = False) -> str:
    """`first`: the most important finding, whose diff is shown open."""
    sev = f.severity.value
    links = []
    for i, h in enumerate(report.hotspots):
        if (h.file, h.function) == (f.file, f.function):
            links = [
                f'<a href="#{frame_id(h.file, h.function)}">in the flame graph</a>',
                f'<a href="#hotspot-{i}">hotspot row</a>',
            ]
            break
    out = [
        f'<article class="finding {sev}" id="finding-{e(f.fingerprint)}">',
        f'<h3><span class="sev">{sev}</span> {e(f.rule)} {e(f.title)}</h3>',
        f'<p class="meta"><code>{e(f.name)}</code> at <code>{e(where(f.file, f.line, report))}</code>'
        + (f" in <code>{e(f.function)}</code>" if f.function else "")
        + f" &middot; confidence {e(f.confidence)} &middot; strategy {e(f.strategy.value)}"
        + (" &middot; " + " &middot; ".join(links) if links else "")
        + "</p>",
        f"<p>{e(f.message)}</p>",
    ]
    if s := f.estimated_speedup:
        out.append(f"<p><strong>Estimated gain: {s.factor:.2f}x</strong> for the whole program</p>")
    more = [
        f'<ul class="facts">{"".join(f"<li>{e(line)}</li>" for line in finding_facts(f))}</ul>'
        if f.because or f.evidence
        else ""
    ]
    if s:
        more.append(
            f"<p>Estimate: <code>{e(s.formula)}</code>, assuming:</p><ul>"
            + "".join(f"<li>{e(a)}</li>" for a in s.assumptions)
            + "</ul>"
        )
    _, _, diff = user_change(f)
    if c := f.change_at:
        more.append(
            f"<p>Change at <code>{e(where(c.file, c.line, report))}</code>"
            + (f" in <code>{e(c.function)}</code>" if c.function else "")
            + "</p>"
        )
        if c.code and not diff:
            more.append(_code(c.code))
    if f.change_requires:
        out.append(
            '<p>No diff: the change is safe only if</p><ul class="requires">'
            + "".join(f"<li>{e(r)}</li>" for r in f.change_requires)
            + "</ul>"
        )
    if any(more):
        out.append(f"<details><summary>Evidence and assumptions</summary>\n{''.join(more)}\n</details>")
    if diff:
        out.append(
            f'<details class="change"{" open" if first else ""}><summary>Suggested change to your code'
            f"</summary>\n{_diff(diff)}\n</details>"
        )
    out.append("</article>")
    return "\n".join(out)
