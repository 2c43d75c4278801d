"""collect -> analysis -> evaluate rules -> advice -> triage -> Report: `gilscope profile` without the command line.

`run(RunOptions([...]))` runs a target and returns its Report (a library call: no config file, no output
file, no terminal). The CLI (gilscope/cli/) calls the same steps: collected() and analyse(). Not pure: run_info
reads the clock, the working folder and this process's CPU time.
"""

import os
import platform
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from gilscope import __version__
from gilscope.analysis import classify, parallelism, summarize_threads
from gilscope.analysis.facts import hotspot_facts, run_context, run_facts
from gilscope.analysis.thresholds import SHORT_RUN_S, SHORT_RUN_SAMPLES
from gilscope.collect.launch import Outcome
from gilscope.model import Profile, Report, RunInfo


def run_info(outcome: Outcome, argv: list[str], engine: str, duration: bool = False) -> RunInfo:
    """`duration`: the stop at the time limit was --duration's plan, not a --timeout."""
    main = next((d for d in outcome.data if d.get("role") == "main"), {})
    exit_code = main.get("exit_code")
    if exit_code is None or (outcome.interrupted and outcome.returncode != 0):
        exit_code = outcome.returncode
    interrupted = outcome.interrupted or main.get("interrupted")
    if duration and outcome.interrupted == "timeout":
        interrupted = "duration"
    return RunInfo(
        argv=argv,
        python_version=main.get("python") or platform.python_version(),
        implementation=main.get("implementation") or platform.python_implementation(),  # the target's
        gil_enabled=bool(main.get("gil_enabled", True)),
        free_threaded_build=bool(main.get("free_threaded", False)),
        cpu_count=int(main.get("cpu_count") or os.cpu_count() or 1),
        wall_s=round(main.get("wall_s") or outcome.wall_s, 6),
        cpu_s=round(sum(d.get("cpu_s", 0.0) for d in outcome.data), 6),
        exit_code=exit_code,
        exception=main.get("exception"),
        engine=engine,
        samples=int(main.get("samples", 0)) or sum(int(d.get("samples", 0)) for d in outcome.data),
        interval_s=float(main.get("interval_s", 0.0)),
        interrupted=interrupted,
        cwd=os.getcwd(),
        platform=f"{sys.platform}-{platform.machine()}",
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        other_load_cores=other_load(main, outcome),
    )


def other_load(main: dict, outcome: Outcome) -> float | None:
    """Cores other work kept busy during the run: the machine's CPU seconds over the run (the agent reads
    /proc/stat at the target's start and end) less the run's own (every process of the target, and this one,
    which imports and prepares while the target runs), per second of the run."""
    busy, wall = main.get("machine_busy_s"), main.get("wall_s") or outcome.wall_s
    if busy is None or not wall:
        return None
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    ours = sum(d.get("cpu_s", 0.0) for d in outcome.data) + own.ru_utime + own.ru_stime
    return round(max(0.0, busy - ours) / wall, 3)


def analyse(
    profile: Profile | None,
    run: RunInfo,
    rules,
    extra_caveats: Sequence[str] = (),
    min_share: float | None = None,
    max_hotspots: int | None = None,
) -> Report:
    hotspots = classify(profile, min_share, max_hotspots) if profile else []
    threads = summarize_threads(profile) if profile else []
    context = run_context(profile, hotspots)  # what the hotspots' facts share, in one pass each
    facts = [hotspot_facts(h, run, profile, threads, context) for h in hotspots]
    facts.append(run_facts(run, profile, threads, context))
    from gilscope.engine import evaluate_rules, triage

    findings = evaluate_rules(rules, facts)
    from gilscope.advice import enrich  # the construct to change in the user's source, and the change

    findings = enrich(findings, hotspots, profile, facts)
    findings = triage(findings, facts)  # the engine's last word: severity where acting would not pay, order
    return Report(
        version=__version__,
        run=run,
        hotspots=hotspots,
        findings=findings,
        threads=threads,
        parallelism=parallelism(threads, run, facts[-1].machine_busy),
        caveats=caveats(profile, run, list(extra_caveats)),
        profile=profile,
    )


def caveats(profile: Profile | None, run: RunInfo, extra: list[str]) -> list[str]:
    out = list(extra)
    if profile is not None:
        out.extend(profile.notes)
        if profile.interval_s and (run.samples < SHORT_RUN_SAMPLES or run.wall_s < SHORT_RUN_S):
            out.append(
                f"short run: {run.samples} samples over {run.wall_s:.2f} s; shares and kinds are rough, "
                "profile a longer run to trust them"
            )
        if profile.rounds and profile.samples and profile.rounds < 0.5 * profile.samples:
            why = (
                "threads held the GIL for long stretches (C code, or threads queuing for it)"
                if run.gil_enabled
                else "each read stops every thread (free-threaded build), so they are spaced out"
            )
            out.append(
                f"the sampler could read the stacks only {profile.rounds} times in {profile.samples} intervals: "
                f"{why}, and each read's time went to the stacks it found then; the time split per thread is "
                "measured, the stacks within a stretch are not"
            )
        from gilscope.analysis.facts import busy_facts

        busy = busy_facts(profile, run)
        if busy["machine_busy"]:
            others = (
                f" (other processes kept {run.other_load_cores:.1f} of {run.cpu_count} cores busy)"
                if run.other_load_cores is not None
                else ""
            )
            out.append(
                f"the machine was busy: {busy['core_wait_share']:.0%} of the time threads were runnable they "
                f"waited for a core{others}; CPU and parallelism advice is withheld, profile on a quieter "
                "machine"
            )
        if not profile.gil_measured:
            out.append(
                "GIL holding and waiting were not measured "
                + ("(free-threaded build: there is no GIL)" if not run.gil_enabled else "by this engine")
            )
    if run.interrupted == "duration":
        out.append(f"profiled for {run.wall_s:.1f} s as --duration asked, then the target was stopped")
    elif run.interrupted:
        out.append(f"the run was cut short ({run.interrupted}): this is a partial profile")
    if run.exit_code not in (0, None) and run.interrupted != "duration":
        out.append(
            f"the target exited with status {run.exit_code}"
            + (f" ({run.exception})" if run.exception else "")
        )
    return out


@dataclass(frozen=True)
class RunOptions:
    """What run() needs; every default is the command line's."""

    target: list[str]  # SCRIPT ARGS... or -m MODULE ARGS..., as after `python`
    engine: str = "auto"  # auto | sampler | cprofile | yappi | pyspy
    interval_s: float = 0.005
    timeout_s: float | None = None  # stop the target after this long (a partial report)
    planned_stop: bool = False  # the stop at timeout_s is the plan (--duration), not a timeout
    python: str | None = None  # the target's interpreter (None: this one)
    rule_dirs: tuple[Path, ...] = ()  # rule folders added to the builtin rules
    ignore: tuple[str, ...] = ()  # rule ids or names to skip
    min_share: float | None = None  # classifier thresholds (None: the built-in ones)
    max_hotspots: int | None = None


def collected(
    outcome: Outcome, argv: list[str], engine: str, planned_stop: bool = False
) -> tuple[Profile | None, RunInfo, list[str]]:
    """An ended run's data merged into one Profile, its RunInfo and the caveats collecting left."""
    from gilscope.collect.merge import merge

    engine_name = outcome.data[0].get("engine", engine) if outcome.data else engine
    profile = merge(outcome.data, engine_name) if outcome.data else None
    return profile, run_info(outcome, argv, engine_name, duration=planned_stop), list(outcome.errors)


def run(options: RunOptions) -> Report:
    """Run the target under the agent, profile it and return the report `gilscope profile --json` writes.

    >>> report = run(RunOptions(["examples/io_sleep.py"]))
    >>> [(h.function, h.kind.value) for h in report.hotspots]
    """
    from gilscope.collect.launch import Launch, start, wait
    from gilscope.engine import load_rules

    rules = load_rules(list(options.rule_dirs), ignore=list(options.ignore))
    outcome = wait(
        start(
            Launch(
                argv=list(options.target),
                engine=options.engine,
                interval_s=options.interval_s,
                timeout_s=options.timeout_s,
                python=options.python or sys.executable,
            )
        )
    )
    profile, meta, extra = collected(outcome, list(options.target), options.engine, options.planned_stop)
    return analyse(
        profile, meta, rules, extra, min_share=options.min_share, max_hotspots=options.max_hotspots
    )
