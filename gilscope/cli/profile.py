"""`gilscope profile`: check the input, run the target under an engine, analyse, write every report."""

from __future__ import annotations

import dataclasses
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gilscope.cli import exits
from gilscope.cli.options import OUTPUT_FLAGS, ProfileOptions, profile_options
from gilscope.errors import GilscopeError, UsageError
from gilscope.formats import Engine, Format

if TYPE_CHECKING:
    from gilscope.collect.launch import Started

__all__ = ["EarlyStart", "ProfileOptions", "check_outputs", "check_target", "profile_options", "run_profile"]

SUFFIXES = (".py", ".pyw", ".pyz")


def check_target(target: list[str]) -> None:
    """A one-line error for a target python would refuse, before anything runs."""
    if not target:
        raise UsageError("missing SCRIPT (or -m MODULE) to profile")
    if target[0] == "-m":
        if len(target) < 2 or not target[1] or target[1].startswith("-"):
            raise UsageError("-m needs a MODULE name")
        return
    path = Path(target[0])
    if not path.exists():
        raise UsageError(f"script not found: {target[0]}")
    if path.is_dir():
        if not (path / "__main__.py").is_file():
            raise UsageError(f"{target[0]} is a folder, not a Python script (it has no __main__.py)")
        return
    if not os.access(path, os.R_OK):
        raise UsageError(f"cannot read script: {target[0]}")
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if path.suffix in (".pyz",) or head.startswith(b"PK\x03\x04"):
        return
    if b"\x00" in head or (path.suffix not in SUFFIXES and not _looks_like_python(path, head)):
        raise UsageError(f"{target[0]} is not a Python script")


# data and document files: even when their text happens to parse (JSON does), running one is a mistake
NOT_PYTHON = {
    ".json",
    ".toml",
    ".yaml",
    ".yml",
    ".ini",
    ".cfg",
    ".csv",
    ".tsv",
    ".txt",
    ".md",
    ".rst",
    ".html",
    ".xml",
    ".svg",
    ".sarif",
    ".log",
    ".sh",
    ".bash",
    ".c",
    ".h",
    ".cpp",
    ".js",
    ".ts",
    ".rb",
    ".go",
    ".rs",
}


def _looks_like_python(path: Path, head: bytes) -> bool:
    """A file without a .py name: a python shebang, or (no shebang, not a data file) text that compiles."""
    first = head.split(b"\n", 1)[0]
    if first.startswith(b"#!"):
        return b"python" in first
    if path.suffix.lower() in NOT_PYTHON:
        return False
    try:
        compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
    except (SyntaxError, ValueError, OSError):
        return False
    return True


def check_outputs(outputs: dict[str, Path | None]) -> None:
    for fmt, path in outputs.items():
        if path is None:
            continue
        if path.is_dir():
            raise UsageError(f"--{_flag(fmt)} {path}: is a folder")
        parent = path.parent if str(path.parent) else Path(".")
        if not parent.is_dir():
            raise UsageError(f"--{_flag(fmt)} {path}: folder {parent} does not exist")
        problem = _not_writable(parent)
        if problem:
            raise UsageError(f"--{_flag(fmt)} {path}: folder {parent} is not writable ({problem})")
        if path.exists() and not os.access(path, os.W_OK):
            raise UsageError(f"--{_flag(fmt)} {path}: file is not writable")


def _not_writable(folder: Path) -> str | None:
    """Why a file cannot be created in `folder`, found by creating one: os.access says yes to root even on a
    read-only mount or in /sys."""
    probe = folder / f".gilscope-probe-{os.getpid()}"
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        return None
    except OSError as exc:
        return exc.strerror or str(exc)
    try:
        os.unlink(probe)
    except OSError:
        pass
    return None


def _flag(fmt: str) -> str:
    return OUTPUT_FLAGS[Format(fmt)]


def parse_severity(value: str | None):
    from gilscope.model import Severity

    if value is None or value == "never":
        return None
    try:
        return Severity(value)
    except ValueError:
        raise UsageError(f"--fail-on {value!r}: use info, warning, error or never") from None


@dataclass
class EarlyStart:
    """What the entry point made of a plain command line before typer was imported (cli/early.py): the config
    resolved once, into options or the error it raised, and the target started when typer has nothing left to
    judge. The profile command takes it instead of resolving again."""

    given: ProfileOptions  # the command line's options, before [tool.gilscope]
    options: ProfileOptions | None = None  # resolved with [tool.gilscope], target and outputs checked
    error: GilscopeError | None = None  # what resolving or checking raised instead
    started: Started | None = None

    def stop(self) -> None:
        """Kill the target: it must not outlive a usage error, nor run twice."""
        if self.started is not None:
            self.started.proc.kill()
            self.started.proc.wait()


def run_command(options: ProfileOptions, early: EarlyStart | None = None) -> int:
    """`gilscope profile`'s exit code, errors printed: what typer's command and cli/main.py's fast path run."""
    try:
        return run_profile(options, early)
    except GilscopeError as exc:
        if early is not None:
            early.stop()  # a target started early must not outlive a usage error
        exits.print_error(exc)
        return exits.code_for(exc)


def run_profile(options: ProfileOptions, early: EarlyStart | None = None) -> int:
    """`options` as the command line gave them; `early`: what the entry point made of that same command line
    (the config resolved, maybe the run started), or None."""
    from gilscope.cli.config import resolve_profile

    if early is not None and early.given != options:  # cannot happen through the CLI: same argv, same table
        early.stop()
        early = None
    if early is None:
        options = resolve_profile(options)
        check_target(options.target)
        check_outputs(options.outputs)
    elif early.options is None:
        raise early.error or UsageError("the command line was not resolved")
    else:
        options = early.options
    started_early = early.started if early is not None else None
    if options.engine not in tuple(Engine):
        raise UsageError(f"--engine {options.engine!r}: use one of {', '.join(Engine)}")
    if options.python:
        from gilscope.collect.interpreter import check

        options = dataclasses.replace(options, python=check(options.python).path)
    from gilscope.gcpause import paused_gc

    # All that follows up to _collect overlaps the target's run when it was started early. The collector stays
    # off while it runs: the ~100k objects made by these imports live until the exit, and walking them again
    # and again as they are made costs a few ms.
    with paused_gc():
        no_pydantic_plugins()  # before pydantic validates a rule file (cache miss) or a --baseline
        threshold = parse_severity(options.fail_on)
        from gilscope.engine import load_rules

        rules = load_rules([Path(d) for d in options.rule_dirs], ignore=options.ignore)
        baseline = None
        if options.baseline is not None:
            from gilscope.gate import load_report

            baseline = load_report(options.baseline)
        _preload_stages(options)
        if started_early is not None:
            import gc

            gc.freeze()  # this process ends in os._exit: no collection need ever walk these objects again

    # The collector stays off from reading the data to the last report: this process builds and serialises
    # ~10 objects per distinct stack and ends with os._exit (benchmarks/scale.py: ~1 s of 3.8 s at 100k stacks).
    with paused_gc():
        profile, run, extra = _collect(options, started_early)
        from gilscope.pipeline import analyse

        report = analyse(
            profile, run, rules, extra, min_share=options.min_share, max_hotspots=options.max_hotspots
        )
        written = _write_outputs(report, options, rules)
    if not options.quiet:
        _print_summary(report, options)
    from gilscope.outputs import emit_github

    emit_github(report)
    from gilscope.collect import launch

    if launch.RECEIVED and not run.interrupted:  # a signal came while the report was being made
        return exits.SIGNAL[launch.RECEIVED]
    if not written:
        return exits.USAGE
    if run.interrupted and run.interrupted != "duration":  # --duration: stopping the target was the plan
        return exits.SIGNAL[run.interrupted]
    if run.exit_code not in (0, None) and run.interrupted != "duration":
        return exits.TARGET
    return gate_exit(report, threshold, baseline)


def gate_exit(report, threshold, baseline) -> int:
    """--fail-on: exits.GATE when a finding at or above the threshold (and not in the baseline) was found."""
    if threshold is not None:
        from gilscope.gate import gate

        code, _counted = gate(report, threshold, baseline)
        if code:
            return exits.GATE
    return exits.OK


def no_pydantic_plugins() -> None:
    """Build gilscope's own pydantic models without the installed pydantic plugins.

    Before its first model pydantic imports its plugin loader, which imports importlib.metadata (~35M
    instructions, 4-5% of an empty run's start-up) and then looks for plugins in the entry points of every
    installed distribution (5-15 ms). None is meant for gilscope's internal models, and this process never runs
    user code: the target is a separate interpreter, or a fork made before this call. So before pydantic is
    imported, the loader's module is a stand-in that finds no plugins, as PYDANTIC_DISABLE_PLUGINS=__all__
    would, without the import; any other name pydantic asks of it comes from the real loader. Once pydantic is
    imported, its plugin cache, still unset, is set to empty; with another pydantic nothing changes."""
    if "pydantic" not in sys.modules and _LOADER not in sys.modules:
        import types

        stand_in = types.ModuleType(_LOADER, "gilscope's stand-in for pydantic's plugin loader: no plugins")
        vars(stand_in).update(get_plugins=_no_plugins, __getattr__=_from_real_loader)
        sys.modules[_LOADER] = stand_in
        return
    from pydantic.plugin import _loader

    if getattr(_loader, "_plugins", False) is None and not getattr(_loader, "_loading_plugins", True):
        _loader._plugins = {}


_LOADER = "pydantic.plugin._loader"


def _no_plugins() -> tuple[()]:
    return ()


def _from_real_loader(name: str):
    """A name the stand-in lacks (a newer pydantic): the real loader replaces it, with plugins off."""
    if name.startswith("__"):  # the import system's own probes (__path__, __spec__...)
        raise AttributeError(name)
    import importlib

    sys.modules.pop(_LOADER, None)
    real = importlib.import_module(_LOADER)
    if getattr(real, "_plugins", False) is None:
        vars(real)["_plugins"] = {}
    return getattr(real, name)


def _preload_stages(options: ProfileOptions) -> None:
    """Import what analysis and rendering need while the target still runs (it was started early), so the
    user does not wait for those imports after it ends. Only the renderers this run uses."""
    import gilscope.advice
    import gilscope.analysis
    import gilscope.pipeline

    wanted = {fmt for fmt, path in options.outputs.items() if path is not None}
    if not options.quiet:
        wanted.add(Format.text)
    if os.environ.get("GITHUB_ACTIONS") == "true":  # outputs.emit_github: annotations and a Markdown summary
        import gilscope.render.annotations  # noqa: F401

        wanted.add(Format.md)
    if wanted:  # with -q and no file to write, nothing is rendered
        from gilscope.render.registry import preload

        preload(wanted)


def _collect(options: ProfileOptions, started_early: Started | None):
    from gilscope.cli.progress import Progress, wanted
    from gilscope.collect.launch import Launch, start, wait
    from gilscope.pipeline import collected

    launch = Launch(
        argv=options.target,
        engine=options.engine or "auto",
        interval_s=options.interval_s or 0.005,
        timeout_s=options.timeout_s,
        python=options.python or sys.executable,
    )
    started = started_early if started_early is not None else start(launch)
    if wanted(options.quiet):
        with Progress(lambda: started.proc.pid, options.interval_s or 0.005, since=started.started):
            outcome = wait(started)
    else:
        outcome = wait(started)
    return collected(
        outcome, options.target, options.engine or "auto", planned_stop=not options.stop_is_timeout
    )


def _write_outputs(report, options: ProfileOptions, rules) -> bool:
    """Write every requested report; one that fails does not stop the others. False when any failed."""
    ok = True
    for key, path in options.outputs.items():
        if path is None:
            continue
        from gilscope.outputs import write_atomic
        from gilscope.render import render

        try:
            write_atomic(path, render(report, Format(key), rules=rules))
        except (OSError, GilscopeError) as exc:
            sys.stderr.write(f"gilscope: error: could not write {path}: {exc}\n")
            ok = False
    return ok


def _print_summary(report, options: ProfileOptions) -> None:
    from gilscope.render import Format, RenderOptions, render

    width = 100
    try:
        width = max(60, min(140, os.get_terminal_size(sys.stderr.fileno()).columns))
    except OSError:
        pass
    opts = RenderOptions(
        color=sys.stderr.isatty(), width=width, verbose=options.verbose, threads=options.threads
    )
    sys.stderr.write(render(report, Format.text, options=opts))
