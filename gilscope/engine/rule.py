"""The Rule model: one TOML file under rules/<category>/<ID>-<name>.toml, validated at load."""

from __future__ import annotations

import ast
import textwrap
from string import Template
from typing import Annotated, Any, Literal

from gilscope.engine.conditions import FACT_FIELDS, Cond, ConditionError, fmt, parse_condition, to_data
from gilscope.model import Facts, Severity, Strategy
from gilscope.model.base import Check, Constraint, record
from gilscope.model.base import to_data as model_data

Category = Literal["cpu", "io", "gil", "native", "lock", "async", "process", "meta", "freethreading", "gc"]
Confidence = Literal["low", "medium", "high"]


class _ConditionSchema:
    """How pydantic reads and writes a rule's `when`: parse_condition checks it, to_data writes it back."""

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        return core_schema.no_info_plain_validator_function(
            parse_condition, serialization=core_schema.plain_serializer_function_ser_schema(to_data)
        )

    def __get_pydantic_json_schema__(self, schema: Any, handler: Any) -> dict[str, str]:
        return {"type": "object", "description": "all / any / not / {fact, <op>} condition"}


Condition = Annotated[Cond, _ConditionSchema()]

# Names a message may use: every fact, plus <name>_pct for the share facts (0.62 -> 62%).
# An empty string fact (no blocker or lock holder known) reads as "unknown".
PCT_FACTS = tuple(
    name
    for name, field in FACT_FIELDS.items()
    if (name.endswith("_share") or name.startswith("share_")) and field.type is float
)
MESSAGE_NAMES = frozenset(FACT_FIELDS) | {f"{name}_pct" for name in PCT_FACTS}


def message_vars(facts: Facts) -> dict[str, str]:
    values = {name: fmt(value) if value != "" else "unknown" for name, value in vars(facts).items()}
    values.update({f"{name}_pct": f"{getattr(facts, name):.0%}" for name in PCT_FACTS})
    return values


def _text(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    return value


def _https(url: str) -> str:
    if not url.startswith("https://") or len(url) <= len("https://"):
        raise ValueError(f"must be an https:// link, got {url!r}")
    return url


def _code(code: str) -> str:
    _text(code)
    code = textwrap.dedent(code).strip("\n")
    try:
        ast.parse(code, filename="<docs>")  # parsed only, never run
    except SyntaxError as exc:
        raise ValueError(f"is not valid Python: {exc.msg} (line {exc.lineno})") from None
    return code


def _note_given(data: Any) -> Any:
    """A test's data as read, with the names of the facts it gives (for `rules show`: the rest are defaults)."""
    if isinstance(data, dict) and isinstance(data.get("facts"), dict):
        return {**data, "given": tuple(data["facts"])}
    return data


def _template(message: str) -> str:
    template = Template(_text(message))
    if not template.is_valid():
        raise ValueError("has a bad $ placeholder (write $$ for a literal $)")
    unknown = [name for name in template.get_identifiers() if name not in MESSAGE_NAMES]
    if unknown:
        raise ValueError(f"unknown fact '${{{unknown[0]}}}'")
    return template.template


def _both_outcomes(tests: list[RuleTest]) -> list[RuleTest]:
    missing = {"fires", "quiet"} - {test.expect for test in tests}
    if missing:
        raise ValueError(
            f"needs at least one 'fires' and one 'quiet' test (no {' or '.join(sorted(missing))})"
        )
    return tests


Text = Annotated[str, Check(_text)]
Code = Annotated[str, Check(_code)]


@record
class Reference:
    title: Text
    url: Annotated[str, Check(_https)]


@record
class RuleDocs:
    summary: Text
    rationale: Text
    recommendation: Text
    before: Code
    after: Code
    references: Annotated[list[Reference], Constraint(min_length=1)]

    def __post_init__(self) -> None:
        if self.after == self.before:
            raise ConditionError("docs.after", "is the same code as docs.before")


@record
class RuleTest:
    """An inline test: the facts given (the rest are Facts defaults) and whether the rule fires."""

    expect: Literal["fires", "quiet"]
    facts: Facts
    given: tuple[str, ...] = ()  # the names of the facts the rule file gives


@record
class Rule:
    id: Annotated[str, Constraint(pattern=r"^[A-Z]{2,5}[0-9]{3,4}$")]
    name: Annotated[str, Constraint(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]
    title: Text
    category: Category
    severity: Severity
    confidence: Confidence
    since: Annotated[str, Constraint(pattern=r"^[0-9]+\.[0-9]+(\.[0-9]+)?$")]
    strategy: Strategy
    message: Annotated[str, Check(_template)]
    when: Condition
    docs: RuleDocs
    tests: Annotated[list[Annotated[RuleTest, Check(_note_given, before=True)]], Check(_both_outcomes)]

    def render_message(self, facts: Facts) -> str:
        # string.Template, never str.format: format fields can reach attributes.
        return Template(self.message).safe_substitute(message_vars(facts))


def rule_data(rule: Rule) -> dict[str, Any]:
    """The rule as JSON data, in its file's shape (`rules show --format json`)."""
    tests = [
        {
            "expect": test.expect,
            "facts": model_data(
                {name: getattr(test.facts, name) for name in FACT_FIELDS if name in test.given}
            ),
        }
        for test in rule.tests
    ]
    return {**model_data(rule), "when": to_data(rule.when), "tests": tests}
