"""`gilscope rules check --rules DIR` fails (exit 2, one line) on a rule that uses a role no code produces."""

import subprocess
import sys
from pathlib import Path

import pytest

ASSETS = Path(__file__).resolve().parent.parent / "assets" / "rules"


def _check(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gilscope", "rules", "check", "--rules", str(folder)],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("folder", "problem"),
    [
        (
            "bad-role-condition",
            "field 'when.all[1].ne': 'background thread' is not a value of the fact 'role'; it is "
            'one of "main", "worker thread", "daemon thread", "pool worker", "child"',
        ),
        (
            "bad-role-in-test",
            "field 'tests[1].facts.role': Input should be 'main', 'worker thread', 'daemon thread', "
            "'pool worker' or 'child'",
        ),
    ],
)
def test_rules_check_rejects_a_role_no_code_produces(folder, problem):
    result = _check(ASSETS / folder)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "XY202-skip-background-threads.toml: rule XY202: " + problem in result.stderr


def test_the_same_rule_with_real_roles_passes(tmp_path):
    text = (ASSETS / "bad-role-condition" / "XY202-skip-background-threads.toml").read_text(encoding="utf-8")
    (tmp_path / "XY202-skip-background-threads.toml").write_text(
        text.replace('ne = "background thread"', 'ne = "daemon thread"'), encoding="utf-8"
    )
    result = _check(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith(" 0 failed\n")
