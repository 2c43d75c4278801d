"""Advice about the user's own code: find the construct to change and show the change, never apply it.

    locate(finding, hotspot, profile) -> Location | None      # the line to change, matched to the evidence
    propose(finding, location, source_lines) -> (before, after, unified_diff)
    enrich(findings, hotspots, profile, facts) -> findings     # both, for every finding; never costs the report

The target's source is parsed with `ast` (read only, never executed) once per file and cached; a file over
source.MAX_SOURCE_BYTES is not parsed. A diff is shown only when guards.py shows the change safe; otherwise
the finding says what must hold instead (Finding.change_requires). Findings of one rule that one edit fixes
are merged into one (grouping.py). Advice adds change_at and the change, and redoes the estimate for the
change shown; it never sets a severity or an order: gilscope.engine.triage does, after it.
"""

from __future__ import annotations

import ast
import difflib
import os
from dataclasses import replace

from gilscope.advice.change import rewrite
from gilscope.advice.constructs import Clues, Site, blocker_names, site_at, sites
from gilscope.advice.grouping import merge_same_change, one_per_diff
from gilscope.advice.placement import measured_calls
from gilscope.advice.rewrite import NoRewrite, apply
from gilscope.advice.source import Source, load
from gilscope.engine.evaluate import facts_for
from gilscope.engine.speedup import IO_POOL_WORKERS, default_executor_workers, estimate
from gilscope.model import Facts, Finding, Hotspot, Location, Profile

MAX_CONTEXT_LINES = 4
MIN_BLOCKER_SHARE = 0.05  # a blocker below this share of its hotspot's wall time is no clue to the change
# enrich() looks for constructs in at most this much source per report, a file counted once for each finding
# in it (the matchers and the safety checks walk the whole file for each finding: 3 to 5 s per million
# characters on a slow 2-core machine); past it, findings keep their rule docs' snippets. A bound on the work,
# not on the time, so that a report's content does not depend on the machine's speed.
MAX_EXAMINED_CHARS = 1_000_000
# What the user's source can make advice meet (a file that does not parse, or is deeper than ast can walk, a
# literal that does not evaluate, a construct with no rewrite): the finding keeps its rule's snippets.
SOURCE_PROBLEMS = (SyntaxError, ValueError, RecursionError, OSError, NoRewrite)
STRICT_ENV = "GILSCOPE_STRICT"  # =1: any other error in advice is raised, not noted (the test suite sets it)
_INLINE = (".<listcomp>", ".<dictcomp>", ".<setcomp>", ".<genexpr>", ".<lambda>")


def clues_for(finding: Finding, hotspot: Hotspot | None, profile: Profile | None = None) -> Clues:
    facts = {e.metric: e.value for e in finding.evidence}
    # Calls it spent a real part of its time in: a sampling moment's blocker (a coroutine found once in the call
    # the previous one slept in) must not point a CPU hotspot's change at another function's line.
    blockers = (
        [b for b, seconds in hotspot.blockers.items() if seconds >= MIN_BLOCKER_SHARE * hotspot.wall_s]
        if hotspot
        else []
    )
    if facts.get("blocker") and hotspot is None:  # (with a hotspot, its blockers above say it, by time)
        blockers.append(str(facts["blocker"]))
    holder = str(facts.get("lock_holder") or (hotspot.lock_holder if hotspot else ""))
    waits = int(float(facts.get("waits") or (hotspot.waits if hotspot else 0)))
    kind = str(facts.get("kind") or (hotspot.kind.value if hotspot else ""))
    in_loop = str(facts.get("in_event_loop", "")) == "true" or bool(hotspot and hotspot.event_loop_s)
    return Clues(
        target=finding.function,
        strategy=finding.strategy,
        kind=kind,
        blockers=blocker_names(blockers),
        holder=holder,
        callers=tuple(callers_of(profile, hotspot)),
        waits=waits,
        in_event_loop=in_loop,
        line=hotspot.shared_object_line if hotspot else 0,
    )


def callers_of(profile: Profile | None, hotspot: Hotspot | None) -> list[str]:
    """User functions seen directly outside the hotspot on sampled stacks, most time first."""
    if profile is None or hotspot is None:
        return []
    seconds: dict[str, float] = {}
    for stack in profile.stacks:
        user = [profile.frames[i] for i in stack.frames if profile.frames[i].user]
        for outer, inner in zip(user, user[1:]):
            if (
                inner.function == hotspot.function
                and inner.file == hotspot.file
                and outer.file == hotspot.file
            ):
                name = outer.function
                for suffix in _INLINE:
                    if name.endswith(suffix):
                        name = name[: -len(suffix)].removesuffix(".<locals>")
                if name and name != hotspot.function and not name.startswith("<"):
                    seconds[name] = seconds.get(name, 0.0) + stack.wall_s
    return sorted(seconds, key=lambda n: -seconds[n])


def _find(src: Source, clues: Clues) -> Site | None:
    return next(sites(src, clues), None)


def location_of(src: Source, site: Site, file: str) -> Location:
    stmt = src.statement_of(site.node) if not hasattr(site.node, "body") else site.node
    first = site.line
    end = min(stmt.end_lineno, first + MAX_CONTEXT_LINES - 1)
    if first < stmt.lineno:
        first = stmt.lineno
    code = src.text(first, end).rstrip("\n")
    return Location(file=file, line=site.line, function=src.qualname(site.scope), code=code)


def locate(
    finding: Finding, hotspot: Hotspot | None, report_profile: Profile | None = None
) -> Location | None:
    """The construct in the user's source that the finding's advice is about, or None."""
    file = (hotspot.file if hotspot else "") or finding.file
    src = load(file)
    if src is None or not finding.function:
        return None
    site = _find(src, clues_for(finding, hotspot, report_profile))
    return location_of(src, site, file) if site else None


def propose(
    finding: Finding,
    location: Location,
    source_lines: list[str],
    clues: Clues | None = None,
    ctx: dict | None = None,
) -> tuple[str, str, str]:
    """(before, after, unified diff) for the construct at `location`, built from the user's own lines.

    Raises NoRewrite when the construct is there but has no safe mechanical rewrite.
    """
    text = "".join(line if line.endswith(("\n", "\r")) else line + "\n" for line in source_lines)
    src = Source.parse(location.file, text)
    clues = clues or clues_for(finding, None)
    site = site_at(src, clues, location.line)
    if site is None:
        raise NoRewrite(f"no {finding.strategy.value} construct at line {location.line}")
    context = {"waits": clues.waits, **(ctx or {})}
    edits = rewrite(src, site, context)
    after_lines = apply(src.lines, edits)
    compile("".join(after_lines), location.file, "exec", dont_inherit=True, flags=0x400)  # PyCF_ONLY_AST
    lost = undefined_names("".join(after_lines)) - undefined_names(text)
    if lost:
        raise NoRewrite(f"the change would leave {', '.join(sorted(lost))} undefined")
    before, after = _snippets(src, site, edits, after_lines)
    path = display_path(location.file)
    diff = "".join(difflib.unified_diff(src.lines, after_lines, f"a/{path}", f"b/{path}"))
    return before, after, diff


def undefined_names(text: str) -> set[str]:
    """Names the code reads that nothing in it binds and that are not builtins: a rewrite that adds one (an
    import it retargeted, a name it moved) would fail at run time. Scopes are merged, so this only ever
    misses problems; it never reports a name the original code defines somewhere."""
    import builtins

    tree = ast.parse(text)
    bound = set(dir(builtins)) | {
        "__file__",
        "__name__",
        "__doc__",
        "__spec__",
        "__loader__",
        "__builtins__",
        "__package__",
        "__path__",
        "__annotations__",
        "__class__",
    }
    loaded = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            bound.update(node.names)
        elif isinstance(node, ast.MatchAs) and node.name or isinstance(node, ast.MatchStar) and node.name:
            bound.add(node.name)
    if any(isinstance(n, ast.ImportFrom) and any(a.name == "*" for a in n.names) for n in ast.walk(tree)):
        return set()  # a star import may bind anything
    return loaded - bound


def _snippets(src: Source, site: Site, edits, after_lines: list[str]) -> tuple[str, str]:
    """The changed statement before and after: the construct's statement, widened to the edits touching it."""
    stmt = site.node if isinstance(site.node, ast.stmt) else src.statement_of(site.node)
    first, end = stmt.lineno, stmt.end_lineno
    touching = [e for e in edits if e.first <= end + 1 and e.last >= first - 1]
    first = min([first, *(e.first for e in touching)])
    end = max([end, *(e.last for e in touching)])

    def grown(e) -> int:
        return len(e.text.splitlines()) - (e.last - e.first + 1)

    shift = sum(grown(e) for e in edits if e.first < first)
    inside = sum(grown(e) for e in edits if first <= e.first <= end)
    before = "".join(src.lines[first - 1 : end])
    after = "".join(after_lines[first - 1 + shift : end + shift + inside])
    return _dedent(before), _dedent(after)


def _dedent(text: str) -> str:
    lines = text.splitlines()
    width = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
    return "\n".join(line[width:] for line in lines).strip("\n")


def display_path(file: str) -> str:
    try:
        rel = os.path.relpath(file)
    except ValueError:
        rel = file
    if rel.startswith(".."):
        rel = file
    return rel.replace("\\", "/").lstrip("/")


def _hotspot_for(finding: Finding, hotspots: list[Hotspot]) -> Hotspot | None:
    for h in hotspots:
        if h.function == finding.function and h.file == finding.file and h.line == finding.line:
            return h
    return next((h for h in hotspots if h.function == finding.function and h.file == finding.file), None)


def _enriched(
    finding: Finding, hotspots: list[Hotspot], profile: Profile | None, facts: Facts | None
) -> tuple[Finding, int | None]:
    """The finding with its change, and how many workers the change runs (None: the strategy's default)."""
    hotspot = _hotspot_for(finding, hotspots)
    file = (hotspot.file if hotspot else "") or finding.file
    src = load(file)
    if src is None or not finding.function:
        return finding, None
    clues = clues_for(finding, hotspot, profile)
    site = _find(src, clues)
    if site is None:
        return finding, None
    location = location_of(src, site, file)
    update: dict = {"change_at": location}
    ctx = {**_ctx(finding), "measured": measured_calls(profile, src.path)}
    try:
        before, after, diff = propose(finding, location, src.lines, clues, ctx)
        update.update(before=before, after=after, diff=diff)
    except NoRewrite as why:
        if why.requires:  # no diff, and no snippet from the rule docs that would read as one
            update.update(before="", after="", diff="", change_requires=why.requires)
    except (SyntaxError, ValueError):
        pass
    workers = concurrency(site, clues, facts)
    if facts is not None and workers:
        update["estimated_speedup"] = estimate(finding.strategy, facts, workers) or finding.estimated_speedup
    return replace(finding, **update), workers


def concurrency(site: Site, clues: Clues, facts: Facts | None) -> int | None:
    """How many workers the change shown runs at once, when the source or the proposal fixes it."""
    if site.construct == "thread-pool":
        ctor = site.call
        arg = next((kw.value for kw in ctor.keywords if kw.arg in ("max_workers", "processes")), None)
        arg = arg if arg is not None else (ctor.args[0] if ctor.args else None)
        try:
            return int(ast.literal_eval(arg)) if arg is not None else None
        except (ValueError, TypeError, SyntaxError):
            return None
    if site.construct == "sleep-in-async":  # every coroutine sleeps at once
        return max(clues.waits, facts.loop_stalls if facts else 0, 1)
    if site.construct == "blocking-in-async":  # asyncio.to_thread: the loop's default executor
        return default_executor_workers(facts.cpu_count if facts else 1)
    if site.construct == "loop" and site.extra.get("pool") == "io":
        return min(clues.waits, IO_POOL_WORKERS) if clues.waits >= 2 else IO_POOL_WORKERS
    return None


def _ctx(finding: Finding) -> dict:
    facts = {e.metric: e.value for e in finding.evidence}
    out = {}
    for name in ("tasks", "mean_task_s", "threads"):
        try:
            value = float(facts.get(name) or 0)
        except (TypeError, ValueError):
            continue
        if value:
            out[name] = int(value) if name in ("tasks", "threads") else value
    return out


def enrich(
    findings: list[Finding], hotspots: list[Hotspot], profile: Profile | None, facts: list[Facts] = ()
) -> list[Finding]:
    """Every finding with the construct to change and the change, where one is found, and its estimate redone
    for the change shown (the workers it runs, the summed share of the findings it fixes); findings that one
    change fixes become one. The findings keep the engine's severities and come out in their order, merged
    ones where their first member was: gilscope.engine.triage caps and sorts them after this.

    Never costs the report: a finding whose source cannot be read, parsed or matched stays as it was
    (advised() is the one place that catches advice's errors), and so do the findings met once
    MAX_EXAMINED_CHARS of source have been looked through (the engine's order puts the most severe first)."""
    facts = list(facts)
    enriched = []
    examined = 0
    for finding in findings:
        own = facts_for(finding, facts)
        workers = None
        if examined < MAX_EXAMINED_CHARS:
            examined += _source_chars(finding, hotspots)
            finding, workers = advised(finding, hotspots, profile, own)
        enriched.append((finding, own, workers))
    return [finding for finding, _ in one_per_diff(merge_same_change(enriched))]


def _source_chars(finding: Finding, hotspots: list[Hotspot]) -> int:
    """The size of the source advice looks through for `finding` (0: none, it stays as it is)."""
    if not finding.function:
        return 0
    hotspot = _hotspot_for(finding, hotspots)
    src = load((hotspot.file if hotspot else "") or finding.file)
    return sum(len(line) for line in src.lines) if src else 0


def advised(
    finding: Finding, hotspots: list[Hotspot], profile: Profile | None, facts: Facts | None
) -> tuple[Finding, int | None]:
    """The finding with its change (see _enriched), or as it was when advice fails: the one place where
    advice's errors are caught, so that advice never costs the report.

    What the source can cause (SOURCE_PROBLEMS) leaves the finding as it was. Anything else is a bug in
    advice: with GILSCOPE_STRICT=1 (the test suite) it is raised; otherwise the finding is left as it was but
    for a line in its `because` that names the error, so that it is seen and can be reported."""
    try:
        return _enriched(finding, hotspots, profile, facts)
    except SOURCE_PROBLEMS:
        return finding, None
    except Exception as error:
        if os.environ.get(STRICT_ENV) == "1":
            raise
        note = f"gilscope could not work out the change for this finding ({type(error).__name__}: {error})"
        return replace(finding, because=[*finding.because, note]), None


__all__ = ["Clues", "NoRewrite", "advised", "callers_of", "clues_for", "enrich", "locate", "propose"]
