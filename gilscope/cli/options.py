"""The one table of `gilscope profile` and `gilscope attach` options (stdlib only: the entry point reads it
before typer and pydantic are imported).

Everything else is derived from it:
- the typer options of both commands (cli/app.py),
- where SCRIPT starts on the command line (cli/args.py) and which options the early-start fast path takes
  (cli/early.py),
- the keys of [tool.gilscope] and their types (cli/config.py).

Adding an option is one row here, one field in ProfileOptions (below, filled by profile_options), and
its use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gilscope.formats import FILE_FORMATS, Engine, Format

FAIL_ON = ("info", "warning", "error", "never")
PROFILE, ATTACH = "profile", "attach"
BOTH = (PROFILE, ATTACH)


@dataclass(frozen=True)
class Option:
    dest: str  # the typer parameter (and mostly the ProfileOptions field)
    flag: str | None  # None: a [tool.gilscope] key only
    kind: type  # Path, str, float, int, bool or list (repeatable str/Path, see item)
    help: str
    commands: tuple[str, ...] = BOTH
    config: str | None = None  # the [tool.gilscope] key; None: not in the config
    early: bool = True  # the early-start fast path may take it (False: typer must judge it first)
    item: type = str  # a list's items
    short: str | None = None
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()  # the config's allowed values (the command line checks them itself)
    attach_help: str | None = None  # where `attach` says it differently
    show_default: bool = True


# The file outputs: Format -> the option's name (--markdown writes Format.md).
OUTPUT_FLAGS = {
    Format.json: "json",
    Format.md: "markdown",
    Format.html: "html",
    Format.sarif: "sarif",
    Format.speedscope: "speedscope",
}
assert set(OUTPUT_FLAGS) == set(FILE_FORMATS)
_OUTPUT_HELP = {
    Format.json: "Write the JSON report here.",
    Format.md: "Write the Markdown report here.",
    Format.html: "Write the self-contained HTML report here.",
    Format.sarif: "Write SARIF 2.1.0 here (code scanning).",
    Format.speedscope: "Write the samples for speedscope.",
}

OPTIONS: tuple[Option, ...] = (
    Option(
        "duration",
        "--duration",
        float,
        "Profile for this many seconds, then stop the target.",
        min=0.01,
        commands=(ATTACH,),
        attach_help="Profile for this many seconds (default: until Ctrl-C or until the process exits).",
        show_default=False,
    ),
    # A row per command where the two differ in place or meaning (duration, python): --help keeps its order.
    *(
        Option(f"{name}_path" if name == "json" else name, f"--{name}", Path, _OUTPUT_HELP[fmt], config=name)
        for fmt, name in OUTPUT_FLAGS.items()
    ),
    Option(
        "engine",
        "--engine",
        str,
        "auto (default: in-process sampler), cprofile, yappi or pyspy.",
        config="engine",
        choices=tuple(Engine),
        show_default=False,
        attach_help="auto (default: the in-process sampler through sys.remote_exec on 3.14+, else py-spy) "
        "or pyspy.",
    ),
    Option(
        "interval",
        "--interval",
        float,
        "Sampling interval in milliseconds (default 5).",
        min=0.5,
        max=1000,
        config="interval",
        show_default=False,
    ),
    Option("subprocesses", "--subprocesses", bool, "Profile the process's children too.", commands=(ATTACH,)),
    Option(
        "python",
        "--python",
        str,
        "The interpreter that calls sys.remote_exec (default: the process's own; it "
        "must be the same minor version).",
        commands=(ATTACH,),
        show_default=False,
    ),
    Option(
        "rules", "--rules", list, "Extra rule folder (repeatable).", config="rules", item=Path, early=False
    ),
    Option("ignore", "--ignore", list, "Rule id or name to skip (repeatable).", config="ignore"),
    Option(
        "fail_on",
        "--fail-on",
        str,
        "Exit 1 on findings at or above: info, warning, error.",
        config="fail-on",
        choices=FAIL_ON,
    ),
    Option(
        "baseline",
        "--baseline",
        Path,
        "Only findings not in this earlier report count for --fail-on.",
        config="baseline",
        early=False,
    ),
    Option(
        "timeout",
        "--timeout",
        float,
        "Stop the target after this many seconds (exit 124).",
        min=0.01,
        config="timeout",
        commands=(PROFILE,),
    ),
    Option(
        "duration",
        "--duration",
        float,
        "Profile for this many seconds, then stop the target.",
        min=0.01,
        commands=(PROFILE,),
    ),
    Option("quiet", "--quiet", bool, "No terminal summary.", short="-q"),
    Option(
        "verbose",
        "--verbose",
        bool,
        "Terminal summary with every hotspot, each finding's conditions, "
        "evidence and assumptions, and every diff.",
        short="-v",
        attach_help="Terminal summary with every detail.",
    ),
    Option(
        "threads",
        "--threads",
        bool,
        "List threads one by one in the terminal summary (default: grouped by role and name).",
        attach_help="List threads one by one in the terminal summary.",
    ),
    Option(
        "config",
        "--config",
        Path,
        "Read [tool.gilscope] from this file instead of the nearest pyproject.toml.",
        early=False,
        show_default=False,
    ),
    Option(
        "python",
        "--python",
        str,
        "Run the target under this interpreter (a venv's python, python3.13t, "
        "CPython 3.9+); gilscope itself runs where it is installed.",
        config="python",
        early=False,
        commands=(PROFILE,),
        show_default=False,
    ),
    Option(
        "min_share",
        None,
        float,
        "Hotspots below this share of the run are not listed (default 0.02).",
        config="min-share",
        min=0,
        max=1,
    ),
    Option(
        "max_hotspots",
        None,
        int,
        "List at most this many hotspots (default 25).",
        config="max-hotspots",
        min=1,
    ),
)


def options_of(command: str) -> list[Option]:
    """The command's options, in --help order."""
    return [o for o in OPTIONS if o.flag and command in o.commands]


def config_keys() -> list[Option]:
    """The [tool.gilscope] keys, each once."""
    return [o for o in OPTIONS if o.config]


# Derived for the stdlib-only entry point (cli/args.py, cli/early.py):
VALUE_OPTIONS = frozenset(o.flag for o in options_of(PROFILE) if o.kind is not bool and o.flag)
FLAGS = frozenset(f for o in options_of(PROFILE) if o.kind is bool for f in (o.flag, o.short) if f)
NOT_EARLY = frozenset(o.flag for o in options_of(PROFILE) if not o.early and o.flag)


@dataclass
class ProfileOptions:
    """One `profile` (or `attach`) run's options: the command line's, then resolved with [tool.gilscope]
    (cli/config.py resolve_profile). This is what pipeline.run takes."""

    target: list[str]
    outputs: dict[str, Path | None] = field(default_factory=dict)
    engine: str | None = None  # None: [tool.gilscope] engine, else auto
    interval_s: float | None = None  # None: [tool.gilscope] interval, else 5 ms
    rule_dirs: list[Path] = field(default_factory=list)  # added to [tool.gilscope] rules
    ignore: list[str] = field(default_factory=list)  # added to [tool.gilscope] ignore
    fail_on: str | None = None
    baseline: Path | None = None
    timeout_s: float | None = None
    stop_is_timeout: bool = True
    quiet: bool = False
    verbose: bool = False  # -v: the terminal summary's details (render options, not analysis)
    threads: bool = False  # --threads: one terminal row per thread
    min_share: float | None = None  # classifier thresholds (None: [tool.gilscope], else the built-in ones)
    max_hotspots: int | None = None
    config: Path | None = None  # --config; None: the nearest pyproject.toml's [tool.gilscope]
    python: str | None = None  # --python: the interpreter the target runs under (None: gilscope's own)


def profile_options(target: list[str], values: dict[str, Any]) -> ProfileOptions:
    """The command line's options (the option table's dests, as typer and the early start parse them), before
    [tool.gilscope] fills what they left unset."""
    interval, timeout = values.get("interval"), values.get("timeout")
    return ProfileOptions(
        target=target,
        outputs={
            fmt.value: values.get("json_path" if name == "json" else name)
            for fmt, name in OUTPUT_FLAGS.items()
        },
        engine=values.get("engine"),
        interval_s=interval / 1000.0 if interval is not None else None,
        rule_dirs=values.get("rules") or [],
        ignore=values.get("ignore") or [],
        fail_on=values.get("fail_on"),
        baseline=values.get("baseline"),
        timeout_s=timeout if timeout is not None else values.get("duration"),
        stop_is_timeout=timeout is not None,
        quiet=bool(values.get("quiet")),
        config=values.get("config"),
        verbose=bool(values.get("verbose")),
        threads=bool(values.get("threads")),
        python=values.get("python"),
    )
