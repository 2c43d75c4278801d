"""Evaluate rules against Facts and turn matches into sorted Findings.

    evaluate_rules(rules, facts) -> findings        # sorted by finding_order
    finding_order(finding) -> key                   # the report's order: severity, speedup, rule, place
    facts_for(finding, facts) -> Facts | None       # the Facts a finding was made from

After advice, triage.py caps what is not worth acting on and sorts again, with finding_order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from gilscope.engine.conditions import Match, evaluate, facts_read
from gilscope.engine.digest import sha256
from gilscope.engine.rule import Rule
from gilscope.engine.speedup import estimate
from gilscope.model import Evidence, Facts, Finding


def evaluate_rules(rules: Iterable[Rule], facts_list: Iterable[Facts]) -> list[Finding]:
    """Try every rule on every Facts; findings sorted by severity, then speedup, then rule id."""
    rules = list(rules)
    findings = []
    for facts in facts_list:
        for rule in rules:
            match = evaluate(rule.when, facts)
            if match.ok:
                findings.append(make_finding(rule, facts, match))
    return sorted(findings, key=finding_order)


def finding_order(finding: Finding) -> tuple:
    """The order of a report's findings: most severe first, then the biggest estimated speedup, then rule id,
    file, line and function (so equal findings always come out in the same order)."""
    speedup = finding.estimated_speedup.factor if finding.estimated_speedup else 0.0
    return (-finding.severity.rank, -speedup, finding.rule, finding.file, finding.line, finding.function)


def facts_for(finding: Finding, facts: Sequence[Facts]) -> Facts | None:
    """The Facts `finding` was made from: the hotspot's at its function, file and line, or the run's for a
    finding about the whole run; None when none is there."""
    for f in facts:
        if (f.function, f.file, f.line) == (finding.function, finding.file, finding.line) and (
            f.scope == "hotspot"
        ) == bool(finding.function):
            return f
    return next((f for f in facts if f.scope == "run"), None) if not finding.function else None


def make_finding(rule: Rule, facts: Facts, match: Match) -> Finding:
    return Finding(
        rule=rule.id,
        name=rule.name,
        title=rule.title,
        severity=rule.severity,
        confidence=rule.confidence,
        function=facts.function,
        file=facts.file,
        line=facts.line,
        strategy=rule.strategy,
        message=rule.render_message(facts),
        fingerprint=fingerprint(rule.id, facts.file, facts.function),
        because=match.because,
        evidence=[_evidence(facts, name) for name in facts_read(rule.when)],
        estimated_speedup=estimate(rule.strategy, facts),
        before=rule.docs.before,
        after=rule.docs.after,
    )


def _evidence(facts: Facts, name: str) -> Evidence:
    value = getattr(facts, name)
    if isinstance(value, bool):
        value = "true" if value else "false"
    return Evidence(metric=name, value=value, source="facts")


def fingerprint(rule_id: str, file: str, function: str) -> str:
    """16 hex digits over rule, file and function; no line numbers, so it survives moved code.

    Only the file's last two path parts count, so two checkouts in different folders agree.
    """
    short = "/".join([part for part in file.replace("\\", "/").split("/") if part][-2:])
    return sha256(f"{rule_id}|{short}|{function}".encode()).hexdigest()[:16]


def run_rule_tests(rule: Rule) -> list[str]:
    """Run a rule's inline tests; one line per failure, empty when all pass."""
    failures = []
    for index, test in enumerate(rule.tests):
        match = evaluate(rule.when, test.facts)
        if match.ok != (test.expect == "fires"):
            got = f"fired ({'; '.join(match.because)})" if match.ok else "stayed quiet"
            failures.append(f"{rule.id} tests[{index}]: expected {test.expect} but it {got}")
    return failures
