"""triage: after advice, the engine caps at info what is not worth acting on and puts findings in order."""

from dataclasses import replace

from gilscope.engine import finding_order, triage
from gilscope.engine.triage import capped, not_worth_acting, not_worth_it
from gilscope.model import Facts, Finding, Location, Severity, Speedup, Strategy

S = Strategy


def speedup(factor: float) -> Speedup:
    return Speedup(factor=factor, formula="x", assumptions=[])


def finding(
    rule="GS101", strategy=S.multiprocessing, factor=1.5, function="work", line=3, **update
) -> Finding:
    made = Finding(
        rule=rule,
        name="test",
        title="test",
        severity=Severity.warning,
        function=function,
        file="app.py",
        line=line,
        strategy=strategy,
        message="m",
        fingerprint="0" * 16,
        because=["the rule fired"],
        estimated_speedup=speedup(factor) if factor else None,
    )
    return replace(made, **update)


def facts(function="work", line=3, **update) -> Facts:
    return Facts(
        **{"function": function, "file": "app.py", "line": line, "kind": "cpu", "run_wall_s": 2.0, **update}
    )


SHOWN = {"diff": "--- a/app.py\n+++ b/app.py\n", "change_at": Location(file="app.py", line=7, code="x")}


def test_not_worth_it_says_why():
    small = speedup(1.04)
    run = Facts(kind="cpu", run_wall_s=2.0)
    assert "pickling" in not_worth_it(S.multiprocessing, small, run)
    assert "single wait" in not_worth_it(S.offload, small, replace(run, loop_stalls=1))
    assert not_worth_it(S.multiprocessing, speedup(1.5), run) == ""
    assert "only 0.05 s" in not_worth_it(S.threads, None, Facts(run_wall_s=0.05))


def test_a_change_shown_safe_and_worth_it_keeps_its_severity():
    shown = finding(**SHOWN)
    assert not_worth_acting(shown, facts()) == ""
    assert capped(shown, facts()) == shown


def test_a_small_gain_or_a_short_run_is_info_with_the_reason():
    small = capped(finding(factor=1.05, **SHOWN), facts())
    assert small.severity is Severity.info
    assert small.because[-1].startswith("not worth acting on: the estimated gain is 1.05x")
    short = capped(finding(**SHOWN), facts(run_wall_s=0.1))
    assert short.severity is Severity.info and "the run took only 0.10 s" in short.because[-1]


def test_a_code_change_without_a_safe_diff_is_info():
    unlocated = capped(finding(), facts())
    assert unlocated.severity is Severity.info
    assert unlocated.because[-1].endswith("no change to this code could be shown safe and worth it here")
    located = capped(finding(change_at=SHOWN["change_at"]), facts())
    assert located.because[-1].endswith("the change at line 7 could not be shown safe")
    # advice that is not a change at one place needs no diff
    assert capped(finding(rule="GS102", strategy=S.cython), facts()).severity is Severity.warning


def test_findings_without_facts_or_strategy_are_left_as_the_rules_made_them():
    assert capped(finding(factor=1.01), None).severity is Severity.warning
    assert capped(finding(strategy=S.none, factor=None), facts(run_wall_s=0.01)).severity is Severity.warning


def test_triage_matches_each_finding_to_its_facts_and_sorts_in_the_report_order():
    big = finding(rule="GS101", factor=3.0, function="big", line=10, **SHOWN)
    small = finding(rule="GS101", factor=1.02, function="small", line=20, **SHOWN)
    undiffed = finding(rule="GS201", strategy=S.threads, factor=2.0, function="fetch", line=30)
    unknown = finding(rule="GS105", factor=1.01, function="elsewhere", line=40)  # no facts: stays a warning
    run_scope = finding(rule="GS901", strategy=S.gc_tuning, factor=1.05, function="", line=0)
    all_facts = [
        facts("big", 10),
        facts("small", 20),
        facts("fetch", 30),
        Facts(scope="run", run_wall_s=2.0),
    ]
    out = triage([small, run_scope, undiffed, unknown, big], all_facts)
    assert [(f.function, f.severity) for f in out] == [
        ("big", Severity.warning),
        ("elsewhere", Severity.warning),
        ("fetch", Severity.info),
        ("", Severity.info),  # the run's facts: a gain under 10%
        ("small", Severity.info),
    ]
    assert out == sorted(out, key=finding_order)
