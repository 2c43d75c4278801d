"""The typer app. Thin: its options come from the option table (cli/options.py), the commands run the pipeline
(cli/profile.py, cli/attach.py, cli/reports.py, cli/rules.py), and domain errors become exit codes through
cli/exits.py's one map, printed by its one printer.
"""

import inspect
import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer

from gilscope.cli import exits
from gilscope.cli.options import ATTACH, PROFILE, Option, options_of
from gilscope.errors import GilscopeError

app = typer.Typer(
    name="gilscope",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    help="Is it the CPU, the I/O or the GIL? Profile a Python script and get evidence-backed advice.",
)


def _typer_param(option: Option, command: str) -> inspect.Parameter:
    """One row of the option table as the typer parameter of `command`."""
    help_text = option.attach_help if command == ATTACH and option.attach_help else option.help
    names = [n for n in (option.flag, option.short) if n]
    kind: Any
    if option.kind is bool:
        kind, default = bool, False
    elif option.kind is list:
        kind, default = list[option.item] | None, None  # type: ignore[name-defined]
    else:
        kind, default = option.kind | None, None
    info = typer.Option(
        *names, help=help_text, min=option.min, max=option.max, show_default=option.show_default
    )
    return inspect.Parameter(
        option.dest, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=Annotated[kind, info]
    )


def _with_options(
    command: str, *first: inspect.Parameter
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Give a `def cmd(first..., **values)` command the table's options as its typer signature."""

    def decorate(func: Callable[..., None]) -> Callable[..., None]:
        params = [*first, *(_typer_param(o, command) for o in options_of(command))]
        func.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        func.__annotations__ = {p.name: p.annotation for p in params}
        return func

    return decorate


def _fail(exc: GilscopeError) -> typer.Exit:
    exits.print_error(exc)
    return typer.Exit(exits.code_for(exc))


_TARGET = inspect.Parameter(
    "target",
    inspect.Parameter.POSITIONAL_OR_KEYWORD,
    annotation=Annotated[
        list[str], typer.Argument(help="SCRIPT [ARGS]... or -m MODULE [ARGS]...", show_default=False)
    ],
)
_CONTEXT = inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context)
_PID = inspect.Parameter(
    "pid",
    inspect.Parameter.POSITIONAL_OR_KEYWORD,
    annotation=Annotated[
        int, typer.Argument(help="The running Python process to profile.", show_default=False)
    ],
)


@app.command(context_settings={"allow_interspersed_args": False})
@_with_options(PROFILE, _CONTEXT, _TARGET)
def profile(ctx: typer.Context, target: list[str], **values: Any) -> None:
    """Run SCRIPT (or -m MODULE) exactly as python would, profile it, and report hotspots and advice.

    Defaults come from [tool.gilscope] in the nearest pyproject.toml; options given here win."""
    from gilscope.cli.profile import EarlyStart, profile_options, run_command

    early = ctx.obj  # cli/main.py: what the early start resolved, or None
    raise typer.Exit(
        run_command(profile_options(target, values), early if isinstance(early, EarlyStart) else None)
    )


@app.command(context_settings={"allow_interspersed_args": True})
@_with_options(ATTACH, _PID)
def attach(pid: int, **values: Any) -> None:
    """Profile a running Python process for --duration seconds (or until Ctrl-C), then leave it running as it
    was, and report hotspots and advice as `profile` does."""
    from gilscope.cli.attach import run_attach
    from gilscope.cli.profile import profile_options

    duration, subprocesses, python = values.pop("duration"), values.pop("subprocesses"), values.pop("python")
    try:
        code = run_attach(pid, profile_options([], values), duration, subprocesses, python)
    except GilscopeError as exc:
        raise _fail(exc) from None
    raise typer.Exit(code)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the report that --json writes."""
    import json

    from gilscope.model.validate import report_schema

    sys.stdout.write(json.dumps(report_schema(), indent=2) + "\n")


def _register_optional() -> None:
    from gilscope.cli import reports, rules

    reports.register(app)
    rules.register(app)


_register_optional()
