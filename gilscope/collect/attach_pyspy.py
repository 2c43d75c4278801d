"""`gilscope attach` from outside: three py-spy recordings of the running process (as the pyspy engine makes for
`profile`), plus each thread's on-CPU and run-queue time and scheduler state read from /proc/PID/task.

Every recorder reads without pausing the target (--nonblocking): a process in production is never stopped,
at the price of an occasional torn stack (py-spy counts those as errors, which the report's notes give).
"""

from __future__ import annotations

import os
import signal
import threading
import time

from gilscope.collect.attach_common import PTRACE_FIX, AttachOptions, Stopper, Target, finish
from gilscope.collect.launch import _private_dir
from gilscope.errors import UsageError

RATE = 100
RECORDERS = (
    ("idle", ["--idle", "--nonblocking"]),
    ("active", ["--nonblocking"]),
    ("gil", ["--gil", "--nonblocking"]),
)
WATCH_S = 0.02


def lacks(reason: str) -> str:
    return (
        f"attached with py-spy from outside ({reason}): GIL holding and waiting are inferred from three "
        "py-spy recordings, not measured; no C function names, garbage-collection times, call counts or "
        "asyncio stall times; threads' CPU and run-queue time come from /proc/PID/task"
    )


class TaskWatch(threading.Thread):
    """Reads /proc/PID/task/*/{schedstat,stat} every 20 ms from gilscope's own process."""

    def __init__(self, pid: int):
        super().__init__(name="gilscope-taskwatch", daemon=True)
        self.pid = pid
        self.first: dict[int, tuple[int, int]] = {}
        self.last: dict[int, tuple[int, int]] = {}
        self.states: dict[int, dict[str, int]] = {}
        self.done = threading.Event()

    def read(self) -> dict[int, tuple[int, int, str]]:
        found: dict[int, tuple[int, int, str]] = {}
        try:
            tids = os.listdir(f"/proc/{self.pid}/task")
        except OSError:
            return found
        for name in tids:
            try:
                with open(f"/proc/{self.pid}/task/{name}/schedstat", "rb") as fh:
                    cpu, runq = (int(v) for v in fh.read().split()[:2])
                with open(f"/proc/{self.pid}/task/{name}/stat", "rb") as fh:
                    state = fh.read().rsplit(b")", 1)[1].split()[0].decode()
            except (OSError, ValueError, IndexError):
                continue
            found[int(name)] = (cpu, runq, state)
        return found

    def run(self) -> None:
        for tid, (cpu, runq, _state) in self.read().items():
            self.first[tid] = (cpu, runq)
        while not self.done.wait(WATCH_S):
            reading = self.read()
            if not reading:
                break
            for tid, (cpu, runq, state) in reading.items():
                self.last[tid] = (cpu, runq)
                counts = self.states.setdefault(tid, {})
                counts[state] = counts.get(state, 0) + 1

    def per_thread(self) -> dict[int, tuple[float, float]]:
        """tid -> (seconds on a CPU, seconds waiting for one) during the watch."""
        out = {}
        for tid, (cpu, runq) in self.last.items():
            cpu0, runq0 = self.first.get(tid, (0, 0))
            out[tid] = (max(0, cpu - cpu0) / 1e9, max(0, runq - runq0) / 1e9)
        return out


def attach_pyspy(opts: AttachOptions, target: Target, reason: str):
    from gilscope.collect.pyspy_collector import (
        ATTACH_TIMEOUT_S,
        PySpyUnavailable,
        _first_line,
        _is_user,
        _notes,
        _pyspy_executable,
        _reason,
        _Recorder,
        _source_line,
    )
    from gilscope.collect.pyspy_parse import combine, parse_raw

    try:
        exe = _pyspy_executable()
    except PySpyUnavailable as exc:
        raise UsageError(f"cannot attach to PID {target.pid}: {reason}, and {exc}") from None
    if target.module_path:
        from gilscope.agent import stacks

        if not stacks.is_user_file(os.path.join(target.module_path, "__init__.py")):
            stacks.profile_library(
                target.module_path
            )  # `-m http.server`: that library is the code to profile
    workdir = _private_dir()
    watch = TaskWatch(target.pid)
    watch.start()
    started = time.perf_counter()
    recorders = [
        _Recorder(exe, name, flags, target.pid, RATE, workdir / f"pyspy-{name}.txt")
        for name, flags in RECORDERS
    ]
    failed = [r for r in recorders if not r.attached(ATTACH_TIMEOUT_S)]
    if failed:
        _stop(recorders, watch)
        why = _reason(failed[0])
        if "ermission" in why or "not permitted" in why:
            raise UsageError(f"cannot attach to PID {target.pid}: py-spy: {why}; {PTRACE_FIX}")
        raise UsageError(
            f"cannot attach to PID {target.pid}: {reason}, and py-spy could not read it ({why}; "
            "py-spy reads the CPython versions its release supports)"
        )
    deadline = None if opts.duration_s is None else started + opts.duration_s
    with Stopper() as stopper:
        why = stopper.wait_until(deadline, target.pid)
        _stop(recorders, watch)
    wall = time.perf_counter() - started
    every, active, gil = (parse_raw(r.output()) for r in recorders)
    root_main = sum(s.count for s in every if s.pids[-1:] in ((), (target.pid,)) and s.tid == target.pid)
    sample_s = min(2.0, max(0.5, wall * RATE / root_main)) / RATE if root_main else 1.0 / RATE
    processes = combine(
        every,
        active,
        gil,
        sample_s=sample_s,
        root_pid=target.pid,
        source_line=_source_line,
        first_line=_first_line,
        is_user=_is_user,
    )
    data = sorted(
        (d for pid, d in processes.items() if opts.subprocesses or pid == target.pid),
        key=lambda d: (d["role"] != "main", d["pid"]),
    )
    notes = _notes(recorders, RATE)
    for d in data:
        d["notes"] = list(notes)
    main = next((d for d in data if d["role"] == "main"), None)
    if main is not None:
        _add_outside_readings(main, watch, target, wall)
    import shutil

    shutil.rmtree(workdir, ignore_errors=True)
    errors = [] if data else [f"py-spy recorded no samples of PID {target.pid}"]
    return finish(data, errors, wall, why, stopper.signal, target, engine_notes=[lacks(reason)])


def _stop(recorders, watch: TaskWatch) -> None:
    for r in recorders:
        if r.proc.poll() is None:
            r.proc.send_signal(signal.SIGINT)  # py-spy record writes what it has on SIGINT
    for r in recorders:
        r.finish()
    watch.done.set()
    watch.join(1.0)


def _add_outside_readings(main: dict, watch: TaskWatch, target: Target, wall: float) -> None:
    """The threads' measured CPU time replaces py-spy's estimate; the run's facts come from the probe."""
    measured = watch.per_thread()
    for thread in main.get("threads", []):
        if thread.get("tid") in measured:
            thread["cpu_s"] = measured[thread["tid"]][0]
    if measured:
        main["cpu_s"] = sum(cpu for cpu, _ in measured.values())
        runq = sum(r for _, r in measured.values())
        main.setdefault("notes", []).append(
            f"/proc/{target.pid}/task: {len(measured)} threads, {main['cpu_s']:.2f} s on a CPU and {runq:.2f} s "
            f"waiting for one over {wall:.1f} s"
        )
    main.update(
        {
            "wall_s": wall,
            "exit_code": None,
            "argv": target.cmdline,
            "python": ".".join(map(str, target.version)) if target.version != (0, 0) else "",
            "implementation": "CPython",
            "free_threaded": target.free_threaded,
            "gil_enabled": not target.free_threaded,
        }
    )
    try:
        main["cpu_count"] = len(os.sched_getaffinity(target.pid))
    except OSError:
        pass
