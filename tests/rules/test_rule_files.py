"""Every builtin rule file: the loader's checks, and each inline fires/quiet test (semgrep --test style)."""

import tomllib
from pathlib import Path

import pytest

from gilscope.engine import builtin_rules_dir, evaluate_rules, load_rule_file, load_rules
from gilscope.engine.conditions import evaluate
from gilscope.model import Facts

ROOT = builtin_rules_dir()
FILES = sorted(ROOT.rglob("*.toml"))
CASES = [
    (path, index, test["expect"])
    for path in FILES
    for index, test in enumerate(tomllib.loads(path.read_text(encoding="utf-8")).get("tests", []))
]


def rule_id(path: Path) -> str:
    return path.stem.split("-", 1)[0]


@pytest.mark.parametrize("path", FILES, ids=rule_id)
def test_rule_file_passes_the_loader_checks(path):
    rule = load_rule_file(path, ROOT, builtin=True)
    assert path.parent.name == rule.category
    assert {test.expect for test in rule.tests} == {"fires", "quiet"}


@pytest.mark.parametrize(
    ("path", "index", "expect"), CASES, ids=[f"{rule_id(p)}-{i}-{e}" for p, i, e in CASES]
)
def test_inline_test(path, index, expect):
    rule = load_rule_file(path, ROOT, builtin=True)
    facts = rule.tests[index].facts  # given facts; the rest are Facts() defaults
    match = evaluate(rule.when, facts)
    assert match.ok is (expect == "fires"), f"{rule.id} tests[{index}] {expect}: because={match.because}"


@pytest.mark.parametrize("path", FILES, ids=rule_id)
def test_message_renders_for_every_firing_test(path):
    rule = load_rule_file(path, ROOT, builtin=True)
    for test in rule.tests:
        if test.expect == "fires":
            (finding,) = evaluate_rules([rule], [test.facts])
            assert "$" not in finding.message and "\n" not in finding.message
            assert finding.because


def test_builtin_rule_set():
    rules = load_rules()
    assert len(rules) >= 12
    assert [rule.id for rule in rules] == sorted(rule.id for rule in rules)
    assert len({rule.name for rule in rules}) == len(rules)


def test_default_facts_fire_no_warning():
    """A hotspot we know nothing about must not get advice."""
    findings = evaluate_rules(load_rules(), [Facts(), Facts(scope="run", samples=10_000, run_wall_s=5.0)])
    assert findings == []
