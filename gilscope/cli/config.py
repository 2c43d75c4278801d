"""[tool.gilscope] in pyproject.toml (the fastapi-cli pattern): find the nearest pyproject.toml from the working
folder upward (or take `--config PATH`), validate the table, and fill in what the command line left unset.

The command line wins: its options replace the config's values, and its --rules and --ignore add to the config's
lists. Paths in the config are relative to the pyproject.toml. A bad value is a one-line ConfigError that names
the key (exit 2). Only the standard library is imported here, so the entry point can read the config before the
heavy imports; the pydantic model of the table (tool_config(), built from the option table in cli/options.py) is
made only when a [tool.gilscope] table exists.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gilscope.cli.options import OUTPUT_FLAGS, config_keys
from gilscope.errors import ConfigError


def _field(key: str) -> str:
    """A [tool.gilscope] key's field name in tool_config() (`json` would shadow BaseModel.json)."""
    name = key.replace("-", "_")
    return name + "_" if name == "json" else name


def _kebab(name: str) -> str:
    return name.rstrip("_").replace("_", "-")


if TYPE_CHECKING:
    from pydantic import BaseModel

    from gilscope.cli.options import ProfileOptions

PYPROJECT = "pyproject.toml"
DEFAULT_INTERVAL_MS = 5.0
# ProfileOptions.outputs key -> tool_config() field
OUTPUT_KEYS = {fmt.value: _field(name) for fmt, name in OUTPUT_FLAGS.items()}


@dataclass(frozen=True)
class Config:
    """A validated [tool.gilscope] table and the file it came from; empty when there is none."""

    source: Path | None = None
    values: BaseModel | None = None

    def value(self, field: str) -> Any:
        return getattr(self.values, field) if self.values is not None else None

    def path(self, field: str) -> Path | None:
        """A path value, relative to the pyproject.toml's folder (shown relative to the working folder). An
        output's folder must exist; a baseline that does not exist yet is left out with a warning (so a first
        run can write it), which makes every finding count."""
        value = self.value(field)
        if value is None or self.source is None:
            return None
        path = self._resolve(value)
        if field == "baseline" and not path.is_file():
            _warn(
                f"{_shown(self.source)}: [tool.gilscope] baseline: no file {path} yet; every finding counts"
            )
            return None
        if field in OUTPUT_KEYS.values() and not path.parent.is_dir():
            raise self.error(field, f"folder {path.parent} does not exist")
        return path

    @property
    def rule_dirs(self) -> list[Path]:
        dirs = [self._resolve(folder) for folder in self.value("rules") or []]
        for i, folder in enumerate(dirs):
            if not folder.is_dir():
                raise self.error(f"rules[{i}]", f"folder {folder} not found")
        return dirs

    def rule_dirs_and(self, extra: list[Path]) -> list[Path]:
        """The [tool.gilscope] rules folders, then `extra` (the command line's), each folder once."""
        folders: dict[Path, Path] = {}
        for folder in (*self.rule_dirs, *map(Path, extra)):
            folders.setdefault(folder.resolve(), folder)
        return list(folders.values())

    @property
    def python(self) -> str | None:
        """`python = "..."`: a path with a folder is relative to the pyproject.toml; a bare name is found on PATH."""
        value = self.value("python")
        if not value or ("/" not in value and os.sep not in value):
            return value or None
        return str(self._resolve(os.path.expanduser(value)))

    @property
    def ignore(self) -> list[str]:
        return list(self.value("ignore") or [])

    def error(self, field: str, problem: str) -> ConfigError:
        assert self.source is not None
        return ConfigError(
            f"{_shown(self.source)}: [tool.gilscope] {field.rstrip('_').replace('_', '-')}: {problem}"
        )

    def _resolve(self, value: str) -> Path:
        assert self.source is not None
        path = self.source.parent / value
        try:
            return path.relative_to(Path.cwd())
        except ValueError:
            return path


def find_pyproject(start: Path | None = None) -> Path | None:
    """The nearest pyproject.toml in `start` (default: the working folder) or a folder above it."""
    folder = Path.cwd() if start is None else start.absolute()
    for candidate in (folder, *folder.parents):
        path = candidate / PYPROJECT
        if path.is_file():
            return path
    return None


def load_config(explicit: Path | None = None, start: Path | None = None) -> Config:
    """The [tool.gilscope] table of `explicit` (which must have one), else of the nearest pyproject.toml."""
    path: Path | None
    if explicit is not None:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"--config {explicit}: file not found")
    else:
        path = find_pyproject(start)
        if path is None:
            return Config()
    table = _read_table(path, required=explicit is not None)
    return Config() if table is None else Config(path, _validate(table, path))


def resolve_profile(options: ProfileOptions, config: Config | None = None) -> ProfileOptions:
    """`gilscope profile`'s options with the config filling what the command line left unset, then the
    built-in defaults."""
    cfg = load_config(options.config) if config is None else config
    outputs = {key: options.outputs.get(key) or cfg.path(field) for key, field in OUTPUT_KEYS.items()}
    timeout_s, stop_is_timeout = options.timeout_s, options.stop_is_timeout
    if timeout_s is None and cfg.value("timeout") is not None:
        timeout_s, stop_is_timeout = cfg.value("timeout"), True
    interval_s = options.interval_s
    if interval_s is None:
        interval_s = (cfg.value("interval") or DEFAULT_INTERVAL_MS) / 1000.0
    return dataclasses.replace(
        options,
        outputs=outputs,
        engine=options.engine or cfg.value("engine") or "auto",
        interval_s=interval_s,
        rule_dirs=cfg.rule_dirs_and(options.rule_dirs),
        ignore=[*cfg.ignore, *options.ignore],
        fail_on=options.fail_on or cfg.value("fail_on"),
        baseline=options.baseline or cfg.path("baseline"),
        timeout_s=timeout_s,
        stop_is_timeout=stop_is_timeout,
        min_share=options.min_share if options.min_share is not None else cfg.value("min_share"),
        max_hotspots=options.max_hotspots or cfg.value("max_hotspots"),
        python=options.python or cfg.python,
    )


def _warn(message: str) -> None:
    sys.stderr.write(f"gilscope: warning: {message}\n")


def _shown(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def _read_table(path: Path, required: bool) -> dict | None:
    where = _shown(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read: {exc.strerror or exc}") from None
    if not required and b"gilscope" not in data:
        return None  # no [tool.gilscope] can be in there: skip parsing
    import tomllib

    try:
        document = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{where}: invalid TOML: {exc}") from None
    tool = document.get("tool")
    table = tool.get("gilscope") if isinstance(tool, dict) else None
    if table is None:
        if required:
            raise ConfigError(f"{where}: no [tool.gilscope] table")
        return None
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [tool.gilscope] must be a table, not {_value(table)}")
    return table


def _validate(table: dict, path: Path) -> BaseModel:
    from pydantic import ValidationError

    model = tool_config()
    try:
        return model.model_validate(table)
    except ValidationError as exc:
        raise ConfigError(f"{_shown(path)}: [tool.gilscope] {_problem(exc, model)}") from None


@functools.cache
def tool_config() -> type[BaseModel]:
    """The [tool.gilscope] table as a pydantic model, one field per config key of the option table. Keys are
    kebab-case, as in the file; unknown keys and wrong types are errors. Paths stay strings: they are relative
    to the pyproject.toml (Config.path resolves them)."""
    from typing import Literal

    from pydantic import ConfigDict, Field, create_model

    fields: dict[str, Any] = {}
    for option in config_keys():
        assert option.config is not None
        if option.kind is list:
            fields[_field(option.config)] = (list[str], Field(default_factory=list, description=option.help))
            continue
        kind: Any = str if option.kind is Path else option.kind
        if option.choices:
            kind = Literal[tuple(str(choice) for choice in option.choices)]
        fields[_field(option.config)] = (
            kind | None,
            Field(None, ge=option.min, le=option.max, description=option.help),
        )
    return create_model(
        "ToolConfig",
        __config__=ConfigDict(
            extra="forbid", frozen=True, strict=True, alias_generator=_kebab, populate_by_name=False
        ),
        **fields,
    )


_EXPECTED = {
    "string_type": "a string",
    "float_type": "a number",
    "int_type": "an integer",
    "list_type": "a list of strings",
    "bool_type": "true or false",
}


def _problem(exc: Any, model: Any) -> str:
    """The first validation error as `key: problem`."""
    import difflib
    import re

    error = exc.errors(include_url=False)[0]
    loc = error["loc"]
    key = str(loc[0]) + "".join(f"[{part}]" for part in loc[1:])
    value, kind = error.get("input"), error["type"]
    if kind == "extra_forbidden":
        keys = sorted(field.alias or name for name, field in model.model_fields.items())
        close = difflib.get_close_matches(str(loc[0]).replace("_", "-"), keys, n=1)
        problem = (
            f"unknown key; did you mean {close[0]}?" if close else f"unknown key (known: {', '.join(keys)})"
        )
    elif kind == "literal_error":
        choices = re.findall(r"'([^']*)'", error["ctx"]["expected"])
        problem = f"{_value(value)} is not one of {', '.join(choices)}"
    elif kind in _EXPECTED:
        problem = f"expected {_EXPECTED[kind]}, got {_value(value)}"
    else:
        problem = f"{_value(value)} {error['msg'].removeprefix('Input ')}"
    more = exc.error_count() - 1
    return f"{key}: {problem}" + (f" (+{more} more)" if more else "")


def _value(value: Any) -> str:
    """A value as it looks in TOML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    return repr(value)
