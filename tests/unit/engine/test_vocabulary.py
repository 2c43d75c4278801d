"""One vocabulary: the str enums, the facts typed with them, and the loader rejecting values no code produces."""

import json
from typing import get_args

import pytest
from pydantic import ValidationError

from gilscope.engine import parse_rule
from gilscope.engine.conditions import ConditionError, evaluate, fact_type, parse_condition
from gilscope.errors import RuleLoadError
from gilscope.formats import FILE_FORMATS
from gilscope.model import Facts, Hotspot, ProcessProfile, ThreadSummary, TimeSplit, dumps, to_data
from gilscope.model.common import Engine, Format, Kind, Role
from gilscope.model.validate import validated

ROLES = ("main", "worker thread", "daemon thread", "pool worker", "child")


def test_roles_are_the_values_code_produces():
    assert tuple(Role) == ROLES
    assert Role("pool worker") is Role.pool_worker


@pytest.mark.parametrize("member", [Role.worker_thread, Kind.gil, Engine.pyspy, Format.md])
def test_members_read_as_their_strings(member):
    assert member == member.value
    assert str(member) == f"{member}" == member.value
    assert json.dumps({"x": member}) == json.dumps({"x": member.value})


def test_engines_and_formats_match_the_cli_and_the_config():
    from gilscope.cli.config import tool_config
    from gilscope.cli.options import OPTIONS

    engine = next(o for o in OPTIONS if o.dest == "engine")
    assert (
        engine.choices
        == tuple(Engine)
        == get_args(get_args(tool_config().model_fields["engine"].annotation)[0])
    )
    assert set(FILE_FORMATS) == set(Format) - {Format.text}


@pytest.mark.parametrize(
    ("fact", "choices"),
    [
        ("role", ROLES),
        ("kind", ("cpu", "native", "io", "gil", "lock", "mixed", "")),
        ("lock_held_kind", ("cpu", "native", "io", "gil", "lock", "mixed", "")),
        ("scope", ("hotspot", "run")),
    ],
)
def test_enum_facts_know_their_values(fact, choices):
    assert fact_type(fact) == ("enum", choices)


def test_models_read_roles_and_reject_others():
    """Read from outside (a saved report, a rule test's facts), a role is a Role and any other value an error."""
    split = {"io_s": 1.0}
    hotspot = validated(
        Hotspot,
        {
            "function": "f",
            "file": "a.py",
            "line": 1,
            "kind": "io",
            "wall_s": 1,
            "cpu_s": 0,
            "share": 0.5,
            "split": split,
            "role": "daemon thread",
        },
    )
    assert hotspot.role is Role.daemon_thread and hotspot.split == TimeSplit(io_s=1.0)
    assert json.loads(dumps(hotspot))["role"] == "daemon thread"
    for model, data in (
        (Hotspot, to_data(hotspot)),
        (ProcessProfile, {"pid": 1}),
        (ThreadSummary, {"name": "t", "tid": 1, "role": "main", "wall_s": 1, "cpu_s": 0, "split": split}),
        (Facts, {}),
    ):
        assert validated(model, data).role is Role(data.get("role", "main"))
        with pytest.raises(ValidationError, match="worker thread"):
            validated(model, {**data, "role": "background thread"})


def test_run_scope_facts_have_no_kind():
    facts = Facts(scope="run")
    assert facts.kind == "" and facts.lock_held_kind == ""
    assert validated(Facts, {"kind": "lock", "lock_held_kind": "io"}).lock_held_kind is Kind.io
    with pytest.raises(ValidationError):
        validated(Facts, {"kind": "waiting"})


@pytest.mark.parametrize(
    ("cond", "path", "fact"),
    [
        ({"fact": "role", "ne": "background thread"}, "when.ne", "role"),
        ({"fact": "role", "eq": "Main"}, "when.eq", "role"),
        (
            {"all": [{"fact": "kind", "eq": "io"}, {"fact": "role", "in": ["main", "thread"]}]},
            "when.all[1].in[1]",
            "role",
        ),
        ({"not": {"fact": "kind", "in": ["idle"]}}, "when.not.in[0]", "kind"),
        ({"fact": "lock_held_kind", "eq": "waiting"}, "when.eq", "lock_held_kind"),
        ({"fact": "scope", "ne": "process"}, "when.ne", "scope"),
    ],
)
def test_values_no_code_produces_are_rejected(cond, path, fact):
    with pytest.raises(ConditionError) as info:
        parse_condition(cond)
    assert info.value.path == path
    allowed = ", ".join(f'"{value}"' for value in fact_type(fact).choices)
    assert info.value.problem.endswith(f"is not a value of the fact '{fact}'; it is one of {allowed}")


@pytest.mark.parametrize("fact", ["role", "kind", "scope"])
def test_glob_on_an_enum_fact_is_rejected(fact):
    with pytest.raises(
        ConditionError,
        match=f"operator 'glob' does not apply to the enum fact '{fact}'; use eq, ne or in with one of",
    ):
        parse_condition({"fact": fact, "glob": "*thread"})


def test_member_values_parse_and_match():
    cond = parse_condition(
        {"all": [{"fact": "role", "in": ["pool worker", "child"]}, {"fact": "kind", "ne": ""}]}
    )
    assert evaluate(cond, Facts(role=Role.child, kind=Kind.cpu)).because == [
        "role child in (pool worker, child)",
        'kind cpu != ""',
    ]
    assert not evaluate(cond, Facts(role="worker thread", kind="cpu")).ok
    assert not evaluate(cond, Facts(scope="run", role="pool worker")).ok


RULE = {
    "id": "XY001",
    "name": "n",
    "title": "t",
    "category": "io",
    "severity": "info",
    "confidence": "low",
    "since": "1.0",
    "strategy": "none",
    "message": "${function} in ${role}",
    "when": {"all": [{"fact": "kind", "eq": "io"}, {"fact": "role", "ne": "daemon thread"}]},
    "docs": {
        "summary": "s",
        "rationale": "r",
        "recommendation": "d",
        "before": "a = 1",
        "after": "a = 2",
        "references": [{"title": "x", "url": "https://example.org"}],
    },
    "tests": [
        {"expect": "fires", "facts": {"kind": "io"}},
        {"expect": "quiet", "facts": {"kind": "io", "role": "daemon thread"}},
    ],
}


def test_inline_test_facts_are_checked_against_the_enums():
    assert (
        parse_rule(RULE, "rules/io/XY001-n.toml").render_message(Facts(function="f", role="worker thread"))
        == "f in worker thread"
    )
    bad = {
        **RULE,
        "tests": [RULE["tests"][0], {"expect": "quiet", "facts": {"kind": "io", "role": "background"}}],
    }
    with pytest.raises(RuleLoadError) as info:
        parse_rule(bad, "rules/io/XY001-n.toml")
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("rules/io/XY001-n.toml: rule XY001: field 'tests[1].facts.role': ")
    assert "'main', 'worker thread', 'daemon thread', 'pool worker' or 'child'" in message


def test_a_bad_condition_names_file_rule_fact_and_values():
    bad = {**RULE, "when": {"fact": "role", "ne": "background thread"}}
    with pytest.raises(RuleLoadError) as info:
        parse_rule(bad, "rules/io/XY001-n.toml")
    assert str(info.value) == (
        "rules/io/XY001-n.toml: rule XY001: field 'when.ne': 'background thread' is not a value of the fact "
        '\'role\'; it is one of "main", "worker thread", "daemon thread", "pool worker", "child"'
    )
