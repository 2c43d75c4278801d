"""The command line. Thin: parses options, runs the pipeline, maps domain errors to exit codes.

Exit codes: 0 success; 1 the gate failed (--fail-on); 2 usage or input error; 3 the target failed;
124 --timeout stopped the target; 130/143 interrupted by SIGINT/SIGTERM. A report is written in every case
where the target ran.
"""
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from gilscope.errors import GilscopeError
from gilscope.formats import Engine

app = typer.Typer(
    name="gilscope", no_args_is_help=True, add_completion=False, rich_markup_mode=None,
    help="Is it the CPU, the I/O or the GIL? Profile a Python script and get evidence-backed advice.",
)

EXIT_GATE, EXIT_USAGE, EXIT_TARGET, EXIT_TIMEOUT = 1, 2, 3, 124
EXIT_SIGNAL = {"SIGINT": 130, "SIGTERM": 143, "timeout": EXIT_TIMEOUT}
ENGINES = tuple(engine.value for engine in Engine)


def _error(message: str, code: int = EXIT_USAGE) -> "typer.Exit":
    sys.stderr.write(f"gilscope: error: {message}\n")
    return typer.Exit(code)


@app.command(context_settings={"allow_interspersed_args": False})
def profile(
    target: Annotated[list[str], typer.Argument(help="SCRIPT [ARGS]... or -m MODULE [ARGS]...", show_default=False)],
    json_path: Annotated[Optional[Path], typer.Option("--json", help="Write the JSON report here.")] = None,
    markdown: Annotated[Optional[Path], typer.Option("--markdown", help="Write the Markdown report here.")] = None,
    html: Annotated[Optional[Path], typer.Option("--html", help="Write the self-contained HTML report here.")] = None,
    sarif: Annotated[Optional[Path], typer.Option("--sarif", help="Write SARIF 2.1.0 here (code scanning).")] = None,
    speedscope: Annotated[Optional[Path], typer.Option("--speedscope", help="Write the samples for speedscope.")] = None,
    engine: Annotated[Optional[str], typer.Option(help="auto (default: in-process sampler), cprofile, yappi or pyspy.",
                                                  show_default=False)] = None,
    interval: Annotated[Optional[float], typer.Option(help="Sampling interval in milliseconds (default 5).", min=0.5,
                                                      max=1000, show_default=False)] = None,
    rules: Annotated[Optional[list[Path]], typer.Option("--rules", help="Extra rule folder (repeatable).")] = None,
    ignore: Annotated[Optional[list[str]], typer.Option("--ignore", help="Rule id or name to skip (repeatable).")] = None,
    fail_on: Annotated[Optional[str], typer.Option("--fail-on", help="Exit 1 on findings at or above: info, warning, error.")] = None,
    baseline: Annotated[Optional[Path], typer.Option(help="Only findings not in this earlier report count for --fail-on.")] = None,
    timeout: Annotated[Optional[float], typer.Option(help="Stop the target after this many seconds (exit 124).", min=0.01)] = None,
    duration: Annotated[Optional[float], typer.Option(help="Profile for this many seconds, then stop the target.", min=0.01)] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No terminal summary.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Terminal summary with every hotspot, each "
                       "finding's conditions, evidence and assumptions, and every diff.")] = False,
    threads: Annotated[bool, typer.Option("--threads", help="List threads one by one in the terminal summary "
                       "(default: grouped by role and name).")] = False,
    config: Annotated[Optional[Path], typer.Option(help="Read [tool.gilscope] from this file instead of the "
                      "nearest pyproject.toml.", show_default=False)] = None,
    python: Annotated[Optional[str], typer.Option("--python", help="Run the target under this interpreter (a "
                      "venv's python, python3.13t, CPython 3.9+); gilscope itself runs where it is installed.",
                      show_default=False)] = None,
) -> None:
    """Run SCRIPT (or -m MODULE) exactly as python would, profile it, and report hotspots and advice.

    Defaults come from [tool.gilscope] in the nearest pyproject.toml; options given here win."""
    from gilscope.cli.profile import ProfileOptions, run_profile

    options = ProfileOptions(
        target=target, outputs={"json": json_path, "md": markdown, "html": html, "sarif": sarif,
                                "speedscope": speedscope},
        engine=engine, interval_s=interval / 1000.0 if interval is not None else None, rule_dirs=rules or [],
        ignore=ignore or [], fail_on=fail_on, baseline=baseline, timeout_s=timeout if timeout is not None else duration,
        stop_is_timeout=timeout is not None, quiet=quiet, config=config, verbose=verbose, threads=threads,
        python=python)
    try:
        code = run_profile(options)
    except GilscopeError as exc:
        _stop_early_run()
        raise _error(str(exc), exc.exit_code) from None
    raise typer.Exit(code)


@app.command(context_settings={"allow_interspersed_args": True})
def attach(
    pid: Annotated[int, typer.Argument(help="The running Python process to profile.", show_default=False)],
    duration: Annotated[Optional[float], typer.Option(help="Profile for this many seconds (default: until Ctrl-C "
                        "or until the process exits).", min=0.01, show_default=False)] = None,
    json_path: Annotated[Optional[Path], typer.Option("--json", help="Write the JSON report here.")] = None,
    markdown: Annotated[Optional[Path], typer.Option("--markdown", help="Write the Markdown report here.")] = None,
    html: Annotated[Optional[Path], typer.Option("--html", help="Write the self-contained HTML report here.")] = None,
    sarif: Annotated[Optional[Path], typer.Option("--sarif", help="Write SARIF 2.1.0 here (code scanning).")] = None,
    speedscope: Annotated[Optional[Path], typer.Option("--speedscope", help="Write the samples for speedscope.")] = None,
    engine: Annotated[Optional[str], typer.Option(help="auto (default: the in-process sampler through "
                      "sys.remote_exec on 3.14+, else py-spy) or pyspy.", show_default=False)] = None,
    interval: Annotated[Optional[float], typer.Option(help="Sampling interval in milliseconds (default 5).", min=0.5,
                                                      max=1000, show_default=False)] = None,
    subprocesses: Annotated[bool, typer.Option("--subprocesses", help="Profile the process's children too.")] = False,
    python: Annotated[Optional[str], typer.Option("--python", help="The interpreter that calls sys.remote_exec "
                      "(default: the process's own; it must be the same minor version).", show_default=False)] = None,
    rules: Annotated[Optional[list[Path]], typer.Option("--rules", help="Extra rule folder (repeatable).")] = None,
    ignore: Annotated[Optional[list[str]], typer.Option("--ignore", help="Rule id or name to skip (repeatable).")] = None,
    fail_on: Annotated[Optional[str], typer.Option("--fail-on", help="Exit 1 on findings at or above: info, warning, error.")] = None,
    baseline: Annotated[Optional[Path], typer.Option(help="Only findings not in this earlier report count for --fail-on.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No terminal summary.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Terminal summary with every detail.")] = False,
    threads: Annotated[bool, typer.Option("--threads", help="List threads one by one in the terminal summary.")] = False,
    config: Annotated[Optional[Path], typer.Option(help="Read [tool.gilscope] from this file instead of the "
                      "nearest pyproject.toml.", show_default=False)] = None,
) -> None:
    """Profile a running Python process for --duration seconds (or until Ctrl-C), then leave it running as it
    was, and report hotspots and advice as `profile` does."""
    from gilscope.cli.attach import run_attach
    from gilscope.cli.profile import ProfileOptions

    options = ProfileOptions(
        target=[], outputs={"json": json_path, "md": markdown, "html": html, "sarif": sarif, "speedscope": speedscope},
        engine=engine, interval_s=interval / 1000.0 if interval is not None else None, rule_dirs=rules or [],
        ignore=ignore or [], fail_on=fail_on, baseline=baseline, quiet=quiet, config=config, verbose=verbose,
        threads=threads)
    try:
        code = run_attach(pid, options, duration, subprocesses, python)
    except GilscopeError as exc:
        raise _error(str(exc), exc.exit_code) from None
    raise typer.Exit(code)


def _stop_early_run() -> None:
    """A target the entry point started early must not outlive a usage error."""
    launch = sys.modules.get("gilscope.collect.launch")
    early = getattr(launch, "EARLY", None)
    if early is not None:
        launch.EARLY = None
        early.proc.kill()
        early.proc.wait()


@app.command()
def schema() -> None:
    """Print the JSON Schema of the report that --json writes."""
    import json

    from gilscope.model import Report
    sys.stdout.write(json.dumps(Report.model_json_schema(), indent=2) + "\n")


def _register_optional() -> None:
    from gilscope.cli import reports, rules
    reports.register(app)
    rules.register(app)


_register_optional()


def main() -> None:
    from gilscope.cli.main import main as entry_main
    entry_main()
