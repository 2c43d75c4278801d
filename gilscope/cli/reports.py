"""Commands that work on saved reports: `report` (re-render), `check` (gate on findings), `diff` (two runs)."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from gilscope.cli import exits
from gilscope.errors import GilscopeError, UsageError
from gilscope.formats import Format

if (
    TYPE_CHECKING
):  # pydantic-backed modules are imported inside the commands, so `gilscope --help` starts fast
    from gilscope.gate import DiffResult, HotspotChange
    from gilscope.model import Severity

F = TypeVar("F", bound=Callable[..., Any])


class FailOn(StrEnum):
    never = "never"
    info = "info"
    warning = "warning"
    error = "error"

    def severity(self) -> Severity | None:
        from gilscope.model import Severity

        return None if self is FailOn.never else Severity(self.value)


def domain_errors(func: F) -> F:
    """GilscopeError -> `gilscope: error: <msg>` on stderr and exit 2 (never a traceback)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except GilscopeError as exc:
            exits.print_error(exc)
            raise typer.Exit(exits.code_for(exc)) from None

    return wrapper  # type: ignore[return-value]


def load_rules(config: Path | None = None) -> list[Any] | None:
    """The engine's rules (with [tool.gilscope] rules and ignore) for SARIF descriptors and HTML rule docs, or
    None when the engine is not there."""
    try:
        from gilscope.engine import load_rules as engine_load_rules
    except ImportError:
        return None
    from gilscope.cli.config import load_config

    cfg = load_config(config)
    return list(engine_load_rules(cfg.rule_dirs, ignore=cfg.ignore))


ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        help="Read [tool.gilscope] from this file instead of the nearest pyproject.toml.", show_default=False
    ),
]


ReportArg = Annotated[
    Path,
    typer.Argument(
        help="A JSON report written by `gilscope profile --json`.", metavar="REPORT.json", show_default=False
    ),
]


@domain_errors
def report_command(
    report: ReportArg,
    format: Annotated[
        Format | None,
        typer.Option(
            "--format",
            "-f",
            help="Output format (default: from the -o extension, else text).",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write here (atomically) instead of stdout.", show_default=False),
    ] = None,
    width: Annotated[int, typer.Option(help="Text width for --format text.", min=40)] = 100,
    color: Annotated[
        bool | None,
        typer.Option(
            "--color/--no-color",
            help="Colour text output (default: when stdout is a terminal and NO_COLOR is unset).",
            show_default=False,
        ),
    ] = None,
    root: Annotated[
        Path | None,
        typer.Option(
            help="Make SARIF and annotation paths relative to this folder (default: the current folder).",
            show_default=False,
        ),
    ] = None,
    config: ConfigOpt = None,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose",
            "-v",
            help="Text: every hotspot, each finding's conditions, evidence and assumptions, and every diff.",
        ),
    ] = False,
    threads: Annotated[
        bool, typer.Option("--threads", help="Text: list threads one by one (default: grouped).")
    ] = False,
) -> None:
    """Re-render a saved report without running the target again."""
    from gilscope.gate import load_report
    from gilscope.outputs import write_atomic
    from gilscope.render import RenderOptions, guess_format, render

    data = load_report(report)
    fmt = format or (guess_format(output) if output else Format.text)
    if fmt is None:
        raise UsageError(f"cannot tell the format from the name {output}; pass --format")
    if color is None:
        color = output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    rules = load_rules(config) if fmt in (Format.sarif, Format.html) else None
    options = RenderOptions(color=color, width=width, verbose=verbose, threads=threads)
    text = render(data, fmt, rules=rules, root=root, options=options)
    if output is None:
        typer.echo(text, nl=False)
    else:
        write_atomic(output, text)
        typer.echo(f"gilscope: wrote {output} ({fmt.value})", err=True)


@domain_errors
def check_command(
    report: ReportArg,
    fail_on: Annotated[
        FailOn | None,
        typer.Option(
            help="Exit 1 when a finding at or above this severity is new "
            "(default: [tool.gilscope] fail-on, else warning).",
            show_default=False,
        ),
    ] = None,
    baseline: Annotated[
        Path | None,
        typer.Option(
            help="An older report: its findings (matched by fingerprint) do not count.",
            metavar="OLD.json",
            show_default=False,
        ),
    ] = None,
    root: Annotated[
        Path | None, typer.Option(help="Make annotation paths relative to this folder.", show_default=False)
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Gate CI on a saved report's findings: exit 0 if none count, 1 if some do, 2 on errors.

    [tool.gilscope] fail-on, baseline and ignore apply; the options given here win."""
    from gilscope.cli.config import load_config
    from gilscope.gate import gate, load_report
    from gilscope.outputs import emit_github
    from gilscope.render.base import clean, where

    cfg = load_config(config)
    fail_on = fail_on or FailOn(cfg.value("fail_on") or FailOn.warning.value)
    baseline = baseline or cfg.path("baseline")
    data = load_report(report)
    if cfg.ignore:
        skip = set(cfg.ignore)
        data = replace(data, findings=[f for f in data.findings if f.rule not in skip and f.name not in skip])
    old = load_report(baseline) if baseline is not None else None
    code, counted = gate(data, fail_on.severity(), old)
    for f in counted:
        typer.echo(f"{clean(where(f.file, f.line, data))}: {f.severity.value} {f.rule} {clean(f.message)}")
    scope = "new " if old is not None else ""
    level = "" if fail_on is FailOn.never else f" at or above {fail_on.value}"
    others = len(data.findings) - len(counted)
    skipped = f"; {others} other finding{'s' if others != 1 else ''} ignored" if others else ""
    verdict = "FAIL" if code else "OK"
    typer.echo(
        f"gilscope check: {verdict}: {len(counted)} {scope}finding{'s' if len(counted) != 1 else ''}"
        f"{level}{skipped}"
    )
    emit_github(replace(data, findings=counted), root=root)
    raise typer.Exit(code)


def _row(c: HotspotChange) -> str:
    from gilscope.render.base import clean

    h = c.new or c.old
    assert h is not None
    name = clean(f"{c.key[1]} ({c.key[0]})")
    if c.old and c.new:
        return (
            f"  {name}: wall {c.old.wall_s:.3f} -> {c.new.wall_s:.3f} s ({c.wall_pct:+.1f}%), "
            f"share {c.old.share * 100:.1f}% -> {c.new.share * 100:.1f}% ({c.share_pct:+.1f}%)"
            + (f", kind {c.old.kind.value} -> {c.new.kind.value}" if c.kind_changed else "")
            + ("  REGRESSION" if c.exceeds else "")
        )
    grew = (
        "" if c.regression_pct == float("inf") else f" (+{c.regression_pct:.1f}% of the old run's wall time)"
    )
    return f"  {name}: {h.kind.value}, wall {h.wall_s:.3f} s, share {h.share * 100:.1f}%" + (
        f"{grew}  REGRESSION" if c.exceeds else ""
    )


def format_diff(result: DiffResult) -> str:
    lines = [f"run wall time: {result.old_wall_s:.3f} -> {result.new_wall_s:.3f} s"]
    for title, changes in (
        ("slower", result.slower),
        ("new hotspots", result.new),
        ("kind changed", result.kind_changed),
        ("faster", result.faster),
        ("gone", result.gone),
    ):
        if changes:
            lines += [f"{title}:", *(_row(c) for c in changes)]
    n = len(result.regressions)
    lines.append(
        f"gilscope diff: FAIL: {n} hotspot{'s' if n != 1 else ''} slower by more than "
        f"{result.max_regression_pct:g}%"
        if n
        else f"gilscope diff: OK: no hotspot slower by more than {result.max_regression_pct:g}%"
    )
    return "\n".join(lines) + "\n"


@domain_errors
def diff_command(
    old: Annotated[Path, typer.Argument(help="The earlier report.", metavar="OLD.json", show_default=False)],
    new: Annotated[Path, typer.Argument(help="The later report.", metavar="NEW.json", show_default=False)],
    max_regression: Annotated[
        float,
        typer.Option(
            help="Exit 1 when a hotspot's wall time or share grew by more than this many percent.",
            metavar="PCT",
            min=0,
        ),
    ] = 10.0,
) -> None:
    """Compare two reports' hotspots: what got slower, what is new, what changed kind."""
    from gilscope.gate import diff, load_report

    result = diff(load_report(old), load_report(new), max_regression)
    typer.echo(format_diff(result), nl=False)
    raise typer.Exit(result.exit_code)


def register(app: typer.Typer) -> None:
    """Add `report`, `check` and `diff` to the gilscope app."""
    app.command("report")(report_command)
    app.command("check")(check_command)
    app.command("diff")(diff_command)
