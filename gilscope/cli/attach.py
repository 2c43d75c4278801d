"""`gilscope attach PID`: profile a running process, then analyse and report exactly as `profile` does."""

from __future__ import annotations

from pathlib import Path

from gilscope.cli.profile import ProfileOptions


def run_attach(
    pid: int, options: ProfileOptions, duration_s: float | None, subprocesses: bool, python: str | None
) -> int:
    """Exit status as for `profile`: 0, 1 (the gate failed) or 2 (usage error, an output not written)."""
    from gilscope.cli import exits
    from gilscope.cli.config import resolve_profile
    from gilscope.cli.profile import _print_summary, _write_outputs, check_outputs, gate_exit, parse_severity
    from gilscope.collect.attach import AttachOptions, attach, inspect
    from gilscope.engine import load_rules
    from gilscope.errors import UsageError
    from gilscope.gcpause import paused_gc
    from gilscope.pipeline import analyse, collected

    options = resolve_profile(options)
    if options.engine not in ("auto", "sampler", "pyspy"):
        raise UsageError(
            f"--engine {options.engine!r}: attach uses auto (remote_exec on 3.14+, else py-spy) or pyspy"
        )
    check_outputs(options.outputs)
    threshold = parse_severity(options.fail_on)
    rules = load_rules([Path(d) for d in options.rule_dirs], ignore=options.ignore)
    baseline = None
    if options.baseline is not None:
        from gilscope.gate import load_report

        baseline = load_report(options.baseline)
    target = inspect(pid, python)
    outcome = attach(
        AttachOptions(
            pid=pid,
            duration_s=duration_s,
            interval_s=options.interval_s or 0.005,
            subprocesses=subprocesses,
            engine="pyspy" if options.engine == "pyspy" else "auto",
            python=python,
        ),
        target,
    )
    with paused_gc():
        profile, run, extra = collected(outcome, target.cmdline, "sampler")
        report = analyse(
            profile, run, rules, extra, min_share=options.min_share, max_hotspots=options.max_hotspots
        )
        written = _write_outputs(report, options, rules)
    if not options.quiet:
        _print_summary(report, options)
    from gilscope.outputs import emit_github

    emit_github(report)
    return gate_exit(report, threshold, baseline) if written else exits.USAGE
