"""Markdown for a PR comment or $GITHUB_STEP_SUMMARY: summary, top hotspots, findings with evidence and code."""

from __future__ import annotations

import re

from gilscope.model import Finding, Report
from gilscope.render.base import (
    clean,
    clean_block,
    cores,
    finding_facts,
    parallelism_text,
    seconds,
    sorted_findings,
    user_change,
    where,
)

TOP_HOTSPOTS = 10
_PUNCT = re.compile(r"([\\`*_\[\]|~])")


def md_text(value: object) -> str:
    """Untrusted text as inert Markdown: one line, no markup, no HTML."""
    text = clean(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _PUNCT.sub(r"\\\1", text)


def md_code(value: object, *, table: bool = False) -> str:
    """Untrusted text as an inline code span (safe inside a table cell when `table`)."""
    text = clean(value)
    ticks = "`" * (max((len(r) for r in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    span = f"{ticks}{pad}{text}{pad}{ticks}"
    return span.replace("|", "\\|") if table else span


def md_block(code: str, lang: str = "") -> str:
    """A fenced code block whose fence no line of `code` can close."""
    code = clean_block(code)
    longest = max((len(r) for r in re.findall("`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{code.rstrip()}\n{fence}"


def _counts(report: Report) -> str:
    n = len(report.findings)
    if not n:
        return "no findings"
    counts = [(sum(f.severity.value == s for f in report.findings), s) for s in ("error", "warning", "info")]
    parts = [f"{k} {s}{'s' if k > 1 and s != 'info' else ''}" for k, s in counts if k]
    return f"{n} finding{'s' if n != 1 else ''} ({', '.join(parts)})"


def _summary(report: Report) -> list[str]:
    run = report.run
    gil = "GIL enabled" if run.gil_enabled else "GIL disabled"
    build = ", free-threaded build" if run.free_threaded_build else ""
    exit_ = "not recorded" if run.exit_code is None else str(run.exit_code)
    return [
        f"## gilscope: {_counts(report)}",
        "",
        f"- **Command:** {md_code(' '.join(run.argv))}",
        f"- **Python:** {md_text(run.implementation)} {md_text(run.python_version)} ({gil}{build})",
        f"- **Time:** wall {seconds(run.wall_s)} s, cpu {seconds(run.cpu_s)} s, "
        f"{cores(report):.2f} of {run.cpu_count} cores used",
        *([f"- **Threads:** {md_text(parallelism_text(report))}"] if parallelism_text(report) else []),
        f"- **Engine:** {md_text(run.engine)}, {run.samples} samples; exit code {exit_}",
        *([f"- **Exception:** {md_text(run.exception)}"] if run.exception else []),
        *([f"- **Interrupted:** {md_text(run.interrupted)}"] if run.interrupted else []),
    ]


def _hotspots(report: Report) -> list[str]:
    if not report.hotspots:
        return []
    lines = [
        "",
        "### Top hotspots",
        "",
        "| # | function | file:line | kind | cpu / wall | share |",
        "|---:|---|---|---|---|---:|",
    ]
    for i, h in enumerate(report.hotspots[:TOP_HOTSPOTS], 1):
        lines.append(
            f"| {i} | {md_code(h.function, table=True)} | {md_code(where(h.file, h.line, report), table=True)}"
            f" | {h.kind.value} | {seconds(h.cpu_s)} s / {seconds(h.wall_s)} s | {h.share * 100:.1f}% |"
        )
    if len(report.hotspots) > TOP_HOTSPOTS:
        lines += ["", f"…and {len(report.hotspots) - TOP_HOTSPOTS} more in the full report."]
    return lines


def finding_markdown(f: Finding, report: Report) -> list[str]:
    loc = md_code(where(f.file, f.line, report)) + (f" in {md_code(f.function)}" if f.function else "")
    lines = [
        "",
        f"#### {f.severity.value}: {f.rule} {md_text(f.title)}",
        "",
        f"{md_code(f.name)} at {loc} (confidence {f.confidence}, strategy {f.strategy.value})",
        "",
        md_text(f.message),
    ]
    details = [f"- {md_text(line)}" for line in finding_facts(f)]
    if details:
        lines += ["", *details]
    if f.estimated_speedup:
        s = f.estimated_speedup
        lines += [
            "",
            f"**Estimated gain:** {s.factor:.2f}x for the whole program ({md_code(s.formula)}), assuming:",
            *(f"- {md_text(a)}" for a in s.assumptions),
        ]
    _, _, diff = user_change(f)  # the user's own code, never the rule docs' generic example
    if f.change_at:
        c = f.change_at
        lines += [
            "",
            f"**Change at** {md_code(where(c.file, c.line, report))}"
            + (f" in {md_code(c.function)}" if c.function else ""),
        ]
        if c.code and not diff:
            lines += ["", md_block(c.code, "python")]
    if f.change_requires:
        lines += [
            "",
            "**No diff:** the change is safe only if",
            "",
            *(f"- {md_text(r)}" for r in f.change_requires),
        ]
    if diff:
        lines += [
            "",
            "<details><summary>Suggested change to your code</summary>",
            "",
            md_block(diff, "diff"),
            "",
            "</details>",
        ]
    return lines


def render_markdown(report: Report) -> str:
    lines = _summary(report) + _hotspots(report)
    findings = sorted_findings(report)
    if findings:
        lines += ["", "### Findings"]
        for f in findings:
            lines += finding_markdown(f, report)
    if report.caveats:
        lines += ["", "### Caveats", "", *(f"- {md_text(c)}" for c in report.caveats)]
    return "\n".join(lines) + "\n"
