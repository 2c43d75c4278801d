"""The rule condition language: declarative data, checked at load time and matched against Facts.

    Cond = {all = [Cond, ...]} | {any = [Cond, ...]} | {not = Cond} | {fact = NAME, <op> = value}

The ops are eq ne lt lte gt gte in glob. Nothing here calls eval or exec: evaluation is a
`match` over four node types that reads Facts fields by names validated at load.
"""

from __future__ import annotations

import difflib
import fnmatch
import math
import types
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal, NamedTuple, Union, get_args, get_origin

from gilscope.errors import RuleLoadError
from gilscope.model import Facts, fact_fields

FACT_FIELDS = fact_fields()

MAX_DEPTH = 8
OPS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "glob")
OPS_FOR = {
    "number": {"eq", "ne", "lt", "lte", "gt", "gte", "in"},
    "str": {"eq", "ne", "in", "glob"},
    "bool": {"eq", "ne"},
    "enum": {"eq", "ne", "in"},  # a fixed vocabulary (role, kind, scope): compare with its members only
}
# Text for each op, and for each op's negation (used under `not`).
_ASCII = {"eq": "==", "ne": "!=", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}
_PRETTY = {"eq": "=", "ne": "≠", "lt": "<", "lte": "≤", "gt": ">", "gte": "≥"}
_NEGATE = {
    "eq": "ne",
    "ne": "eq",
    "lt": "gte",
    "lte": "gt",
    "gt": "lte",
    "gte": "lt",
    "in": "!in",
    "glob": "!glob",
}


class ConditionError(RuleLoadError):
    """A condition is malformed; `path` is the field, e.g. when.all[1].fact."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"field '{path}': {problem}")
        self.path = path
        self.problem = problem


@dataclass(frozen=True)
class Leaf:
    fact: str
    op: str
    value: Any


@dataclass(frozen=True)
class All:
    items: tuple[Cond, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Cond, ...]


@dataclass(frozen=True)
class Not:
    item: Cond


Cond = Leaf | All | AnyOf | Not


class Match(NamedTuple):
    ok: bool
    because: list[str]


class FactType(NamedTuple):
    kind: Literal["number", "str", "bool", "enum"]
    choices: tuple[str, ...] = ()  # an enum fact's values, the only ones code produces


def fact_type(name: str) -> FactType:
    annotation = FACT_FIELDS[name].type
    choices = _choices(annotation)
    if choices:
        return FactType("enum", choices)
    if annotation is bool:
        return FactType("bool")
    return FactType("number" if annotation in (int, float) else "str")


def type_label(name: str) -> str:
    """A fact's type for `gilscope rules facts`: float, str, Role, Kind | "", hotspot | run."""
    return _label(FACT_FIELDS[name].type)


def _label(annotation: Any) -> str:
    if get_origin(annotation) is Literal:
        return " | ".join(fmt(value) for value in get_args(annotation))
    if get_origin(annotation) in (Union, types.UnionType):
        return " | ".join(_label(arg) for arg in get_args(annotation))
    return getattr(annotation, "__name__", str(annotation))


def _choices(annotation: Any) -> tuple[str, ...]:
    """The values of a str Enum, a Literal, or a union of them (Kind | Literal[""]); () for other types."""
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return tuple(member.value for member in annotation)
    if get_origin(annotation) is Literal:
        return tuple(get_args(annotation))
    if get_origin(annotation) in (Union, types.UnionType):
        parts = [_choices(arg) for arg in get_args(annotation)]
        if all(parts):
            return tuple(value for part in parts for value in part)
    return ()


# --- parsing -------------------------------------------------------------------------------------


def parse_condition(data: object, path: str = "when") -> Cond:
    """Check a condition table from a rule file and return its parsed form; raise ConditionError."""
    return _parse(data, path, 1)


def _parse(data: object, path: str, depth: int) -> Cond:
    if depth > MAX_DEPTH:
        raise ConditionError(path, f"conditions nest deeper than {MAX_DEPTH} levels")
    if not isinstance(data, dict):
        raise ConditionError(path, f"expected a table (all, any, not or fact), got {type(data).__name__}")
    if "fact" in data:
        return _parse_leaf(data, path)
    if len(data) != 1 or not set(data) <= {"all", "any", "not"}:
        got = ", ".join(sorted(repr(k) for k in data)) or "an empty table"
        raise ConditionError(path, f"expected exactly one of 'all', 'any', 'not' or 'fact', got {got}")
    ((key, value),) = data.items()
    if key == "not":
        return Not(_parse(value, f"{path}.not", depth + 1))
    if not isinstance(value, list) or not value:
        raise ConditionError(f"{path}.{key}", "expected a non-empty list of conditions")
    items = tuple(_parse(item, f"{path}.{key}[{i}]", depth + 1) for i, item in enumerate(value))
    return All(items) if key == "all" else AnyOf(items)


def _parse_leaf(data: dict, path: str) -> Leaf:
    fact = data["fact"]
    if not isinstance(fact, str) or fact not in FACT_FIELDS:
        close = difflib.get_close_matches(str(fact), list(FACT_FIELDS), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ConditionError(f"{path}.fact", f"unknown fact {fact!r}{hint}")
    ops = [key for key in data if key != "fact"]
    if len(ops) != 1:
        raise ConditionError(
            path, f"expected exactly one operator ({' '.join(OPS)}) beside 'fact', got {len(ops)}"
        )
    op = ops[0]
    if op not in OPS:
        raise ConditionError(f"{path}.{op}", f"unknown operator {op!r}; use one of {' '.join(OPS)}")
    ftype = fact_type(fact)
    if op not in OPS_FOR[ftype.kind]:
        allowed = f"; use eq, ne or in with one of {_listed(ftype.choices)}" if ftype.kind == "enum" else ""
        raise ConditionError(
            f"{path}.{op}", f"operator '{op}' does not apply to the {ftype.kind} fact '{fact}'{allowed}"
        )
    value = data[op]
    if op != "in":
        _check_value(fact, ftype, value, f"{path}.{op}")
        return Leaf(fact, op, value)
    if not isinstance(value, list) or not value:
        raise ConditionError(f"{path}.in", "expected a non-empty list of values")
    for i, item in enumerate(value):
        _check_value(fact, ftype, item, f"{path}.in[{i}]")
    return Leaf(fact, op, tuple(value))


def _check_value(fact: str, ftype: FactType, value: object, path: str) -> None:
    if ftype.kind == "bool":
        ok = isinstance(value, bool)
    elif ftype.kind == "number":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    else:
        ok = isinstance(value, str)
    if not ok:
        wanted = "str" if ftype.kind == "enum" else ftype.kind
        raise ConditionError(path, f"expected a {wanted} value, got {value!r}")
    if ftype.choices and value not in ftype.choices:
        raise ConditionError(
            path, f"{value!r} is not a value of the fact '{fact}'; it is one of {_listed(ftype.choices)}"
        )


def _listed(choices: tuple[str, ...]) -> str:
    return ", ".join(f'"{choice}"' for choice in choices)


# --- evaluation ----------------------------------------------------------------------------------


def evaluate(cond: Cond, facts: Facts) -> Match:
    """Match a parsed condition against facts; `because` lists the satisfied leaves."""
    match cond:
        case Leaf(fact, op, value):
            actual = getattr(facts, fact)
            ok = _compare(op, actual, value)
            return Match(ok, [_because(fact, op, actual, value)] if ok else [])
        case All(items):
            results = [evaluate(item, facts) for item in items]
            ok = all(r.ok for r in results)
            return Match(ok, [b for r in results for b in r.because] if ok else [])
        case AnyOf(items):
            results = [evaluate(item, facts) for item in items]
            return Match(any(r.ok for r in results), [b for r in results if r.ok for b in r.because])
        case Not(item):
            if evaluate(item, facts).ok:
                return Match(False, [])
            if isinstance(item, Leaf):
                actual = getattr(facts, item.fact)
                return Match(True, [_because(item.fact, _NEGATE[item.op], actual, item.value)])
            return Match(True, [f"not ({describe(item)})"])
    raise TypeError(f"not a condition: {cond!r}")


def _compare(op: str, actual: Any, value: Any) -> bool:
    match op:
        case "eq":
            return actual == value
        case "ne":
            return actual != value
        case "lt":
            return actual < value
        case "lte":
            return actual <= value
        case "gt":
            return actual > value
        case "gte":
            return actual >= value
        case "in":
            return actual in value
        case "glob":
            return fnmatch.fnmatchcase(actual, value)
    raise ValueError(f"unknown operator {op!r}")


def _because(fact: str, op: str, actual: Any, value: Any) -> str:
    shown = fmt(actual)
    if op == "eq" or (op == "ne" and isinstance(actual, bool)):
        return f"{fact} is {shown}"
    if op in ("in", "!in"):
        word = "in" if op == "in" else "not in"
        return f"{fact} {shown} {word} ({', '.join(fmt(v) for v in value)})"
    if op in ("glob", "!glob"):
        word = "matches" if op == "glob" else "does not match"
        return f"{fact} {actual!r} {word} {value!r}"
    return f"{fact} {shown} {_ASCII[op]} {fmt(value)}"


def fmt(value: Any) -> str:
    """Show a fact value compactly: true/false, 0.62, 0.005, 12."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value == 0:
            return "0"
        return f"{value:.2f}" if abs(value) >= 0.1 else f"{value:.2g}"
    if value == "":
        return '""'
    return str(value)


# --- describing ----------------------------------------------------------------------------------


def describe(cond: Cond) -> str:
    """English for a condition, e.g. "kind is gil AND busy_threads ≥ 2"."""
    match cond:
        case Leaf(fact, op, value):
            return _describe_leaf(fact, op, value)
        case All(items):
            return " AND ".join(_wrapped(item) for item in items)
        case AnyOf(items):
            return " OR ".join(_wrapped(item) for item in items)
        case Not(Leaf(fact, op, value)):
            return _describe_leaf(fact, _NEGATE[op], value)
        case Not(item):
            return f"NOT ({describe(item)})"
    raise TypeError(f"not a condition: {cond!r}")


def _wrapped(cond: Cond) -> str:
    return f"({describe(cond)})" if isinstance(cond, (All, AnyOf)) else describe(cond)


def _describe_leaf(fact: str, op: str, value: Any) -> str:
    match op:
        case "eq":
            return f"{fact} is {fmt(value)}"
        case "ne":
            return f"{fact} is not {fmt(value)}"
        case "in" | "!in":
            word = "is one of" if op == "in" else "is none of"
            return f"{fact} {word} {', '.join(fmt(v) for v in value)}"
        case "glob" | "!glob":
            word = "matches" if op == "glob" else "does not match"
            return f"{fact} {word} '{value}'"
    return f"{fact} {_PRETTY[op]} {fmt(value)}"


def facts_read(cond: Cond) -> list[str]:
    """The fact names a condition reads, first use first."""
    match cond:
        case Leaf(fact):
            return [fact]
        case All(items) | AnyOf(items):
            return list(dict.fromkeys(name for item in items for name in facts_read(item)))
        case Not(item):
            return facts_read(item)
    raise TypeError(f"not a condition: {cond!r}")


def to_data(cond: Cond) -> dict[str, Any]:
    """The condition back in its rule-file shape (for JSON output)."""
    match cond:
        case Leaf(fact, op, value):
            return {"fact": fact, op: list(value) if isinstance(value, tuple) else value}
        case All(items):
            return {"all": [to_data(item) for item in items]}
        case AnyOf(items):
            return {"any": [to_data(item) for item in items]}
        case Not(item):
            return {"not": to_data(item)}
    raise TypeError(f"not a condition: {cond!r}")
