"""Load rule files: builtin rules/ plus user folders. Every problem is one-line RuleLoadError.

The checks double as the lint for the rules folder: TOML syntax, the Rule model (facts, ops,
docs, inline tests), unique ids and names, file name = ID-name.toml and folder = category.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from pathlib import Path

from pydantic import ValidationError

from gilscope.engine.conditions import ConditionError
from gilscope.engine.rule import Rule
from gilscope.errors import RuleLoadError

_PACKAGE = Path(__file__).resolve().parent.parent
# gilscope/rules is a symlink to ../rules in a checkout and a real folder in a wheel;
# a checkout whose link did not survive (e.g. on Windows) still has the top-level rules/.
_BUILTIN_CANDIDATES = (_PACKAGE / "rules", _PACKAGE.parent / "rules")


def builtin_rules_dir() -> Path:
    for candidate in _BUILTIN_CANDIDATES:
        if candidate.is_dir() and any(candidate.rglob("*.toml")):
            return candidate
    raise RuleLoadError(f"builtin rules not found (looked in {', '.join(map(str, _BUILTIN_CANDIDATES))})")


def load_rules(extra_dirs: Iterable[Path] = (), ignore: Iterable[str] = ()) -> list[Rule]:
    """Builtin rules sorted by id, then each user folder's rules sorted by id; ids/names in `ignore` dropped."""
    seen: dict[str, str] = {}  # id or name -> the file that defined it
    rules: list[Rule] = []
    folders = [(builtin_rules_dir(), True)] + [(Path(d), False) for d in extra_dirs]
    for root, builtin in folders:
        if not root.is_dir():
            raise RuleLoadError(f"{root}: rules folder not found")
        loaded = [(load_rule_file(path, root, builtin), path) for path in sorted(root.rglob("*.toml"))]
        for rule, path in sorted(loaded, key=lambda pair: pair[0].id):
            where = display_path(path, root, builtin)
            for field, key in (("id", rule.id), ("name", rule.name)):
                if key in seen:
                    raise _error(where, rule.id, field, f"duplicate {field} '{key}', also in {seen[key]}")
                seen[key] = where
            rules.append(rule)
    skip = set(ignore)
    return [rule for rule in rules if rule.id not in skip and rule.name not in skip]


def load_rule_file(path: Path, root: Path | None = None, builtin: bool = False) -> Rule:
    root = root or path.parent
    where = display_path(path, root, builtin)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(path, where, exc) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleLoadError(f"{where}: invalid TOML: {exc}") from None
    except RecursionError:
        raise _toml_error(path, where, ValueError("nested too deeply")) from None
    rule = parse_rule(data, where)
    expected = f"{rule.id}-{rule.name}.toml"
    if path.name != expected:
        raise _error(where, rule.id, "name", f"file should be named {expected}")
    if path.parent != root and path.parent.name != rule.category:
        raise _error(
            where, rule.id, "category", f"is '{rule.category}' but the file is in folder '{path.parent.name}'"
        )
    return rule


def parse_rule(data: object, where: str = "<rule>") -> Rule:
    """Validate one rule's data (a parsed TOML table); problems raise a one-line RuleLoadError."""
    rule_id = data.get("id") if isinstance(data, dict) and isinstance(data.get("id"), str) else None
    try:
        return Rule.model_validate(data)
    except ConditionError as exc:
        raise _error(where, rule_id, exc.path, exc.problem) from None
    except ValidationError as exc:
        field, problem = _first_error(exc)
        raise _error(where, rule_id, field, problem) from None


def display_path(path: Path, root: Path, builtin: bool) -> str:
    """rules/<category>/<file> for builtin rules; the path relative to the working folder for others."""
    if builtin:
        return f"rules/{path.relative_to(root).as_posix()}"
    try:
        return path.resolve().relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)


def _error(where: str, rule_id: str | None, field: str, problem: str) -> RuleLoadError:
    rule = f"rule {rule_id}: " if rule_id else ""
    return RuleLoadError(f"{where}: {rule}field '{field}': {problem}")


def _toml_error(path: Path, where: str, exc: Exception) -> RuleLoadError:
    """A TOML syntax error, naming the rule (its id line, else the file name) and the key on the bad line."""
    text = path.read_text(encoding="utf-8", errors="replace")
    found = re.search(r'^\s*id\s*=\s*"([^"\n]+)"', text, re.M)
    rule_id = found.group(1) if found else path.stem.split("-", 1)[0] or None
    at = re.search(r"at line (\d+)", str(exc))
    lines = text.splitlines()
    key = None
    if at and 0 < int(at.group(1)) <= len(lines):
        key = re.match(r"\s*[\[{]*\s*([A-Za-z_][\w.-]*)", lines[int(at.group(1)) - 1])
    if key is None:
        return RuleLoadError(
            f"{where}: rule {rule_id}: invalid TOML: {exc}" if rule_id else f"{where}: invalid TOML: {exc}"
        )
    return _error(where, rule_id, key.group(1), f"invalid TOML: {exc}")


_PLAIN = {"missing": "missing", "extra_forbidden": "unknown key"}


def _first_error(exc: ValidationError) -> tuple[str, str]:
    """The first pydantic error as (dotted field path, one-line problem)."""
    error = exc.errors()[0]
    field = ""
    for part in error["loc"]:
        field += f"[{part}]" if isinstance(part, int) else f".{part}" if field else str(part)
    problem = _PLAIN.get(error["type"]) or error["msg"].removeprefix("Value error, ")
    more = exc.error_count() - 1
    return field, " ".join(problem.split()) + (f" (+{more} more)" if more else "")
