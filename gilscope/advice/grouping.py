"""One finding per change: findings of one rule whose change is at the same place become one finding.

Four hot methods called under one loop are one edit (the loop), so they are one finding: it names the
functions, adds up their shares of the run, and its estimate is the engine's (gilscope.engine.speedup.estimate)
for the summed share. The order of the findings is kept; the first of a group stands for it. Severities are
left as they are (the members of a group are one rule's, so they share its severity): gilscope.engine.triage
decides which findings are not worth acting on, and sorts them, after advice.
"""

from __future__ import annotations

from dataclasses import replace

from gilscope.engine.speedup import estimate
from gilscope.model import Evidence, Facts, Finding

Enriched = tuple[Finding, Facts | None, int | None]  # a finding, its facts, the workers its change runs


def change_key(finding: Finding) -> tuple | None:
    """Findings with the same key are fixed by one edit; None: a finding that is not merged."""
    at = finding.change_at
    if at is None or not finding.function:
        return None
    return finding.rule, at.file, at.line


def merge_same_change(items: list[Enriched]) -> list[tuple[Finding, Facts | None]]:
    """The findings, each group of the same rule and change site merged into one, in their first order."""
    groups: dict[tuple, list[Enriched]] = {}
    order: list[tuple | int] = []
    for i, item in enumerate(items):
        key = change_key(item[0])
        if key is None:
            order.append(i)
        else:
            if key not in groups:
                order.append(key)
            groups.setdefault(key, []).append(item)
    out = []
    for entry in order:
        if isinstance(entry, int):
            out.append(items[entry][:2])
        else:
            out.append(merged(groups[entry]))
    return out


def _share(item: Enriched) -> float:
    return item[1].share_of_wall if item[1] is not None else 0.0


def merged(group: list[Enriched]) -> tuple[Finding, Facts | None]:
    """One finding for a group: the biggest member, naming the others, with the summed share's estimate."""
    if len(group) == 1:
        return group[0][:2]
    lead, facts, workers = max(group, key=_share)
    names = list(dict.fromkeys(f.function for f, _, _ in group))
    share = min(1.0, sum(_share(item) for item in group))
    at = lead.change_at
    listed = ", ".join(f"{n}()" for n in names[:-1]) + f" and {names[-1]}()"
    update: dict = {
        "message": f"{lead.message} One change at line {at.line} fixes {listed}.",
        "because": [
            *lead.because,
            f"one change at {at.function or 'line'} line {at.line} fixes {listed}: "
            f"together {share:.0%} of the run",
        ],
        "evidence": [
            *lead.evidence,
            Evidence(
                metric="functions", value=", ".join(names), source="advice: one change fixes all of them"
            ),
            Evidence(metric="share_of_wall", value=round(share, 4), source="advice: summed over them"),
        ],
        "change_requires": list(dict.fromkeys(r for f, _, _ in group for r in f.change_requires)),
    }
    if facts is not None and share > facts.share_of_wall:
        facts = replace(facts, share_of_wall=share)
        update["estimated_speedup"] = estimate(lead.strategy, facts, workers) or lead.estimated_speedup
    return replace(lead, **update), facts


def one_per_diff(items: list[tuple[Finding, Facts | None]]) -> list[tuple[Finding, Facts | None]]:
    """Findings of different rules, of one strategy, that show the very same diff are one change, so one finding
    (findings of different strategies stay apart: each names a way to act): the most
    severe leads, says what the others say, and keeps an estimate where one of them has it (GS304's lost
    updates and GS303's queue at one line, both fixed by a part per thread)."""
    by_diff: dict[tuple, list[int]] = {}
    for i, (finding, _) in enumerate(items):
        if finding.diff and finding.change_at is not None:
            by_diff.setdefault((finding.strategy, finding.change_at.file, finding.diff), []).append(i)
    folded: dict[int, tuple[Finding, Facts | None]] = {}
    dropped: set[int] = set()
    for members in by_diff.values():
        if len(members) < 2:
            continue
        lead_index = max(members, key=lambda i: (items[i][0].severity.rank, -i))
        lead, facts = items[lead_index]
        others = [items[i][0] for i in members if i != lead_index]
        update: dict = {
            "message": "; ".join([lead.message, *(f.message for f in others)]),
            "evidence": [
                *lead.evidence,
                Evidence(
                    metric="also_fixes",
                    value=", ".join(f.rule for f in others),
                    source="advice: the same change fixes them",
                ),
            ],
            "because": list(dict.fromkeys([*lead.because, *(b for f in others for b in f.because)])),
        }
        if lead.estimated_speedup is None:
            update["estimated_speedup"] = next(
                (f.estimated_speedup for f in others if f.estimated_speedup), None
            )
        folded[lead_index] = (replace(lead, **update), facts)
        dropped.update(i for i in members if i != lead_index)
    return [folded.get(i, item) for i, item in enumerate(items) if i not in dropped]
