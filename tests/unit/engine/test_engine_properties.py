"""Property tests: valid conditions never fail to evaluate; junk only ever raises RuleLoadError."""

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gilscope.engine import parse_rule
from gilscope.engine.conditions import MAX_DEPTH, OPS_FOR, describe, evaluate, fact_type, parse_condition
from gilscope.errors import RuleLoadError
from gilscope.model import Facts, fact_fields

FACT_NAMES = sorted(fact_fields())
numbers = st.integers(-1000, 1000) | st.floats(-1e6, 1e6, allow_nan=False)


def values_for(name: str, op: str) -> st.SearchStrategy[Any]:
    ftype = fact_type(name)
    if ftype.kind == "bool":
        scalar = st.booleans()
    elif ftype.kind == "number":
        scalar = numbers
    elif ftype.choices and op != "glob":
        scalar = st.sampled_from(ftype.choices)
    else:
        scalar = st.text(max_size=8)
    return st.lists(scalar, min_size=1, max_size=3) if op == "in" else scalar


@st.composite
def leaves(draw) -> dict:
    name = draw(st.sampled_from(FACT_NAMES))
    op = draw(st.sampled_from(sorted(OPS_FOR[fact_type(name).kind])))
    return {"fact": name, op: draw(values_for(name, op))}


def conditions(depth: int = 1) -> st.SearchStrategy[dict]:
    if depth >= MAX_DEPTH:
        return leaves()
    inner = st.deferred(lambda: conditions(depth + 1))
    return st.one_of(
        leaves(),
        st.builds(lambda items: {"all": items}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda items: {"any": items}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda item: {"not": item}, inner),
    )


facts = st.builds(
    Facts,
    scope=st.sampled_from(["hotspot", "run"]),
    kind=st.sampled_from(["", "cpu", "io", "gil", "native", "lock", "mixed"]),
    blocker=st.text(max_size=10),
    share_of_wall=st.floats(0, 1),
    busy_threads=st.integers(0, 64),
    free_threaded=st.booleans(),
    loop_stall_s=st.floats(0, 100),
)


@settings(max_examples=300, deadline=None)
@given(conditions(), facts)
def test_valid_conditions_always_evaluate(data, sample):
    cond = parse_condition(data)
    ok, because = evaluate(cond, sample)
    assert isinstance(ok, bool)
    assert all(isinstance(line, str) and line for line in because)
    assert bool(because) is ok
    assert describe(cond)


keys = st.sampled_from(
    ["all", "any", "not", "fact", "eq", "ne", "lt", "gte", "in", "glob", "kind", "share_of_wall"]
)
junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5) | keys,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(keys | st.text(max_size=3), children, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=500, deadline=None)
@given(junk)
def test_junk_conditions_raise_only_rule_load_error(data):
    try:
        cond = parse_condition(data)
    except RuleLoadError as exc:
        assert "\n" not in str(exc)
        return
    evaluate(cond, Facts())  # junk that happens to be valid must evaluate too


rule_keys = st.sampled_from(
    ["id", "name", "title", "category", "severity", "when", "docs", "tests", "message"]
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(rule_keys | st.text(max_size=4), junk, max_size=9) | junk)
def test_junk_rules_raise_only_rule_load_error(data):
    try:
        parse_rule(data, "junk.toml")
    except RuleLoadError as exc:
        assert str(exc).startswith("junk.toml: ") and "\n" not in str(exc)
