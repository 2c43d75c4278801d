"""The py-spy engine: the agent's command runs with three `py-spy record` processes attached to it.

py-spy writes no per-sample idle or GIL flag, so three recorders sample the same run side by side: `--idle`
(every sample), the default (active samples) and `--gil` (the GIL holder's); pyspy_parse combines them.
To lose no start-up time and run nothing twice, the child waits at a gate (a pipe) before it imports
gilscope.agent: the recorders attach, and only then does the target start. A recorder that cannot attach
raises PySpyUnavailable before a line of the target has run, so the caller can fall back to the in-process
sampler. Only the `--idle` recorder pauses the target to read it; the other two read without pausing, since
pausing recorders fight over ptrace (three of them here: 70-82 failed reads a recording, of 63-290 samples).
"""

import ast
import linecache
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from gilscope.collect.pyspy_parse import combine, parse_raw
from gilscope.errors import CollectorUnavailable

ATTACH_TIMEOUT_S = 10.0
RECORDERS = (("idle", ["--idle"]), ("active", ["--nonblocking"]), ("gil", ["--gil", "--nonblocking"]))
GATE_ENV = "GILSCOPE_GATE_FD"
# The child's `python -c` program: wait at the gate, then run `-m MODULE ARGS` as `python -m` would. It imports
# nothing of gilscope's (the target's process stays as the agent makes it) and is one line without `;`, so
# py-spy's raw output, which quotes the command line, stays one line a sample.
_GATE_SOURCE = """def gated_main():
    import os, runpy, sys
    fd = int(os.environ.pop("GILSCOPE_GATE_FD"))
    os.read(fd, 2)
    os.close(fd)
    runpy.run_module(sys.argv.pop(1), run_name="__main__", alter_sys=True)
gated_main()
"""
_GATE_CODE = f"exec({_GATE_SOURCE!r})"


class PySpyUnavailable(CollectorUnavailable):
    """py-spy is missing or could not attach; the target has not run. Fall back to the in-process sampler."""


def record(
    popen_args: list[str], env: dict, out_dir: Path, rate: int = 100, cwd: str | None = None
) -> tuple[int, list[dict]]:
    """Run `popen_args` (`[python, "-m", "gilscope.agent", TARGET...]`) under py-spy and wait for it; return
    its exit status and one data dict per Python process py-spy saw. See PySpyRun for the parts."""
    run = PySpyRun.start(popen_args, env, out_dir, rate, cwd)
    code = _wait(run.proc)
    return code, run.collect()


class PySpyRun:
    """A target running under the three recorders. `start` returns once they are attached and the target
    runs; `proc` is the target's process (wait on it, signal it, time it out as for any child); after it
    ended, `collect` stops the recorders and returns one data dict per Python process they saw: role
    "main" for the root (with "exit_code" and the target's "argv"), "child" or "pool worker" for others."""

    def __init__(self, proc, recorders, popen_args, rate):
        self.proc, self.recorders, self.popen_args, self.rate = proc, recorders, popen_args, rate
        self.started = time.perf_counter()

    @classmethod
    def start(
        cls, popen_args: list[str], env: dict, out_dir: Path, rate: int = 100, cwd: str | None = None
    ) -> "PySpyRun":
        """stdin, stdout and stderr are the target's own. Raises PySpyUnavailable, before the target has run a
        line, when py-spy is missing or cannot attach (no ptrace permission, a container without it)."""
        if len(popen_args) < 3 or popen_args[1] != "-m":
            raise ValueError("PySpyRun runs a `python -m MODULE ...` command")
        exe = _pyspy_executable()
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        gate_r, gate_w = os.pipe()
        try:
            proc = subprocess.Popen(
                [popen_args[0], "-c", _GATE_CODE, *popen_args[2:]],
                cwd=cwd,
                pass_fds=(gate_r,),
                env=dict(env, **{GATE_ENV: str(gate_r)}),
            )
        finally:
            os.close(gate_r)
        recorders: list = []
        try:
            for name, flags in RECORDERS:
                recorders.append(_Recorder(exe, name, flags, proc.pid, rate, out_dir / f"pyspy-{name}.txt"))
            failed = [r for r in recorders if not r.attached(ATTACH_TIMEOUT_S)]
        except OSError as exc:
            failed = [exc]
        if failed:
            _abandon(proc, recorders)
            os.close(gate_w)
            raise PySpyUnavailable(f"py-spy could not attach to the target: {_reason(failed[0])}")
        run = cls(proc, recorders, popen_args, rate)
        os.write(gate_w, b"go")
        os.close(gate_w)
        return run

    def collect(self) -> list[dict]:
        code = _wait(self.proc)
        wall = time.perf_counter() - self.started
        for r in self.recorders:
            r.finish()
        every, active, gil = ([s for s in parse_raw(r.output()) if not _at_gate(s)] for r in self.recorders)
        pid, rate = self.proc.pid, self.rate
        root_main = sum(s.count for s in every if s.pids[-1:] in ((), (pid,)) and s.tid == pid)
        sample_s = min(2.0, max(0.5, wall * rate / root_main)) / rate if root_main else 1.0 / rate
        target = self.popen_args[3:]
        if len(target) > 1 and target[0] == "-m":  # `-m gzip`: gzip's own functions are the hotspots here too
            from gilscope.agent import target as target_mod

            target_mod._profile_if_library(target[1])  # the agent's own rule, applied here
        processes = combine(
            every,
            active,
            gil,
            sample_s=sample_s,
            root_pid=pid,
            source_line=_source_line,
            first_line=_first_line,
            is_user=_is_user,
        )
        notes = _notes(self.recorders, rate)
        if len(target) > 1 and target[0] == "-m":
            notes += [n for n in target_mod.NOTES if n not in notes]
        for data in processes.values():
            data["notes"] = notes
            if data["role"] == "main":
                data["argv"], data["exit_code"] = list(self.popen_args[3:]), code
        return sorted(processes.values(), key=lambda d: (d["role"] != "main", d["pid"]))


class _Recorder:
    """One `py-spy record` attached by pid; its own messages are kept, not shown."""

    def __init__(self, exe, name, flags, pid, rate, path: Path):
        self.name, self.path = name, path
        self.lines: list[str] = []
        self._ready = threading.Event()
        self.proc = subprocess.Popen(
            [
                exe,
                "record",
                "--format",
                "raw",
                "--threads",
                "--subprocesses",
                "--full-filenames",
                "--rate",
                str(rate),
                *flags,
                "--pid",
                str(pid),
                "-o",
                str(path),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, name=f"py-spy {name}", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout or ():
            self.lines.append(line)
            if "Sampling process" in line:
                self._ready.set()
        self._ready.set()

    def attached(self, timeout: float) -> bool:
        self._ready.wait(timeout)
        return any("Sampling process" in line for line in self.lines) and self.proc.poll() in (None, 0)

    def finish(self, timeout: float = 10.0) -> None:
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:  # the target is gone but a child of it lives on: stop and write
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(5)

    def output(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""


def _at_gate(sample) -> bool:
    """The child waiting for the recorders to attach: not the program's time."""
    return bool(sample.frames) and sample.frames[-1][0] == "gated_main"


def _reason(failure) -> str:
    if isinstance(failure, OSError):
        return str(failure)
    lines = [line.strip() for line in failure.lines if line.strip()]
    errors = [line for line in lines if line.startswith("Error")]
    return (errors or lines or [f"py-spy exited with status {failure.proc.poll()}"])[0]


def _wait(child) -> int:
    """The child's exit status, 128+N when signal N ended it."""
    while True:
        try:
            code = child.wait()
            return code if code >= 0 else 128 - code
        except KeyboardInterrupt:  # Ctrl-C reached the target too; let it end the way it chooses
            continue


def _abandon(child, recorders) -> None:
    for proc in [child, *(r.proc for r in recorders if isinstance(r, _Recorder))]:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def _pyspy_executable() -> str:
    beside = Path(sys.executable).with_name("py-spy")
    exe = str(beside) if beside.exists() else shutil.which("py-spy")
    if not exe:
        raise PySpyUnavailable("py-spy is not installed (pip install py-spy)")
    return exe


def _notes(recorders, rate) -> list[str]:
    notes = [
        f"py-spy sampled {rate} times a second from outside the process, in three recordings of the same "
        "run (all samples, active ones, the GIL holder's): per call path, their ratios split the time",
        "py-spy's idle flag is a heuristic: a thread waiting for the GIL counts as idle, and idle time "
        "on a line that calls nothing known is booked as a GIL wait when other threads held the GIL",
    ]
    errors = [line.split("Errors:")[1].strip() for r in recorders for line in r.lines if "Errors:" in line]
    if any(e not in ("0", "") for e in errors):
        notes.append(f"py-spy failed to read some samples (errors per recording: {', '.join(errors)})")
    return notes


def _source_line(filename: str, line: int) -> str:
    return linecache.getline(filename, line).strip() if line > 0 else ""


def _is_user(filename: str) -> bool:
    from gilscope.agent.stacks import is_user_file

    return is_user_file(filename)


_DEFS: dict = {}


def _first_line(function: str, filename: str, line: int) -> int:
    """The line a function starts on (its first decorator's, like co_firstlineno), from its source."""
    if function == "<module>":
        return 1
    if filename not in _DEFS:
        _DEFS[filename] = _definitions(filename)
    short = function.rsplit(".", 1)[-1]
    best = None
    for qualname, first, last in _DEFS[filename]:
        if qualname == function or (short.startswith("<") and qualname.endswith(short)):
            if first <= line <= last and (best is None or first > best):
                best = first
            elif best is None and qualname == function:
                best = first
    return best if best is not None else line


def _definitions(filename: str) -> list[tuple[str, int, int]]:
    source = "".join(linecache.getlines(filename))
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    out = []

    def walk(node, prefix):
        for child in ast.iter_child_nodes(node):
            name = getattr(child, "name", None)
            if isinstance(child, ast.Lambda):
                name = "<lambda>"
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                qual = prefix + name
                first = min([child.lineno, *(d.lineno for d in getattr(child, "decorator_list", []))])
                if not isinstance(child, ast.ClassDef):
                    out.append((qual, first, child.end_lineno or child.lineno))
                walk(child, qual + ("." if isinstance(child, ast.ClassDef) else ".<locals>."))
            else:
                walk(child, prefix)

    walk(tree, "")
    return out
