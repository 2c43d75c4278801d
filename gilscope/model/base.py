"""What every model is built from, stdlib only: `gilscope profile` builds, evaluates and writes its report
without importing pydantic (~0.12 s of start-up on CPython 3.11, benchmarks/startup.py).

A model is a frozen, keyword-only dataclass (`record`). Pydantic validates and describes the same classes at the
edges, where data comes in or a schema goes out (gilscope.model.validate: a report read back, a rule file, the
JSON Schema), and reads the constraints and checks below from their `Annotated` metadata only then.
"""

import dataclasses
import json
import math
from collections.abc import Callable
from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T")

# Unknown keys are errors when pydantic reads a model (a misspelt field in a rule file or a foreign report).
_PYDANTIC_CONFIG = {"extra": "forbid"}


@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(dataclasses.field,))
def record(cls: type[T]) -> type[T]:
    """A model class: a frozen dataclass whose fields are given by keyword.

    dataclasses makes the fields (for fields(), replace(), pydantic); __init__, __eq__, __hash__, __repr__ and
    the frozen __setattr__ are the shared ones below rather than code it would compile for every class: ~2 ms a
    class at import, most of gilscope.model's import time."""
    cls.__pydantic_config__ = _PYDANTIC_CONFIG  # type: ignore[attr-defined]
    if (
        cls.__doc__ is None
    ):  # what dataclass() would write, without its inspect.signature(); no schema description
        cls.__doc__ = f"{cls.__name__}(...)"
    for name, method in _METHODS.items():
        setattr(cls, name, method)
    made = dataclasses.dataclass(init=False, repr=False, eq=False, kw_only=True)(cls)
    made.__record_fields__ = tuple(  # type: ignore[attr-defined]
        (f.name, f.default, None if f.default_factory is dataclasses.MISSING else f.default_factory)
        for f in dataclasses.fields(made)  # type: ignore[arg-type]
    )
    made.__hash__ = _hash  # type: ignore[method-assign]  # after dataclass(), which would set it to None
    return made


_MISSING = dataclasses.MISSING
_setattr = object.__setattr__


def _init(self: Any, **values: Any) -> None:
    state = {}
    for name, default, factory in self.__record_fields__:
        if name in values:
            state[name] = values.pop(name)
        elif factory is not None:
            state[name] = factory()
        elif default is _MISSING:
            raise TypeError(f"{type(self).__name__}() missing keyword argument: '{name}'")
        else:
            state[name] = default
    if values:
        raise TypeError(f"{type(self).__name__}() got an unexpected keyword argument '{next(iter(values))}'")
    _setattr(self, "__dict__", state)
    post_init = getattr(self, "__post_init__", None)
    if post_init is not None:
        post_init()


def _eq(self: Any, other: Any) -> bool:
    if other.__class__ is not self.__class__:
        return NotImplemented
    return self.__dict__ == other.__dict__


def _hash(self: Any) -> int:
    return hash((self.__class__, *self.__dict__.values()))


def _repr(self: Any) -> str:
    fields = ", ".join(f"{name}={value!r}" for name, value in self.__dict__.items())
    return f"{type(self).__qualname__}({fields})"


def _frozen(self: Any, name: str, *value: Any) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


_METHODS = {
    "__init__": _init,
    "__eq__": _eq,
    "__repr__": _repr,
    "__setattr__": _frozen,
    "__delattr__": _frozen,
}


class Constraint:
    """Bounds on a value (ge/le for numbers, pattern for strings, min_length for lists), as `Annotated` metadata:
    checked when pydantic validates, and in the JSON Schema (minimum, pattern...); nothing at construction."""

    __slots__ = ("keys",)

    def __init__(self, **keys: Any) -> None:
        self.keys = keys

    def __get_pydantic_core_schema__(self, source: Any, handler: Callable[[Any], Any]) -> Any:
        schema = handler(source)
        schema.update(self.keys)
        return schema


class Check:
    """A check (and normalisation) of a value read from outside, as `Annotated` metadata: pydantic runs
    `function` after its own validation (or, `before=True`, on the data as read); a ValueError it raises is a
    validation error."""

    __slots__ = ("function", "before")

    def __init__(self, function: Callable[[Any], Any], before: bool = False) -> None:
        self.function, self.before = function, before

    def __get_pydantic_core_schema__(self, source: Any, handler: Callable[[Any], Any]) -> Any:
        from pydantic_core import core_schema

        wrap = (
            core_schema.no_info_before_validator_function
            if self.before
            else core_schema.no_info_after_validator_function
        )
        return wrap(self.function, handler(source))


def field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def to_data(value: Any) -> Any:
    """`value` as plain JSON data: models become dicts (fields in order), tuples lists, enums their values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: to_data(item) for name, item in vars(value).items()}
    if isinstance(value, (list, tuple)):
        return [to_data(item) for item in value]
    if isinstance(value, dict):
        return {str(key): to_data(item) for key, item in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, str):
        return str(value)  # a StrEnum's value
    return value


def dumps(value: Any, indent: int | None = None) -> str:
    """JSON text of a model (or of plain data holding models): non-ASCII as is, infinities and NaN as null.

    The models go to json's C encoder as they are (a model's fields are its __dict__, its enums are strings):
    no copy of a big profile's stacks as dicts, unless a number is not finite."""
    options: dict[str, Any] = {
        "indent": indent,
        "separators": (",", ":") if indent is None else (",", ": "),
        "ensure_ascii": False,
    }
    try:
        return json.dumps(value, allow_nan=False, default=vars, **options)
    except ValueError:  # an infinity or NaN somewhere: null, as JSON has no such number
        return json.dumps(to_data(value), **options)
