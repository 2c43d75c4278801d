"""`gilscope rules ...`: list, show and check the rules, and list the facts they can read."""

from __future__ import annotations

import difflib
import json
from enum import Enum, StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gilscope.cli import exits
from gilscope.errors import ConfigError, RuleLoadError

if TYPE_CHECKING:  # the engine (pydantic) is imported inside the commands, so `gilscope --help` starts fast
    from gilscope.engine import Rule

rules_app = typer.Typer(help="List, explain and check the rules.", no_args_is_help=True)

RulesDirs = Annotated[
    list[Path] | None,
    typer.Option(
        "--rules",
        help="An extra folder of rule files (repeatable; added to [tool.gilscope] rules).",
        file_okay=False,
    ),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        help="Read [tool.gilscope] from this file instead of the nearest pyproject.toml.", show_default=False
    ),
]


class ShowFormat(StrEnum):
    markdown = "markdown"
    json = "json"


def register(app: typer.Typer) -> None:
    """Add the `rules` command group to the main app."""
    app.add_typer(rules_app, name="rules")


def _fail(message: str) -> typer.Exit:
    exits.print_error(message)
    return typer.Exit(exits.USAGE)


def _load(dirs: list[Path] | None, config: Path | None = None) -> list[Rule]:
    """Builtin rules, [tool.gilscope] rules folders, then --rules folders (ignore does not hide rules here)."""
    from gilscope.cli.config import load_config
    from gilscope.engine import load_rules

    try:
        return load_rules(load_config(config).rule_dirs_and(dirs or []))
    except (ConfigError, RuleLoadError) as exc:
        raise _fail(str(exc)) from None


def find_rule(rules: list[Rule], key: str) -> Rule | None:
    """A rule by id (any case) or by name."""
    for rule in rules:
        if key.upper() == rule.id or key == rule.name:
            return rule
    return None


@rules_app.command("list")
def list_rules(rules: RulesDirs = None, config: ConfigOpt = None) -> None:
    """List every rule: id, name, severity and title."""
    from rich.console import Console
    from rich.table import Table

    table = Table("id", "name", "severity", "title", title=None, box=None, pad_edge=False)
    for rule in _load(rules, config):
        table.add_row(rule.id, rule.name, rule.severity.value, rule.title)
    Console().print(table)


@rules_app.command("show")
def show(
    rule: Annotated[str, typer.Argument(help="A rule id (GS301) or name (threads-serialised-by-gil).")],
    format: Annotated[ShowFormat, typer.Option("--format", help="Markdown docs, or JSON with the docs.")] = (
        ShowFormat.markdown
    ),
    rules: RulesDirs = None,
    config: ConfigOpt = None,
) -> None:
    """Explain one rule: what it detects, when it fires, what to do, with an example."""
    from gilscope.engine import rule_markdown
    from gilscope.engine.rule import rule_data

    loaded = _load(rules, config)
    found = find_rule(loaded, rule)
    if found is None:
        keys = [r.id for r in loaded] + [r.name for r in loaded]
        close = difflib.get_close_matches(rule.upper(), keys, n=3) or difflib.get_close_matches(
            rule, keys, n=3
        )
        hint = f"; did you mean {', '.join(close)}?" if close else "; `gilscope rules list` shows them all"
        raise _fail(f"unknown rule '{rule}'{hint}")
    markdown = rule_markdown(found)
    if format is ShowFormat.json:
        typer.echo(json.dumps({**rule_data(found), "markdown": markdown}, indent=2))
    else:
        typer.echo(markdown, nl=False)


@rules_app.command("check")
def check(rules: RulesDirs = None, config: ConfigOpt = None) -> None:
    """Load every rule (the lint) and run its inline tests; exit 1 if any test fails."""
    from gilscope.engine import run_rule_tests

    loaded = _load(rules, config)
    failures = [failure for rule in loaded for failure in run_rule_tests(rule)]
    for failure in failures:
        typer.echo(f"FAIL {failure}")
    tests = sum(len(rule.tests) for rule in loaded)
    typer.echo(f"{len(loaded)} rules, {tests} tests, {len(failures)} failed")
    if failures:
        raise typer.Exit(1)


@rules_app.command("facts")
def facts() -> None:
    """List the facts rule conditions and messages can read."""
    from rich.console import Console
    from rich.table import Table

    from gilscope.engine.conditions import type_label
    from gilscope.model import fact_fields

    table = Table("fact", "type", "default", "description", box=None, pad_edge=False)
    for name, field in fact_fields().items():
        default = field.default.value if isinstance(field.default, Enum) else field.default
        table.add_row(name, type_label(name), repr(default), field.metadata.get("description", ""))
    Console().print(table)
