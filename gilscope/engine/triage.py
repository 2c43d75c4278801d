"""The engine's last word on findings: which are not worth acting on, and the order a report lists them in.

    triage(findings, facts) -> findings         # severity capped at info where acting would not pay, sorted
    not_worth_acting(finding, facts) -> str     # why not, or ''

It runs after gilscope.advice (pipeline.analyse: evaluate_rules -> advice.enrich -> triage), because two of
its reasons need what advice found: the estimate redone for the change shown, and whether a safe change to
the user's own lines could be shown at all. Advice adds the change and never sets a severity or an order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from gilscope.analysis.thresholds import SHORT_RUN_S
from gilscope.engine.evaluate import facts_for, finding_order
from gilscope.model import Facts, Finding, Severity, Speedup, Strategy

WORTH_IT = 1.10  # below this gain a finding is at most info: not worth the change

# Advice that is a change to the code at one place: a warning promises it, so it needs the change shown.
CODE_CHANGES = frozenset(
    {
        Strategy.multiprocessing,
        Strategy.threads,
        Strategy.asyncio,
        Strategy.offload,
        Strategy.lock_scope,
        Strategy.batching,
        Strategy.per_thread_data,
    }
)


def triage(findings: Iterable[Finding], facts: Sequence[Facts]) -> list[Finding]:
    """The findings, each capped at info when acting on it would not pay (see not_worth_acting), in the
    report's order (evaluate.finding_order). `facts` are the Facts the rules were evaluated on."""
    return sorted((capped(f, facts_for(f, facts)) for f in findings), key=finding_order)


def capped(finding: Finding, facts: Facts | None) -> Finding:
    """The finding at info at most, with the reason in its `because`, when acting would not pay."""
    reason = not_worth_acting(finding, facts)
    if not reason:
        return finding
    update: dict = {"because": [*finding.because, f"not worth acting on: {reason}"]}
    if finding.severity.rank > Severity.info.rank:
        update["severity"] = Severity.info
    return replace(finding, **update)


def not_worth_acting(finding: Finding, facts: Facts | None) -> str:
    """Why not to act on `finding`, or '' when it is worth it: a gain under 10% or a run too short to trust
    (not_worth_it), or advice to change the code when no change to the user's own lines could be shown safe
    (a warning promises a gain; without a safe change it is a direction, and change_requires says what must
    hold). Findings without facts or without a strategy are left as the rules made them."""
    if facts is None or finding.strategy == Strategy.none:
        return ""
    reason = not_worth_it(finding.strategy, finding.estimated_speedup, facts)
    if not reason and finding.function and finding.strategy in CODE_CHANGES and not finding.diff:
        reason = (
            "no change to this code could be shown safe and worth it here"
            if finding.change_at is None
            else f"the change at line {finding.change_at.line} could not be shown safe"
        )
    return reason


def not_worth_it(strategy: Strategy, speedup: Speedup | None, facts: Facts) -> str:
    """Why acting on this advice would not pay, or '' when it would."""
    if facts.scope == "hotspot" and 0 < facts.run_wall_s < SHORT_RUN_S:
        return f"the run took only {facts.run_wall_s:.2f} s: profile a longer run before changing code for it"
    if speedup is None or speedup.factor >= WORTH_IT:
        return ""
    gain = f"the estimated gain is {speedup.factor:.2f}x (under {WORTH_IT - 1:.0%})"
    if strategy is Strategy.multiprocessing:
        return f"{gain}: starting processes and pickling cost about as much as the parallel work saves"
    if strategy in (Strategy.asyncio, Strategy.offload) and max(facts.waits, facts.loop_stalls) <= 1:
        return f"{gain}: a single wait has nothing to overlap with"
    return f"{gain}: not worth the change"
