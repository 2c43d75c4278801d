"""The condition language: each op, nesting, the depth limit, load-time type checks, describe()."""

import pytest

from gilscope.engine.conditions import (
    MAX_DEPTH,
    ConditionError,
    describe,
    evaluate,
    facts_read,
    parse_condition,
    to_data,
)
from gilscope.errors import RuleLoadError
from gilscope.model import Facts

FACTS = Facts(kind="gil", share_of_wall=0.62, busy_threads=4, blocker="time.sleep", free_threaded=False)


@pytest.mark.parametrize(
    ("leaf", "ok", "because"),
    [
        ({"fact": "kind", "eq": "gil"}, True, "kind is gil"),
        ({"fact": "kind", "eq": "cpu"}, False, None),
        ({"fact": "kind", "ne": "io"}, True, "kind gil != io"),
        ({"fact": "kind", "ne": "gil"}, False, None),
        ({"fact": "share_of_wall", "gte": 0.10}, True, "share_of_wall 0.62 >= 0.10"),
        ({"fact": "share_of_wall", "gte": 0.62}, True, "share_of_wall 0.62 >= 0.62"),
        ({"fact": "share_of_wall", "gt": 0.62}, False, None),
        ({"fact": "share_of_wall", "lt": 0.7}, True, "share_of_wall 0.62 < 0.70"),
        ({"fact": "share_of_wall", "lte": 0.5}, False, None),
        ({"fact": "busy_threads", "gt": 2}, True, "busy_threads 4 > 2"),
        ({"fact": "busy_threads", "lte": 4}, True, "busy_threads 4 <= 4"),
        ({"fact": "busy_threads", "in": [2, 4]}, True, "busy_threads 4 in (2, 4)"),
        ({"fact": "kind", "in": ["cpu", "io"]}, False, None),
        ({"fact": "blocker", "glob": "time.*"}, True, "blocker 'time.sleep' matches 'time.*'"),
        ({"fact": "blocker", "glob": "socket.*"}, False, None),
        ({"fact": "free_threaded", "eq": False}, True, "free_threaded is false"),
        ({"fact": "gil_reenabled_by", "glob": "?*"}, False, None),
    ],
)
def test_each_op(leaf, ok, because):
    match = evaluate(parse_condition(leaf), FACTS)
    assert match.ok is ok
    assert match.because == ([because] if ok else [])


def test_all_any_not_nest_and_report_satisfied_leaves():
    cond = parse_condition(
        {
            "all": [
                {"fact": "kind", "eq": "gil"},
                {"any": [{"fact": "busy_threads", "gte": 8}, {"fact": "busy_threads", "gte": 2}]},
                {"not": {"fact": "free_threaded", "eq": True}},
            ]
        }
    )
    match = evaluate(cond, FACTS)
    assert match.ok
    assert match.because == ["kind is gil", "busy_threads 4 >= 2", "free_threaded is false"]


def test_failed_all_gives_no_because():
    cond = parse_condition({"all": [{"fact": "kind", "eq": "gil"}, {"fact": "busy_threads", "gte": 8}]})
    assert evaluate(cond, FACTS) == (False, [])


def test_not_of_compound_explains_in_english():
    cond = parse_condition(
        {"not": {"all": [{"fact": "kind", "eq": "io"}, {"fact": "busy_threads", "gte": 2}]}}
    )
    assert evaluate(cond, FACTS) == (True, ["not (kind is io AND busy_threads ≥ 2)"])


def test_not_of_true_is_false():
    assert evaluate(parse_condition({"not": {"fact": "kind", "eq": "gil"}}), FACTS) == (False, [])


def nested(depth: int) -> dict:
    cond: dict = {"fact": "kind", "eq": "gil"}
    for _ in range(depth - 1):
        cond = {"not": cond}
    return cond


def test_depth_limit():
    assert evaluate(parse_condition(nested(MAX_DEPTH)), FACTS).ok is (MAX_DEPTH % 2 == 1)
    with pytest.raises(ConditionError, match=f"deeper than {MAX_DEPTH}"):
        parse_condition(nested(MAX_DEPTH + 1))


@pytest.mark.parametrize(
    ("cond", "path", "problem"),
    [
        (
            {"fact": "shar_of_wall", "gte": 0.1},
            "when.fact",
            "unknown fact 'shar_of_wall' (did you mean 'share_of_wall'?)",
        ),
        (
            {"all": [{"fact": "kind", "eq": "gil"}, {"fact": "nope", "eq": 1}]},
            "when.all[1].fact",
            "unknown fact 'nope'",
        ),
        ({"fact": "kind", "gte": "gil"}, "when.gte", "operator 'gte' does not apply to the enum fact 'kind'"),
        ({"fact": "busy_threads", "glob": "1*"}, "when.glob", "does not apply to the number fact"),
        ({"fact": "free_threaded", "lt": True}, "when.lt", "does not apply to the bool fact"),
        ({"fact": "share_of_wall", "gte": "0.1"}, "when.gte", "expected a number value"),
        ({"fact": "share_of_wall", "gte": True}, "when.gte", "expected a number value"),
        ({"fact": "free_threaded", "eq": 1}, "when.eq", "expected a bool value"),
        ({"fact": "kind", "eq": 3}, "when.eq", "expected a str value"),
        (
            {"fact": "scope", "eq": "runs"},
            "when.eq",
            "'runs' is not a value of the fact 'scope'; it is one of \"hotspot\", \"run\"",
        ),
        ({"fact": "kind", "in": []}, "when.in", "non-empty list"),
        ({"fact": "kind", "in": ["cpu", 1]}, "when.in[1]", "expected a str value"),
        ({"fact": "kind", "like": "gil"}, "when.like", "unknown operator 'like'"),
        ({"fact": "kind"}, "when", "exactly one operator"),
        ({"fact": "kind", "eq": "gil", "ne": "io"}, "when", "exactly one operator"),
        ({"all": []}, "when.all", "non-empty list"),
        ({"any": {"fact": "kind", "eq": "gil"}}, "when.any", "non-empty list"),
        ({"all": [1]}, "when.all[0]", "expected a table"),
        ({"al": []}, "when", "exactly one of 'all', 'any', 'not' or 'fact'"),
        ({}, "when", "an empty table"),
        ({"not": {"fact": "kind", "eq": "gil"}, "all": []}, "when", "exactly one of"),
        ("kind == gil", "when", "expected a table"),
    ],
)
def test_load_time_errors_name_the_field(cond, path, problem):
    with pytest.raises(RuleLoadError) as info:
        parse_condition(cond)
    assert info.value.path == path
    assert problem in info.value.problem
    assert str(info.value).startswith(f"field '{path}': ")


def test_describe_reads_as_english():
    cond = parse_condition(
        {
            "all": [
                {"fact": "kind", "in": ["cpu", "gil"]},
                {"fact": "busy_threads", "gte": 2},
                {"any": [{"fact": "samples", "lt": 100}, {"fact": "run_wall_s", "lte": 0.2}]},
                {"not": {"fact": "free_threaded", "eq": True}},
                {"not": {"fact": "blocker", "glob": "time.*"}},
                {"not": {"any": [{"fact": "role", "ne": "main"}]}},
            ]
        }
    )
    assert describe(cond) == (
        "kind is one of cpu, gil AND busy_threads ≥ 2 AND (samples < 100 OR run_wall_s ≤ 0.20)"
        " AND free_threaded is not true AND blocker does not match 'time.*' AND NOT (role is not main)"
    )


def test_facts_read_and_round_trip():
    data = {
        "all": [
            {"fact": "kind", "in": ["cpu", "gil"]},
            {"not": {"fact": "kind", "eq": "io"}},
            {"any": [{"fact": "samples", "lt": 100}]},
        ]
    }
    cond = parse_condition(data)
    assert facts_read(cond) == ["kind", "samples"]
    assert to_data(cond) == data
    assert parse_condition(to_data(cond)) == cond
