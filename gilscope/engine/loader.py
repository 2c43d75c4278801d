"""Load rule files: builtin rules/ plus user folders. Every problem is one-line RuleLoadError.

The checks double as the lint for the rules folder: TOML syntax, the Rule model (facts, ops,
docs, inline tests), unique ids and names, file name = ID-name.toml and folder = category.

The builtin rules, once checked, are kept in the user's cache folder (a pickle keyed by the rule files'
bytes and the code that checks them, one per installation): `gilscope profile` then starts ~25 ms sooner.
User folders are always read and checked afresh.
"""

from __future__ import annotations

import importlib.util
import os
import pickle
import re
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from gilscope.engine.conditions import ConditionError
from gilscope.engine.digest import sha256
from gilscope.engine.rule import Rule
from gilscope.errors import RuleLoadError

if TYPE_CHECKING:
    from pydantic import ValidationError

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
        for rule, where in _builtin_rules(root) if builtin else _load_folder(root, builtin):
            for field, key in (("id", rule.id), ("name", rule.name)):
                if key in seen:
                    raise _error(where, rule.id, field, f"duplicate {field} '{key}', also in {seen[key]}")
                seen[key] = where
            rules.append(rule)
    skip = set(ignore)
    return [rule for rule in rules if rule.id not in skip and rule.name not in skip]


def _load_folder(root: Path, builtin: bool, paths: list[Path] | None = None) -> list[tuple[Rule, str]]:
    """Every rule file under `root`, checked, as (rule, where) sorted by id."""
    paths = sorted(root.rglob("*.toml")) if paths is None else paths
    loaded = [(load_rule_file(path, root, builtin), path) for path in paths]
    return [(rule, display_path(path, root, builtin)) for rule, path in sorted(loaded, key=lambda p: p[0].id)]


# What a checked Rule depends on besides its file: the code of the models and of the checks, and the versions.
_CODE = (_PACKAGE / "engine", _PACKAGE / "model")
_CODE_FILES = (_PACKAGE / "formats.py", _PACKAGE / "errors.py", _PACKAGE / "__init__.py")


def _builtin_rules(root: Path) -> list[tuple[Rule, str]]:
    """The builtin rules as _load_folder gives them, from the cache when nothing they depend on changed.

    The key is a hash of every rule file's path and bytes, of gilscope's engine and model code, and of the
    Python and pydantic versions. A cache that is missing, unreadable, stale, not ours, or written by
    another version is ignored and written again; one that cannot be written is skipped. Broken rules are
    never cached: they raise here on every run, as without a cache."""
    paths = sorted(root.rglob("*.toml"))
    cache = _cache_file()
    if cache is None:
        return _load_folder(root, True, paths)
    try:
        key = _cache_key(root, paths)
    except OSError:
        return _load_folder(root, True, paths)
    cached = _read_cache(cache, key)
    if cached is not None:
        return cached
    rules = _load_folder(root, True, paths)
    _write_cache(cache, key, rules)
    return rules


def _cache_file() -> Path | None:
    """rules-<python>-<installation>.pickle in the user's cache folder ($XDG_CACHE_HOME or ~/.cache,
    %LOCALAPPDATA%). One file per installed gilscope (a hash of its folder): two of them under one user (a CI
    checkout and a working copy, two virtual environments) would otherwise replace each other's cache on every
    run, and each miss costs ~25 ms of TOML parsing and rule checks."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA", "")
    else:
        base = os.environ.get("XDG_CACHE_HOME", "")
        if not os.path.isabs(base):
            base = os.path.join(os.path.expanduser("~"), ".cache")
    if not os.path.isabs(base):  # no home folder: no cache
        return None
    installation = sha256(str(_PACKAGE).encode()).hexdigest()[:12]
    return Path(base, "gilscope", f"rules-{sys.implementation.cache_tag}-{installation}.pickle")


def _cache_key(root: Path, paths: list[Path]) -> str:
    digest = sha256()
    for part in (sys.version, _pydantic_version(), str(pickle.HIGHEST_PROTOCOL)):
        digest.update(part.encode() + b"\0")
    code = [file for folder in _CODE for file in sorted(folder.glob("*.py"))] + list(_CODE_FILES)
    for path, name in [(p, p.name) for p in code] + [(p, p.relative_to(root).as_posix()) for p in paths]:
        data = path.read_bytes()
        digest.update(f"{name}\0{len(data)}\0".encode() + data)
    return digest.hexdigest()


def _pydantic_version() -> str:
    """The text of pydantic's version module (its version, and the pydantic_core it requires), read without
    importing pydantic: a profile run that hits the cache never imports it."""
    spec = importlib.util.find_spec("pydantic")
    if spec is None or not spec.submodule_search_locations:
        return ""
    path = Path(next(iter(spec.submodule_search_locations)), "version.py")
    return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""


def _read_cache(cache: Path, key: str) -> list[tuple[Rule, str]] | None:
    try:
        with cache.open("rb") as handle:
            info = os.fstat(handle.fileno())
            if hasattr(os, "getuid") and (info.st_uid != os.getuid() or info.st_mode & 0o022):
                return None  # only a file this user wrote, that nobody else can change, is unpickled
            stored_key, rules = pickle.load(handle)
    except Exception:  # a cache can only save time: a missing, torn or foreign file is a miss
        return None
    if stored_key != key or not isinstance(rules, list):
        return None
    if not all(type(pair) is tuple and type(pair[0]) is Rule and type(pair[1]) is str for pair in rules):
        return None
    return rules


def _write_cache(cache: Path, key: str, rules: list[tuple[Rule, str]]) -> None:
    """Atomically (a temporary file, then os.replace): a concurrent run reads the old file or the new one."""
    tmp = ""
    try:
        cache.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{cache.name}.", suffix=".tmp", dir=cache.parent)
        with os.fdopen(fd, "wb") as handle:
            pickle.dump((key, rules), handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, cache)
        tmp = ""
    except (OSError, pickle.PicklingError):
        pass  # no cache this time: the next run checks the rules again
    finally:
        if tmp:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def load_rule_file(path: Path, root: Path | None = None, builtin: bool = False) -> Rule:
    root = root or path.parent
    import tomllib

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
    from pydantic import ValidationError  # a rule file read afresh (the cache holds checked rules)

    from gilscope.model.validate import validated

    try:
        return validated(Rule, data)
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


_PLAIN = {
    "missing": "missing",
    "missing_keyword_argument": "missing",
    "extra_forbidden": "unknown key",
    "unexpected_keyword_argument": "unknown key",
}


def _first_error(exc: ValidationError) -> tuple[str, str]:
    """The first pydantic error as (dotted field path, one-line problem)."""
    error = exc.errors()[0]
    field = ""
    for part in error["loc"]:
        field += f"[{part}]" if isinstance(part, int) else f".{part}" if field else str(part)
    problem = _PLAIN.get(error["type"]) or error["msg"].removeprefix("Value error, ")
    more = exc.error_count() - 1
    return field, " ".join(problem.split()) + (f" (+{more} more)" if more else "")
