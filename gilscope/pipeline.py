"""collect -> classify -> evaluate rules -> Report. The pure part of `gilscope profile`."""
import os
import platform
import sys
from datetime import datetime, timezone

from gilscope import __version__
from gilscope.classify import classify, summarize_threads
from gilscope.classify.facts import hotspot_facts, run_facts
from gilscope.collect.launch import Outcome
from gilscope.model import Profile, Report, RunInfo

MIN_SAMPLES = 100
MIN_WALL_S = 0.2


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
        argv=argv, python_version=main.get("python") or platform.python_version(),
        implementation=main.get("implementation") or platform.python_implementation(),   # the target's
        gil_enabled=bool(main.get("gil_enabled", True)), free_threaded_build=bool(main.get("free_threaded", False)),
        cpu_count=int(main.get("cpu_count") or os.cpu_count() or 1),
        wall_s=round(main.get("wall_s") or outcome.wall_s, 6),
        cpu_s=round(sum(d.get("cpu_s", 0.0) for d in outcome.data), 6),
        exit_code=exit_code, exception=main.get("exception"), engine=engine,
        samples=int(main.get("samples", 0)) or sum(int(d.get("samples", 0)) for d in outcome.data),
        interval_s=float(main.get("interval_s", 0.0)), interrupted=interrupted,
        cwd=os.getcwd(), platform=f"{sys.platform}-{platform.machine()}",
        started_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))


def analyse(profile: Profile | None, run: RunInfo, rules, extra_caveats: list[str] = (),
            min_share: float | None = None, max_hotspots: int | None = None) -> Report:
    hotspots = classify(profile, min_share, max_hotspots) if profile else []
    threads = summarize_threads(profile) if profile else []
    facts = [hotspot_facts(h, run, profile, threads) for h in hotspots]
    facts.append(run_facts(run, profile, threads))
    from gilscope.engine import evaluate_rules
    findings = evaluate_rules(rules, facts)
    from gilscope.advice import enrich    # the construct to change in the user's source, and the change
    findings = enrich(findings, hotspots, profile, facts)
    return Report(version=__version__, run=run, hotspots=hotspots, findings=findings, threads=threads,
                  caveats=caveats(profile, run, list(extra_caveats)), profile=profile)


def caveats(profile: Profile | None, run: RunInfo, extra: list[str]) -> list[str]:
    out = list(extra)
    if profile is not None:
        out.extend(profile.notes)
        if profile.interval_s and (run.samples < MIN_SAMPLES or run.wall_s < MIN_WALL_S):
            out.append(f"short run: {run.samples} samples over {run.wall_s:.2f} s; shares and kinds are rough, "
                       "profile a longer run to trust them")
        if profile.rounds and profile.samples and profile.rounds < 0.5 * profile.samples:
            why = ("threads held the GIL for long stretches (C code, or threads queuing for it)" if run.gil_enabled
                   else "each read stops every thread (free-threaded build), so they are spaced out")
            out.append(f"the sampler could read the stacks only {profile.rounds} times in {profile.samples} intervals: "
                       f"{why}, and each read's time went to the stacks it found then; the time split per thread is "
                       "measured, the stacks within a stretch are not")
        from gilscope.classify.facts import core_wait_share
        waited = core_wait_share(profile, run.cpu_count)
        if waited >= 0.4:
            out.append(f"the machine was busy: {waited:.0%} of the time threads were runnable they waited for a core "
                       "other work kept busy; CPU and parallelism advice is withheld, profile on a quieter machine")
        if not profile.gil_measured:
            out.append("GIL holding and waiting were not measured "
                       + ("(free-threaded build: there is no GIL)" if not run.gil_enabled else "by this engine"))
    if run.interrupted == "duration":
        out.append(f"profiled for {run.wall_s:.1f} s as --duration asked, then the target was stopped")
    elif run.interrupted:
        out.append(f"the run was cut short ({run.interrupted}): this is a partial profile")
    if run.exit_code not in (0, None) and run.interrupted != "duration":
        out.append(f"the target exited with status {run.exit_code}"
                   + (f" ({run.exception})" if run.exception else ""))
    return out
