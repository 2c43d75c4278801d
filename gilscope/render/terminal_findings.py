"""A finding in the terminal: one line (severity, rule, location, message, estimated gain), and with -v its
conditions and evidence (each fact once), the gain's assumptions and the change to the user's code."""

from __future__ import annotations

from gilscope.model import Finding, Report
from gilscope.render.base import clean, finding_facts, user_change, where
from gilscope.render.textfit import NBSP, Lines, fit_path

SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
DETAIL_INDENT = 8  # verbose details sit under the message, after the severity column


def finding_line(f: Finding, report: Report, out: Lines) -> None:
    sev = f.severity.value
    place = fit_path(clean(where(f.file, f.line, report)), max(20, out.width // 3))
    gain = f" gain{NBSP}~{f.estimated_speedup.factor:.2f}x" if f.estimated_speedup else ""
    prefix = f"{sev.upper():7} {clean(f.rule)} {place} "
    lines = out.wrapped(f" {clean(f.message)}{gain}", 0, DETAIL_INDENT, prefix)
    first, rest = lines[0], lines[1:]
    head = len(f"{sev.upper():7} {clean(f.rule)}")
    out.add((first[:7], SEVERITY_STYLE[sev]), (first[7:head], "bold"), first[head:])
    for line in rest:
        out.add(line)


def finding_details(f: Finding, report: Report, out: Lines) -> None:
    pad = DETAIL_INDENT
    at = f" in {f.function}" if f.function else ""
    out.say(f"{f.title} ({f.name}{at}; confidence {f.confidence}, strategy {f.strategy.value})", pad, "dim")
    for line in finding_facts(f):
        out.say(line, pad, "dim")
    if s := f.estimated_speedup:
        out.say(f"estimated {s.factor:.2f}x = {s.formula}", pad, "green")
        for a in s.assumptions:
            out.say(f"assumes {a}", pad + 2, "dim")
    _, _, diff = user_change(f)
    if c := f.change_at:
        out.say(
            f"change at {where(c.file, c.line, report)}" + (f" in {c.function}" if c.function else ""), pad
        )
        if c.code and not diff:
            out.block(c.code.strip("\n"), pad, "dim")
    if f.change_requires:
        out.say("no diff: the change is safe only if", pad)
        for need in f.change_requires:
            out.say(f"- {need}", pad + 2)
    if diff:
        out.block(diff, pad)
