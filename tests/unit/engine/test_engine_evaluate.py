"""evaluate_rules: findings from matching rules, their fields, fingerprints and order."""

from dataclasses import replace

import pytest

from gilscope.engine import evaluate_rules, fingerprint, load_rules, run_rule_tests
from gilscope.model import Facts, Severity, Strategy

RULES = load_rules()
BY_ID = {rule.id: rule for rule in RULES}

CPU = Facts(
    function="score",
    file="/home/u/proj/app/score.py",
    line=12,
    kind="cpu",
    python_share=0.9,
    bytecode_share=0.85,
    own_bytecode_share=0.8,
    c_share=0.05,
    share_of_wall=0.62,
    cpu_count=8,
)
IO = Facts(function="fetch", file="app/net.py", line=3, kind="io", share_of_wall=0.5, io_share=0.9, waits=40)
RUN = Facts(scope="run", samples=30, run_wall_s=0.1)


def test_finding_fields_come_from_rule_and_facts():
    (finding,) = evaluate_rules([BY_ID["GS101"]], [CPU, IO, RUN])
    assert (finding.rule, finding.name, finding.severity, finding.confidence) == (
        "GS101",
        "cpu-bound-python",
        Severity.warning,
        "medium",
    )
    assert (finding.function, finding.file, finding.line) == ("score", "/home/u/proj/app/score.py", 12)
    assert finding.strategy is Strategy.multiprocessing
    assert (
        finding.message
        == "score takes 62% of the run holding the GIL (85% Python bytecode, 5% C code) on one of 8 cores"
    )
    assert "share_of_wall 0.62 >= 0.10" in finding.because
    assert [e.metric for e in finding.evidence][:3] == ["kind", "gil_enabled", "python_share"]
    assert {e.source for e in finding.evidence} == {"facts"}
    assert next(e.value for e in finding.evidence if e.metric == "gil_enabled") == "true"
    assert finding.estimated_speedup is not None and finding.estimated_speedup.factor == pytest.approx(2.19)
    assert finding.before == BY_ID["GS101"].docs.before and finding.after == BY_ID["GS101"].docs.after
    assert finding.title == BY_ID["GS101"].title


def test_run_scope_rule_only_sees_run_facts():
    findings = evaluate_rules([BY_ID["GS901"]], [replace(CPU, samples=3), RUN])
    assert [(f.rule, f.function, f.file) for f in findings] == [("GS901", "", "")]


def test_empty_string_facts_read_as_unknown_in_messages():
    facts = Facts(function="wait", kind="lock", lock_share=0.6, share_of_wall=0.3, threads=4)
    (finding,) = evaluate_rules([BY_ID["GS601"]], [facts])
    assert finding.message.endswith("(lock holder: unknown)")


def test_findings_sorted_by_severity_then_speedup_then_id():
    findings = evaluate_rules(RULES, [RUN, IO, CPU])
    ranks = [f.severity.rank for f in findings]
    assert ranks == sorted(ranks, reverse=True)
    assert findings[-1].rule == "GS901"  # info, no speedup
    warnings = [f for f in findings if f.severity is Severity.warning]
    factors = [f.estimated_speedup.factor for f in warnings]
    assert factors == sorted(factors, reverse=True)
    assert {f.rule for f in findings} >= {"GS101", "GS102", "GS201", "GS202", "GS901"}


def test_fingerprint_ignores_line_and_checkout_folder():
    moved = replace(CPU, line=99, file="/elsewhere/checkout/app/score.py")
    (a,) = evaluate_rules([BY_ID["GS101"]], [CPU])
    (b,) = evaluate_rules([BY_ID["GS101"]], [moved])
    assert a.fingerprint == b.fingerprint
    assert len(a.fingerprint) == 16 and int(a.fingerprint, 16) >= 0
    assert fingerprint("GS101", "app/score.py", "score") == a.fingerprint
    assert fingerprint("GS101", "app\\score.py", "score") == a.fingerprint
    assert fingerprint("GS102", "app/score.py", "score") != a.fingerprint
    assert fingerprint("GS101", "app/score.py", "other") != a.fingerprint


def test_run_rule_tests_reports_a_failing_inline_test():
    rule = BY_ID["GS101"]
    wrong = replace(rule, tests=[replace(t, expect="quiet") for t in rule.tests[:1]])
    (failure,) = run_rule_tests(wrong)
    assert failure.startswith("GS101 tests[0]: expected quiet but it fired (kind is cpu;")
    assert all(not run_rule_tests(rule) for rule in RULES)
