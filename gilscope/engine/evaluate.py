"""Evaluate rules against Facts and turn matches into sorted Findings."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from gilscope.engine.conditions import Match, evaluate, facts_read
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
    return sorted(findings, key=_order)


def _order(finding: Finding) -> tuple:
    speedup = finding.estimated_speedup.factor if finding.estimated_speedup else 0.0
    return (-finding.severity.rank, -speedup, finding.rule, finding.file, finding.line, finding.function)


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
    return hashlib.sha256(f"{rule_id}|{short}|{function}".encode()).hexdigest()[:16]


def run_rule_tests(rule: Rule) -> list[str]:
    """Run a rule's inline tests; one line per failure, empty when all pass."""
    failures = []
    for index, test in enumerate(rule.tests):
        match = evaluate(rule.when, test.facts)
        if match.ok != (test.expect == "fires"):
            got = f"fired ({'; '.join(match.because)})" if match.ok else "stayed quiet"
            failures.append(f"{rule.id} tests[{index}]: expected {test.expect} but it {got}")
    return failures
