"""Run the target in a child interpreter under the agent, and bring back what it collected.

The child inherits stdin, stdout and stderr, so the target's I/O is untouched. Signals: Ctrl-C reaches the
whole process group; a SIGINT or SIGTERM sent to gilscope alone is passed on to the child. `--timeout` sends
SIGTERM, then SIGKILL after a grace period. Whatever happens, the data files the child wrote are read back.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported where used: it costs ~2 ms before the target starts
    import subprocess

GRACE_S = 3.0
# Its sitecustomize profiles the Python processes the target starts (spawned workers, subprocesses).
INJECT_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "agent", "inject")


@dataclass
class Launch:
    argv: list[str]  # SCRIPT ARGS... or -m MODULE ARGS...
    engine: str = "auto"
    interval_s: float = 0.005
    timeout_s: float | None = None
    python: str = sys.executable


@dataclass
class Outcome:
    returncode: int  # the child's status, 128+N when it died of signal N
    wall_s: float
    interrupted: str | None  # "SIGINT", "SIGTERM" or "timeout"
    data: list[dict] = field(default_factory=list)  # one dict per profiled process, main process first
    errors: list[str] = field(default_factory=list)


RECEIVED: str | None = None  # the first SIGINT/SIGTERM gilscope got since the target started
_RELAY_PROC: subprocess.Popen | None = None
TERMINAL_GRACE_S = 2.0
_Timer: Any = None


def relay_signals(proc: subprocess.Popen | None) -> None:
    """From now until gilscope exits, SIGINT/SIGTERM are recorded and passed on to the running target instead
    of killing gilscope (which then still writes the report). After the target ended they are only recorded."""
    global _RELAY_PROC, _Timer
    _RELAY_PROC = proc
    from threading import (
        Timer,  # here, not in the handler: a signal can land while `threading` is half imported
    )

    _Timer = Timer
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _relay)


def _relay(signum, frame) -> None:
    global RECEIVED
    RECEIVED = RECEIVED or signal.Signals(signum).name
    proc = _RELAY_PROC
    if proc is None or proc.poll() is not None:
        return
    if signum == signal.SIGINT:
        # A Ctrl-C in a terminal (or a SIGINT to the process group) reached the target too: sending it again
        # at once would cut short the target's own KeyboardInterrupt clean-up. Pass it on only if the target
        # is still running a little later (it was sent to gilscope alone).
        timer = _Timer(TERMINAL_GRACE_S, _send, (proc, signum))
        timer.daemon = True
        timer.start()
        return
    _send(proc, signum)


def _send(proc: subprocess.Popen, signum: int) -> None:
    if proc.poll() is None:
        try:
            proc.send_signal(signum)
        except ProcessLookupError:
            pass


@dataclass
class Started:
    launch: Launch
    proc: subprocess.Popen  # or a ForkedAgent (the early fork), which has Popen's interface
    out: Path
    started: float
    pyspy: Any = None  # a PySpyRun when py-spy samples the run from outside
    notes: list[str] = field(default_factory=list)


def start(launch: Launch, fork: bool = False) -> Started:
    """Start the target under the agent. With fork=True (the entry point's early start, when nothing but the
    standard library has been imported) the agent is a fork of this process rather than a new interpreter:
    the same run, ~25 ms sooner."""
    workdir = _private_dir()
    out = workdir / "profile.json"
    engine, notes = platform_engine(launch.engine)
    settings = {"out": str(out), "engine": engine, "interval": launch.interval_s}
    cmd = [launch.python, "-m", "gilscope.agent", *launch.argv]
    foreign = {}  # --python: the agent comes from a folder of its own, not from site-packages
    if launch.python != sys.executable:
        foreign = {"GILSCOPE_AGENT_PATH": agent_only_path(workdir)}
    if engine == "pyspy":
        from gilscope.collect.pyspy_collector import PySpyRun, PySpyUnavailable

        env = dict(os.environ, GILSCOPE_AGENT=json.dumps(settings))
        if foreign:
            env.update(foreign, PYTHONPATH=_pythonpath(foreign["GILSCOPE_AGENT_PATH"]))
        started = time.perf_counter()
        try:
            spy = PySpyRun.start(cmd, env, workdir)
            return Started(launch, spy.proc, out, started, pyspy=spy)
        except PySpyUnavailable as exc:
            settings["engine"] = "auto" if has_procfs() else "cprofile"
            notes.append(
                f"py-spy could not sample this run ({exc}); "
                + (
                    "the in-process sampler did instead"
                    if has_procfs()
                    else "cProfile did instead (main thread only, no GIL or I/O split)"
                )
            )
    env_changes = {
        "GILSCOPE_AGENT": json.dumps(settings),
        **foreign,
        "PYTHONPATH": _pythonpath(INJECT_DIR, foreign.get("GILSCOPE_AGENT_PATH")),
    }
    started = time.perf_counter()
    if fork and hasattr(os, "fork") and launch.python == sys.executable and _single_threaded():
        from gilscope.collect.forked import fork_agent

        forked: Any = fork_agent(launch.argv, env_changes)  # a ForkedAgent has Popen's interface
        return Started(launch, forked, out, started, notes=notes)
    import subprocess

    env = dict(
        os.environ, **env_changes, GILSCOPE_MAIN="1"
    )  # its sitecustomize leaves the agent to start itself
    return Started(launch, subprocess.Popen(cmd, env=env), out, started, notes=notes)


def has_procfs() -> bool:
    """The default sampler reads each thread's CPU time, scheduler state and syscall from Linux's /proc."""
    return sys.platform.startswith("linux") and os.path.isdir("/proc/self/task")


def platform_engine(engine: str) -> tuple[str, list[str]]:
    """The engine to run with, and a caveat when it is not the one asked for: on macOS and Windows (no /proc)
    the default sampler gives way to py-spy where it is installed, else to cProfile."""
    if engine not in ("auto", "sampler") or has_procfs():
        return engine, []
    import shutil

    where = {"darwin": "macOS", "win32": "Windows"}.get(sys.platform, sys.platform)
    if shutil.which("py-spy") or os.path.exists(os.path.join(os.path.dirname(sys.executable), "py-spy")):
        return "pyspy", [
            f"on {where} the default sampler cannot read /proc (per-thread CPU, scheduler state, "
            "blocking syscall): py-spy sampled the run from outside instead"
        ]
    return "cprofile", [
        f"on {where} the default sampler cannot read /proc and py-spy is not installed: cProfile "
        "profiled the run (main thread only, wall clock: no GIL, I/O or native split); "
        "pip install py-spy for more"
    ]


def _pythonpath(*first: str | None) -> str:
    return os.pathsep.join(p for p in (*first, os.environ.get("PYTHONPATH")) if p)


def agent_only_path(workdir: Path) -> str:
    """A folder holding only the `gilscope` package (a link to it), for another interpreter's PYTHONPATH: the
    target imports the stdlib agent from it and never sees the site-packages gilscope is installed in (typer,
    pydantic and rich, built for another Python)."""
    folder = workdir / "agent-path"
    folder.mkdir()
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        os.symlink(package, folder / "gilscope")
    except OSError:  # Windows without the right to make links: a copy of the stdlib-only part
        import shutil

        (folder / "gilscope").mkdir()
        shutil.copy(os.path.join(package, "__init__.py"), folder / "gilscope" / "__init__.py")
        shutil.copytree(
            os.path.join(package, "agent"),
            folder / "gilscope" / "agent",
            ignore=shutil.ignore_patterns("__pycache__"),
        )
    return str(folder)


def _single_threaded() -> bool:
    """Forking is only safe with no other thread (one started by a sitecustomize or .pth, say)."""
    threading = sys.modules.get("threading")
    return threading is None or threading.active_count() == 1


def run(launch: Launch) -> Outcome:
    return wait(start(launch))


def wait(run: Started) -> Outcome:
    import subprocess

    proc, launch = run.proc, run.launch
    interrupted = None
    remaining = None
    if launch.timeout_s is not None:
        remaining = max(0.0, launch.timeout_s - (time.perf_counter() - run.started))
    relay_signals(proc)
    born = (_stat(proc.pid) or (0, None))[1]  # while it runs: its children are the ones born after it
    try:
        proc.wait(timeout=remaining)
    except subprocess.TimeoutExpired:
        interrupted = "timeout"
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=GRACE_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    while proc.poll() is None:  # a signal handler interrupted the wait
        try:
            proc.wait()
        except KeyboardInterrupt:
            continue
    wall = time.perf_counter() - run.started
    await_run_processes(born)
    interrupted = interrupted or RECEIVED
    code = proc.returncode
    if code < 0:
        code = 128 - code
    spied = run.pyspy.collect() if run.pyspy is not None else None
    data, errors = read_data(run.out)
    if spied is not None:
        data = with_run_metadata(spied, data)
    return Outcome(code, wall, interrupted, data, run.notes + errors)


_RUN_KEYS = (
    "exit_code",
    "exception",
    "interrupted",
    "free_threaded",
    "gil_enabled",
    "gil_reenabled_by",
    "python",
    "implementation",
    "cpu_count",
    "wall_s",
    "cpu_s",
    "argv",
)


def with_run_metadata(spied: list[dict], agent: list[dict]) -> list[dict]:
    """py-spy's samples, with how the run ended as the agent inside the process recorded it."""
    meta = next((d for d in agent if d.get("role") == "main"), None)
    if meta is None or not spied:
        return spied or agent
    main = dict(spied[0])
    main.update({k: meta[k] for k in _RUN_KEYS if k in meta})
    return [main, *spied[1:]]


def _private_dir() -> Path:
    """A fresh 0700 folder for the data files (tempfile would add ~10 ms of imports before the target starts)."""
    base = Path(os.environ.get("TMPDIR") or "/tmp").absolute()  # absolute: the target may chdir
    for attempt in range(100):
        path = base / f"gilscope-{os.getpid()}-{time.monotonic_ns() % 1_000_000_000}-{attempt}"
        try:
            path.mkdir(mode=0o700)
            return path
        except FileExistsError:
            continue
    raise OSError(f"cannot create a private folder in {base}")


STRAGGLER_GRACE_S = 1.0


def _stat(pid) -> tuple[int, int] | None:
    """(process group, start time in clock ticks since boot) of a process, or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        return int(fields[2]), int(fields[19])
    except (OSError, ValueError, IndexError):
        return None


def run_processes(born: int) -> list[int]:
    """Live processes of this run other than gilscope: in gilscope's process group and started no earlier
    than the target (its children can outlive it: multiprocessing's resource tracker, a worker finishing)."""
    found: list[int] = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return found
    me, group = os.getpid(), os.getpgrp()
    for name in entries:
        if name.isdigit() and int(name) != me:
            stat = _stat(name)
            if stat is not None and stat[0] == group and stat[1] >= born:
                found.append(int(name))
    return found


def await_run_processes(born: int | None, grace_s: float = STRAGGLER_GRACE_S) -> None:
    """gilscope owns the run folder: before reading and removing it, give the run's other processes up to
    `grace_s` to finish writing their data. Whatever still runs after that is not waited for."""
    if born is None:
        return
    deadline = time.perf_counter() + grace_s
    while run_processes(born) and time.perf_counter() < deadline:
        time.sleep(0.01)


def read_data(out: Path) -> tuple[list[dict], list[str]]:
    """The main process's data file, then every child's, skipping files that are missing or torn."""
    data, errors = [], []
    files = [out] + sorted(out.parent.glob(out.name + ".child-*"))
    for path in files:
        if path.name.endswith(".tmp"):
            continue
        try:
            data.append(_parse(path.read_bytes()))
        except FileNotFoundError:
            if path == out:
                errors.append("the profiled process wrote no data (it was killed, or exited before starting)")
        except (OSError, ValueError) as exc:
            errors.append(f"unreadable profile data {path.name}: {exc}")
    import shutil

    shutil.rmtree(out.parent, ignore_errors=True)
    return data, errors


# Above this size pydantic_core's parser, ~2x json.loads on a long run's data files (tens of MB), pays for its
# import (~30 ms); below it, json.loads is the quicker of the two.
_BIG_DATA_BYTES = 4 << 20


def _parse(raw: bytes) -> dict:
    if len(raw) < _BIG_DATA_BYTES:
        return json.loads(raw)
    from pydantic_core import from_json

    try:
        return from_json(raw)
    except ValueError:  # it refuses lone surrogates (undecodable argv, file names), which json takes
        return json.loads(raw)
