"""End-to-end: `gilscope profile --json` on every example, checked against examples/expected.json.

Everything is asserted as sets (kinds, strategies, flagged functions), never as numbers or
timings. Names match on their last dotted part. Each example is profiled once per session.
"""

import pytest
from examples_support import CASES, last, requires_cli

pytestmark = [pytest.mark.e2e, requires_cli]

EXPECTED = [
    pytest.param(case, exp, id=f"{case}:{exp['function']}")
    for case, label in CASES.items()
    for exp in label.get("expect", [])
]
FORBIDDEN = [
    pytest.param(case, fn, id=f"{case}:{fn}")
    for case, label in CASES.items()
    for fn in label.get("forbid", [])
]


def _report(runs, case):
    run = runs.profiled(case, CASES[case].get("args", []))
    if run.report is None:
        tail = "\n".join((run.stderr or run.stdout).strip().splitlines()[-15:])
        pytest.fail(f"no JSON report from {' '.join(run.argv)} (exit {run.returncode}):\n{tail}")
    return run.report


def _context(report):
    hotspots = [(last(h.get("function")), h.get("kind")) for h in report.get("hotspots", [])]
    findings = [
        (last(f.get("function")), f.get("rule"), f.get("strategy"), f.get("severity"))
        for f in report.get("findings", [])
    ]
    return f"hotspots={hotspots[:12]} findings={findings[:12]} caveats={report.get('caveats', [])[:5]}"


@pytest.mark.parametrize("case, exp", EXPECTED)
def test_expected_function_is_a_hotspot_of_an_accepted_kind(runs, case, exp):
    report = _report(runs, case)
    kinds = {h.get("kind") for h in report.get("hotspots", []) if last(h.get("function")) == exp["function"]}
    assert kinds, f"{exp['function']} is not a hotspot; {_context(report)}"
    if exp.get("kind"):
        assert kinds & set(exp["kind"]), (
            f"{exp['function']}: kinds {sorted(kinds)}, want one of {exp['kind']}; {_context(report)}"
        )


@pytest.mark.parametrize("case, exp", [p for p in EXPECTED if p.values[1].get("strategy")])
def test_findings_give_an_expected_strategy(runs, case, exp):
    report = _report(runs, case)
    strategies = {
        f.get("strategy") for f in report.get("findings", []) if last(f.get("function")) == exp["function"]
    }
    assert strategies & set(exp["strategy"]), (
        f"{exp['function']}: strategies {sorted(map(str, strategies))}, want one of "
        f"{exp['strategy']}; {_context(report)}"
    )


@pytest.mark.parametrize("case, fn", FORBIDDEN)
def test_forbidden_function_gets_no_warning(runs, case, fn):
    report = _report(runs, case)
    flagged = [
        (f.get("rule"), f.get("severity"))
        for f in report.get("findings", [])
        if last(f.get("function")) == fn and f.get("severity") in ("warning", "error")
    ]
    assert not flagged, f"{fn} is idle or already-parallel work but was flagged {flagged}"


@pytest.mark.parametrize("case", list(CASES))
def test_report_records_the_exit_code(runs, case):
    report = _report(runs, case)
    assert report.get("run", {}).get("exit_code") == CASES[case]["exit_code"]


@pytest.mark.parametrize("case", ["io_sleep.py", "watchdog_idle.py", "exits_nonzero.py"])
def test_stdout_is_the_script_own(runs, case):
    """gilscope writes its own output to stderr: the target's stdout is passed through untouched."""
    args = CASES[case].get("args", [])
    bare = runs.bare(case, args)
    profiled = runs.profiled(case, args)
    assert profiled.stdout == bare.stdout
