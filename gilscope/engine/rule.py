"""The Rule model: one TOML file under rules/<category>/<ID>-<name>.toml, validated at load."""

from __future__ import annotations

import ast
import textwrap
from string import Template
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    ValidationInfo,
    WithJsonSchema,
    field_serializer,
    field_validator,
)

from gilscope.engine.conditions import Cond, fmt, parse_condition, to_data
from gilscope.model import Facts, Severity, Strategy

# defer_build: a profile run loads the rules from their cache (engine/loader.py) and never validates one
_FROZEN = ConfigDict(frozen=True, extra="forbid", defer_build=True)
Category = Literal["cpu", "io", "gil", "native", "lock", "async", "process", "meta", "freethreading", "gc"]
Confidence = Literal["low", "medium", "high"]
Condition = Annotated[
    Cond,
    PlainValidator(parse_condition),
    PlainSerializer(to_data),
    WithJsonSchema({"type": "object", "description": "all / any / not / {fact, <op>} condition"}),
]

# Names a message may use: every fact, plus <name>_pct for the share facts (0.62 -> 62%).
# An empty string fact (no blocker or lock holder known) reads as "unknown".
PCT_FACTS = tuple(
    name
    for name, field in Facts.model_fields.items()
    if (name.endswith("_share") or name.startswith("share_")) and field.annotation is float
)
MESSAGE_NAMES = frozenset(Facts.model_fields) | {f"{name}_pct" for name in PCT_FACTS}


def message_vars(facts: Facts) -> dict[str, str]:
    values = {name: fmt(value) if value != "" else "unknown" for name, value in facts.model_dump().items()}
    values.update({f"{name}_pct": f"{getattr(facts, name):.0%}" for name in PCT_FACTS})
    return values


def _text(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    return value


class Reference(BaseModel):
    model_config = _FROZEN
    title: str
    url: str

    _title = field_validator("title")(_text)

    @field_validator("url")
    @classmethod
    def _https(cls, url: str) -> str:
        if not url.startswith("https://") or len(url) <= len("https://"):
            raise ValueError(f"must be an https:// link, got {url!r}")
        return url


class RuleDocs(BaseModel):
    model_config = _FROZEN
    summary: str
    rationale: str
    recommendation: str
    before: str
    after: str
    references: list[Reference] = Field(min_length=1)

    _prose = field_validator("summary", "rationale", "recommendation")(_text)

    @field_validator("before", "after")
    @classmethod
    def _code(cls, code: str, info: ValidationInfo) -> str:
        _text(code)
        code = textwrap.dedent(code).strip("\n")
        try:
            ast.parse(code, filename=f"<docs.{info.field_name}>")  # parsed only, never run
        except SyntaxError as exc:
            raise ValueError(f"is not valid Python: {exc.msg} (line {exc.lineno})") from None
        if info.field_name == "after" and code == info.data.get("before"):
            raise ValueError("is the same code as docs.before")
        return code


class RuleTest(BaseModel):
    """An inline test: the facts given (the rest are Facts defaults) and whether the rule fires."""

    model_config = _FROZEN
    expect: Literal["fires", "quiet"]
    facts: Facts

    @field_serializer("facts")
    def _given_only(self, facts: Facts) -> dict[str, Any]:
        return facts.model_dump(mode="json", exclude_unset=True)


class Rule(BaseModel):
    model_config = _FROZEN
    id: str = Field(pattern=r"^[A-Z]{2,5}[0-9]{3,4}$")
    name: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    title: str
    category: Category
    severity: Severity
    confidence: Confidence
    since: str = Field(pattern=r"^[0-9]+\.[0-9]+(\.[0-9]+)?$")
    strategy: Strategy
    message: str
    when: Condition
    docs: RuleDocs
    tests: list[RuleTest]

    _title = field_validator("title")(_text)

    @field_validator("message")
    @classmethod
    def _template(cls, message: str) -> str:
        template = Template(_text(message))
        if not template.is_valid():
            raise ValueError("has a bad $ placeholder (write $$ for a literal $)")
        unknown = [name for name in template.get_identifiers() if name not in MESSAGE_NAMES]
        if unknown:
            raise ValueError(f"unknown fact '${{{unknown[0]}}}'")
        return template.template

    @field_validator("tests")
    @classmethod
    def _both_outcomes(cls, tests: list[RuleTest]) -> list[RuleTest]:
        missing = {"fires", "quiet"} - {test.expect for test in tests}
        if missing:
            raise ValueError(
                f"needs at least one 'fires' and one 'quiet' test (no {' or '.join(sorted(missing))})"
            )
        return tests

    def render_message(self, facts: Facts) -> str:
        # string.Template, never str.format: format fields can reach attributes.
        return Template(self.message).safe_substitute(message_vars(facts))
