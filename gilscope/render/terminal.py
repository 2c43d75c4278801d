"""The terminal report: run summary, hotspots with their time split, threads, findings, caveats (rich)."""
from __future__ import annotations

import textwrap
from io import StringIO

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from gilscope.model import Finding, Report, TimeSplit
from gilscope.render.base import (
    STATES, clean, clean_block, cores, percent, seconds, sorted_findings, value_text, where,
)

_SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
_KIND_STYLE = {"cpu": "magenta", "native": "blue", "io": "green", "gil": "red", "lock": "yellow", "mixed": "white"}


def _t(value: object, style: str = "") -> Text:
    """Untrusted text as a rich Text: never parsed as markup, control characters made visible."""
    return Text(clean(value), style=style)


def _say(out: Console, indent: int, value: object, style: str = "") -> None:
    """One line of untrusted text; wrapped lines hang two spaces deeper than the first."""
    text = textwrap.fill(clean(value), out.width, initial_indent=" " * indent, subsequent_indent=" " * (indent + 2),
                         break_on_hyphens=False)
    out.print(Text(text, style=style))


def split_text(split: TimeSplit) -> str:
    total = split.total_s
    if not total:
        return "-"
    parts = [(s, getattr(split, f"{s}_s")) for s in STATES]
    return " ".join(f"{name} {value / total * 100:.0f}%" for name, value in parts if value > 0)


def _summary(report: Report, out: Console) -> None:
    run = report.run
    gil = "GIL enabled" if run.gil_enabled else "GIL disabled"
    build = "free-threaded build" if run.free_threaded_build else "default build"
    out.print(Text.assemble(("gilscope report", "bold"), _t(f" {report.version}" if report.version else "")))
    out.print(_t("command: " + " ".join(run.argv)))
    out.print(_t(f"python: {run.implementation} {run.python_version} ({build}, {gil}) on {run.platform or '?'}"))
    out.print(_t(f"engine: {run.engine}, {run.samples} samples every {run.interval_s * 1000:g} ms"))
    exit_ = "not recorded" if run.exit_code is None else str(run.exit_code)
    out.print(_t(f"wall {seconds(run.wall_s)} s, cpu {seconds(run.cpu_s)} s, {cores(report):.2f} of "
                 f"{run.cpu_count} cores used, exit code {exit_}"))
    for label, value in (("exception", run.exception), ("interrupted", run.interrupted)):
        if value:
            out.print(_t(f"{label}: {value}", "red"))


def _hotspots(report: Report, out: Console) -> None:
    if not report.hotspots:
        out.print(Text("No hotspots."))
        out.print()
        return
    table = Table(title="Hotspots", title_justify="left", box=box.SIMPLE_HEAD, expand=False)
    for name, justify in (("function", "left"), ("file:line", "left"), ("kind", "left"), ("wall s", "right"),
                          ("cpu s", "right"), ("share", "right"), ("time split", "left")):
        table.add_column(name, justify=justify, overflow="fold", no_wrap=name != "function" and name != "file:line")
    for h in report.hotspots:
        table.add_row(_t(h.function, "bold"), _t(where(h.file, h.line, report)),
                      _t(h.kind.value, _KIND_STYLE[h.kind.value]), seconds(h.wall_s), seconds(h.cpu_s), f"{h.share * 100:.1f}%", _t(split_text(h.split)))
    out.print(table)
    for h in report.hotspots:
        if h.blockers:
            blockers = ", ".join(f"{k} {v:.3f} s" for k, v in sorted(h.blockers.items(), key=lambda kv: -kv[1]))
            out.print(_t(f"  {h.function} blocked in: {blockers}", "dim"))
    out.print()


def _threads(report: Report, out: Console) -> None:
    if not report.threads:
        return
    table = Table(title="Threads", title_justify="left", box=box.SIMPLE_HEAD)
    for name in ("thread", "role", "wall s", "cpu s", "GIL held", "GIL wait", "native", "idle"):
        text = name in ("thread", "role")
        table.add_column(name, justify="left" if text else "right", overflow="fold", no_wrap=not text)
    for t in report.threads:
        table.add_row(_t(t.name, "bold"), _t(t.role), seconds(t.wall_s), seconds(t.cpu_s),
                      *(_measured(v) for v in (t.gil_held, t.gil_wait, t.native)), percent(t.idle))
    out.print(table)


def _measured(value: float | None) -> Text:
    return Text(percent(value), style="dim" if value is None else "")


def _finding(f: Finding, report: Report, out: Console) -> None:
    sev = f.severity.value
    head = Text.assemble((f"{sev.upper():7}", _SEVERITY_STYLE[sev]), " ", (f.rule, "bold"), " ", _t(f.title))
    out.print(head)
    place = where(f.file, f.line, report)
    _say(out, 2, f"at {place}" + (f" in {f.function}" if f.function else "")
         + f" (confidence {f.confidence}, strategy {f.strategy.value})", "dim")
    _say(out, 2, f.message)
    for reason in f.because:
        _say(out, 4, f"because {reason}", "dim")
    for e in f.evidence:
        detail = f" {e.detail}" if e.detail else ""
        _say(out, 4, f"evidence: {e.metric} = {value_text(e.value)} ({e.source}){detail}", "dim")
    if f.estimated_speedup:
        s = f.estimated_speedup
        _say(out, 2, f"estimated speedup: {s.factor:.2f}x  ({s.formula})", "green")
        for a in s.assumptions:
            _say(out, 4, f"assumes {a}", "dim")
    if f.change_at:
        c = f.change_at
        _say(out, 2, f"change at {where(c.file, c.line, report)}" + (f" in {c.function}" if c.function else ""))
        if c.code:
            out.print(Text(_indent(clean_block(c.code.strip("\n"))), style="dim"))
    if f.diff:
        out.print(Text(_indent(clean_block(f.diff)), style="dim"))


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())


def render_text(report: Report, *, color: bool = False, width: int = 100) -> str:
    buf = StringIO()
    out = Console(file=buf, width=width, color_system="standard" if color else None, force_terminal=color,
                  highlight=False, emoji=False, markup=False, soft_wrap=False, legacy_windows=False)
    _summary(report, out)
    out.print()
    _hotspots(report, out)
    _threads(report, out)
    findings = sorted_findings(report)
    out.print(Text(f"Findings ({len(findings)})", style="bold"))
    if not findings:
        out.print(Text("  none"))
    for f in findings:
        _finding(f, report, out)
        out.print()
    if report.caveats:
        out.print(Text("Caveats", style="bold"))
        for c in report.caveats:
            _say(out, 2, f"- {c}", "yellow")
    return "\n".join(line.rstrip() for line in buf.getvalue().splitlines()) + "\n"
