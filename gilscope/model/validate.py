"""Pydantic at the edges: models read from outside (a saved report, a rule file's facts) and their JSON Schema.

The only module of gilscope.model that imports pydantic, and only when called: `gilscope profile` builds its
models directly and never comes here.
"""

from typing import TYPE_CHECKING, Any, TypeVar

from gilscope.model.report import Report

if TYPE_CHECKING:
    from pydantic import TypeAdapter

T = TypeVar("T")


_ADAPTERS: dict[type, Any] = {}


def adapter(model: type[T]) -> "TypeAdapter[T]":
    """pydantic's validator and schema of `model`, built once."""
    found = _ADAPTERS.get(model)
    if found is None:
        from pydantic import TypeAdapter

        found = _ADAPTERS[model] = TypeAdapter(model)
    return found


def validated(model: type[T], data: Any) -> T:
    """`data` (parsed JSON or TOML) as a `model`, checked: raises pydantic.ValidationError."""
    return adapter(model).validate_python(data)


def validated_json(model: type[T], text: str | bytes) -> T:
    return adapter(model).validate_json(text)


def load_report(data: Any) -> Report:
    """A saved report (its parsed JSON), checked against the model."""
    return validated(Report, data)


def report_schema() -> dict[str, Any]:
    """The JSON Schema of the report (`gilscope schema`)."""
    return adapter(Report).json_schema()
