"""The examples themselves, under plain python: the exit status expected.json promises, and the
same stdout from each after/ version as from its before-version. Needs no gilscope; no timings."""

import pytest
from examples_support import CASES, EXAMPLES, PAIRS

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("case", list(CASES))
def test_example_exits_as_expected(runs, case):
    run = runs.bare(case, CASES[case].get("args", []))
    assert run.returncode == CASES[case]["exit_code"], run.stderr[-2000:]
    assert run.stdout.strip(), "every example prints a result"


@pytest.mark.parametrize("case", list(PAIRS))
def test_after_version_prints_the_same(runs, case):
    assert (EXAMPLES / "after" / case).exists()
    before = runs.bare(case, CASES[case].get("args", []))
    after = runs.bare(f"after/{case}", CASES[case].get("args", []))
    assert after.returncode == 0, after.stderr[-2000:]
    assert after.stdout == before.stdout


def test_every_example_has_expectations():
    scripts = {p.name for p in EXAMPLES.glob("*.py")}
    assert scripts == set(CASES)
    assert set(PAIRS) <= scripts
    assert {p.name for p in (EXAMPLES / "after").glob("*.py")} == set(PAIRS)
