"""`gilscope profile` starts the target before gilscope's stages are imported (and never imports typer), so
their import overlaps the target's run instead of adding to it. Only a plain command line whose options are all
understood here is started early; anything else (and every error) is left to the typer command.

The options are parsed with the option table (cli/options.py) into the same ProfileOptions typer would give,
and [tool.gilscope] is resolved here, once. The EarlyStart (the resolved options or the error, and the run when
it started) goes on explicitly: cli/main.py hands a started run straight to the profile command
(cli/profile.py run_command) without typer, and anything else to typer's profile command as its context object.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from gilscope.cli.options import FLAGS, NOT_EARLY, PROFILE, options_of

if TYPE_CHECKING:
    from gilscope.cli.profile import EarlyStart


def _early_values(argv: list[str]) -> tuple[dict[str, Any], list[str]] | None:
    """A plain `profile ... -- TARGET` command line as (the option table's dests -> values, TARGET), or None
    to leave everything to typer."""
    if not argv or argv[0] != PROFILE or "--" not in argv:
        return None
    by_flag = {name: o for o in options_of(PROFILE) for name in (o.flag, o.short) if name}
    split = argv.index("--")
    values: dict[str, Any] = {}
    i = 1
    while i < split:
        name, eq, value = argv[i].partition("=")
        option = by_flag.get(name)
        if option is None or name in NOT_EARLY:  # --help, or validated before anything runs (typer's job)
            return None
        if argv[i] in FLAGS:
            values[option.dest] = True
        elif option.kind is bool:
            return None
        else:
            if not eq:
                if i + 1 >= split:
                    return None
                value = argv[i + 1]
                i += 1
            try:
                parsed: Any = option.kind(value) if option.kind in (float, int) else value
            except ValueError:
                return None
            if (option.min is not None and parsed < option.min) or (
                option.max is not None and parsed > option.max
            ):
                return None
            if option.kind is list:
                values.setdefault(option.dest, []).append(option.item(value))
            else:
                values[option.dest] = Path(value) if option.kind is Path else parsed
        i += 1
    return values, argv[split + 1 :]


def start_early(argv: list[str]) -> EarlyStart | None:
    """A plain `gilscope profile` command line resolved with [tool.gilscope], and its target started when
    nothing is left for typer to judge; None when the command line is not plain."""
    parsed = _early_values(argv)
    if parsed is None or not parsed[1]:
        return None
    from gilscope.cli.config import resolve_profile
    from gilscope.cli.profile import EarlyStart, check_outputs, check_target, profile_options
    from gilscope.errors import GilscopeError

    given = profile_options(parsed[1], parsed[0])
    try:
        # [tool.gilscope] fills what the command line left unset (cheap without one)
        options = resolve_profile(given)
        check_target(options.target)
        check_outputs(options.outputs)
    except GilscopeError as exc:
        return EarlyStart(given, error=exc)  # typer's command reports it
    from gilscope.formats import Engine

    if (
        options.engine not in (Engine.auto, Engine.sampler, Engine.cprofile, Engine.yappi)
        or options.rule_dirs
        or options.python  # [tool.gilscope] python: checked, then started under that interpreter
        or options.baseline
        or options.fail_on not in (None, "info", "warning", "error", "never")
        or options.interval_s is None
        or not 0.0005 <= options.interval_s <= 1.0
        or (options.timeout_s is not None and options.timeout_s < 0.01)
    ):
        return EarlyStart(given, options)  # typer judges these; user rules and a baseline are checked first
    from gilscope.collect import launch

    started = launch.start(
        launch.Launch(
            argv=options.target,
            engine=options.engine,
            interval_s=options.interval_s,
            timeout_s=options.timeout_s,
        ),
        fork=True,
    )  # nothing heavy is imported yet and no thread runs: a fork is safe
    _pass_signals_on(started.proc)
    return EarlyStart(given, options, started=started)


def _pass_signals_on(proc) -> None:
    """Until launch.wait takes over, a SIGINT/SIGTERM sent to gilscope goes on to the running target
    (which records it in its data) instead of killing gilscope in the middle of its imports."""
    from gilscope.collect import launch

    launch.relay_signals(proc)
