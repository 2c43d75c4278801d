"""One self-contained HTML file: charts as inline SVG, no script, no network; the report JSON embedded as data."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from importlib.resources import files
from pathlib import PurePath
from string import Template
from typing import Any

from gilscope.model import Report, dumps
from gilscope.render.base import (
    STATES,
    cores,
    parallelism_text,
    percent,
    rule_docs,
    seconds,
    sorted_findings,
    where,
)
from gilscope.render.flame import flame_svg, frame_id
from gilscope.render.html_findings import e, finding_html
from gilscope.render.mdhtml import markdown_to_html
from gilscope.render.svg import Bar, legend, stacked_bars
from gilscope.render.timeline import timeline_svg

EMBED_MAX_STACKS = 20_000  # a long run's profile can have hundreds of thousands; the JSON report has them all


def embed_json(report: Report) -> str:
    """The report as JSON safe inside <script>: ASCII only, and `<`, `>`, `&` as \\u escapes (so no `</`).

    Serialised straight to JSON text (as --json writes it, compact): building the Python dicts of a profile
    with hundreds of thousands of stacks first would take seconds and hundreds of megabytes."""
    text = dumps(embedded_report(report))
    if not text.isascii():
        text = _NON_ASCII.sub(_json_escape, text)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def embedded_report(report: Report) -> Report:
    """`report`, with at most EMBED_MAX_STACKS of its profile's stacks: the heaviest (by wall time), in their
    order, and a note in profile.notes saying what was left out."""
    profile = report.profile
    if profile is None or len(profile.stacks) <= EMBED_MAX_STACKS:
        return report
    stacks = profile.stacks
    heaviest = sorted(range(len(stacks)), key=lambda i: -stacks[i].wall_s)[:EMBED_MAX_STACKS]
    kept = [stacks[i] for i in sorted(heaviest)]
    total = sum(s.wall_s for s in stacks) or 1.0
    note = (
        f"this HTML report embeds the {len(kept):,} heaviest of the profile's {len(stacks):,} stacks "
        f"({sum(s.wall_s for s in kept) / total:.1%} of their wall time); the JSON report (--json) has them all"
    )
    trimmed = replace(profile, stacks=kept, notes=[*profile.notes, note])
    return replace(report, profile=trimmed)


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _json_escape(match: re.Match) -> str:
    """A non-ASCII character as JSON's \\uXXXX escape (a surrogate pair above U+FFFF), like json's ensure_ascii."""
    code = ord(match.group())
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 | (code >> 10):04x}\\u{0xDC00 | (code & 0x3FF):04x}"


def _run(report: Report) -> str:
    r = report.run
    rows = [
        ("command", f"<code>{e(' '.join(r.argv))}</code>"),
        (
            "python",
            e(
                f"{r.implementation} {r.python_version} ({'GIL enabled' if r.gil_enabled else 'GIL disabled'}"
                f"{', free-threaded build' if r.free_threaded_build else ''})"
            ),
        ),
        ("platform", e(r.platform or "?")),
        ("engine", e(f"{r.engine}, {r.samples} samples every {r.interval_s * 1000:g} ms")),
        (
            "time",
            e(
                f"wall {seconds(r.wall_s)} s, cpu {seconds(r.cpu_s)} s, "
                f"{cores(report):.2f} of {r.cpu_count} cores"
            ),
        ),
        ("exit code", e("not recorded" if r.exit_code is None else r.exit_code)),
    ]
    optional = (("exception", r.exception), ("interrupted", r.interrupted), ("started", r.started_at))
    rows += [(k, e(v)) for k, v in optional if v]
    return '<dl class="run">' + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows) + "</dl>"


def _parts(split: Any) -> dict[str, float]:
    return {s: getattr(split, f"{s}_s") for s in STATES}


def _hotspots(report: Report) -> str:
    if not report.hotspots:
        return '<p class="muted">No hotspots.</p>'
    bars = [
        Bar(f"{h.function} ({PurePath(h.file).name}:{h.line})", _parts(h.split), f"{seconds(h.wall_s)} s")
        for h in report.hotspots
    ]
    chart = stacked_bars(bars, title="Wall seconds per hotspot, by what the threads were doing")
    head = "".join(
        f'<th class="{"num" if n in ("wall s", "cpu s", "share") else ""}">{n}</th>'
        for n in ("function", "file:line", "kind", "wall s", "cpu s", "share", *STATES)
    )
    rows = "".join(
        f'<tr id="hotspot-{i}"><td class="mono"><a href="#{frame_id(h.file, h.function)}">{e(h.function)}</a></td>'
        f'<td class="mono">{e(where(h.file, h.line, report))}</td>'
        f"<td>{h.kind.value}</td><td class=num>{seconds(h.wall_s)}</td><td class=num>{seconds(h.cpu_s)}</td>"
        f"<td class=num>{h.share * 100:.1f}%</td>"
        + "".join(f"<td class=num>{getattr(h.split, f'{s}_s'):.3f}</td>" for s in STATES)
        + "</tr>"
        for i, h in enumerate(report.hotspots)
    )
    return f"{chart}\n{legend(STATES)}\n<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _threads(report: Report) -> str:
    if not report.threads:
        return '<p class="muted">No thread data.</p>'
    rows = "".join(
        f'<tr><td class="mono">{e(t.name)}</td><td>{e(t.role)}</td><td class=num>{seconds(t.wall_s)}</td>'
        f"<td class=num>{seconds(t.cpu_s)}</td>"
        + "".join(f"<td class=num>{percent(v)}</td>" for v in (t.gil_held, t.gil_wait, t.native, t.idle))
        + "</tr>"
        for t in report.threads
    )
    names = ("thread", "role", "wall s", "cpu s", "GIL held", "GIL wait", "native", "idle")
    head = "".join(f"<th>{n}</th>" for n in names)
    scaling = f"<p>{e(parallelism_text(report))}</p>" if parallelism_text(report) else ""
    return f"{scaling}<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _rules(report: Report, rules: Iterable[Any] | None) -> str:
    fired = {f.rule for f in report.findings}
    docs = [d for d in rule_docs(rules, report.findings) if d.id in fired]
    if not docs:
        return '<p class="muted">No rules fired.</p>'
    return "\n".join(
        f'<details id="rule-{e(d.id)}"><summary><strong>{e(d.id)}</strong> {e(d.name)}: {e(d.title)}'
        f"</summary>\n{markdown_to_html(d.markdown)}\n</details>"
        for d in docs
    )


def render_html(report: Report, *, rules: Iterable[Any] | None = None) -> str:
    template = Template(
        files("gilscope.render").joinpath("templates/report.html").read_text(encoding="utf-8")
    )
    findings = sorted_findings(report)
    caveats = "".join(f"<li>{e(c)}</li>" for c in report.caveats)
    n = len(findings)
    return template.substitute(
        title=e(f"gilscope: {' '.join(report.run.argv) or 'report'}"),
        subtitle=e(
            f"{n} finding{'s' if n != 1 else ''}, {len(report.hotspots)} hotspots, "
            f"gilscope {report.version or '?'}"
        ),
        run=_run(report),
        hotspots=_hotspots(report),
        flame=flame_svg(report),
        flame_legend=legend(STATES),
        timeline=timeline_svg(report.profile),
        threads=_threads(report),
        findings="\n".join(finding_html(f, report, i == 0) for i, f in enumerate(findings))
        or '<p class="muted">No findings.</p>',
        caveats=f'<ul class="caveats">{caveats}</ul>' if caveats else '<p class="muted">None.</p>',
        rules=_rules(report, rules),
        report_json=embed_json(report),
    )
