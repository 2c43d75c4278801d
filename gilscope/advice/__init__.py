"""Advice about the user's own code: find the construct to change and show the change, never apply it.

    locate(finding, hotspot, profile) -> Location | None      # the line to change, matched to the evidence
    propose(finding, location, source_lines) -> (before, after, unified_diff)
    enrich(findings, hotspots, profile) -> findings            # both, for every finding; never raises

The target's source is parsed with `ast` (read only, never executed) once per file and cached. A diff is
shown only when guards.py shows the change safe; otherwise the finding says what must hold instead
(Finding.change_requires). Findings of one rule that one edit fixes are merged into one (grouping.py).
"""

from __future__ import annotations

import ast
import difflib
import os
import time

from gilscope.advice.change import rewrite
from gilscope.advice.constructs import Clues, Site, blocker_names, site_at, sites
from gilscope.advice.grouping import merge_same_change, one_per_diff
from gilscope.advice.placement import measured_calls
from gilscope.advice.rewrite import NoRewrite, apply
from gilscope.advice.source import Source, load
from gilscope.engine.speedup import IO_POOL_WORKERS, default_executor_workers, estimate, not_worth_it
from gilscope.model import Facts, Finding, Hotspot, Location, Profile, Severity, Strategy

MAX_CONTEXT_LINES = 4
BUDGET_S = 2.0  # enrich() stops looking for constructs after this long; findings keep their docs' snippets
_INLINE = (".<listcomp>", ".<dictcomp>", ".<setcomp>", ".<genexpr>", ".<lambda>")


def clues_for(finding: Finding, hotspot: Hotspot | None, profile: Profile | None = None) -> Clues:
    facts = {e.metric: e.value for e in finding.evidence}
    blockers = list(hotspot.blockers) if hotspot else []
    if facts.get("blocker"):
        blockers.append(str(facts["blocker"]))
    holder = str(facts.get("lock_holder") or _evidence(hotspot, "lock_holder") or "")
    waits = int(float(facts.get("waits") or _evidence(hotspot, "waits") or 0))
    kind = str(facts.get("kind") or (hotspot.kind.value if hotspot else ""))
    in_loop = str(facts.get("in_event_loop", "")) == "true" or bool(_evidence(hotspot, "event_loop_s"))
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


def _evidence(hotspot: Hotspot | None, metric: str):
    if hotspot is None:
        return None
    return next((e.value for e in hotspot.evidence if e.metric == metric), None)


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


def enrich_one(
    finding: Finding, hotspots: list[Hotspot], profile: Profile | None, facts: Facts | None = None
) -> Finding:
    return _enriched(finding, hotspots, profile, facts)[0]


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
    return finding.model_copy(update=update), workers


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


# Advice that is a change to the code at one place: a warning promises it, so it needs the change shown.
_CODE_CHANGES = {
    Strategy.multiprocessing,
    Strategy.threads,
    Strategy.asyncio,
    Strategy.offload,
    Strategy.lock_scope,
    Strategy.batching,
    Strategy.per_thread_data,
}


def judge(finding: Finding, facts: Facts | None) -> Finding:
    """Say when not to act: a gain under 10% or a run too short to trust makes a finding info at most, and so
    does advice to change the code when no change to the user's own lines could be shown safe (a warning
    promises a gain; without a safe change it is a direction, and change_requires says what must hold)."""
    if facts is None or finding.strategy.value == "none":
        return finding
    reason = not_worth_it(finding.strategy, finding.estimated_speedup, facts)
    if not reason and finding.function and finding.strategy in _CODE_CHANGES and not finding.diff:
        reason = (
            "no change to this code could be shown safe and worth it here"
            if finding.change_at is None
            else f"the change at line {finding.change_at.line} could not be shown safe"
        )
    if not reason:
        return finding
    update = {"because": [*finding.because, f"not worth acting on: {reason}"]}
    if finding.severity.rank > Severity.info.rank:
        update["severity"] = Severity.info
    return finding.model_copy(update=update)


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


def facts_for(finding: Finding, facts: list[Facts]) -> Facts | None:
    for f in facts:
        if (f.function, f.file, f.line) == (finding.function, finding.file, finding.line) and (
            f.scope == "hotspot"
        ) == bool(finding.function):
            return f
    return next((f for f in facts if f.scope == "run"), None) if not finding.function else None


def enrich(
    findings: list[Finding], hotspots: list[Hotspot], profile: Profile | None, facts: list[Facts] = ()
) -> list[Finding]:
    """Every finding with the construct to change and the change, where one is found, its estimate redone
    for the change shown, and its severity capped at info when acting would not pay. Never raises: a
    finding whose source cannot be read or matched stays as it was."""
    enriched = []
    deadline = time.perf_counter() + BUDGET_S
    for finding in findings:
        own = facts_for(finding, list(facts))
        workers = None
        if time.perf_counter() < deadline:
            try:
                finding, workers = _enriched(finding, hotspots, profile, own)
            except Exception:  # advice is a bonus: it must never cost the report
                pass
        enriched.append((finding, own, workers))
    out = []
    for finding, own in one_per_diff(merge_same_change(enriched)):
        try:
            finding = judge(finding, own)
        except Exception:
            pass
        out.append(finding)
    from gilscope.engine.evaluate import _order

    return sorted(out, key=_order)


__all__ = ["Clues", "NoRewrite", "callers_of", "clues_for", "enrich", "locate", "propose"]
