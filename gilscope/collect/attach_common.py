"""What both ways of attaching share (sys.remote_exec in attach.py, py-spy in attach_pyspy.py): the options, the
target as inspected, the wait for the end of the attach, and the outcome it gives. attach.py chooses the way and
imports attach_pyspy; both import this module, so neither imports the other back."""

from __future__ import annotations

import signal
import threading
import time
from dataclasses import dataclass, field

from gilscope.collect.launch import Outcome

PTRACE_FIX = (
    "run gilscope as root or as the process's user; with kernel.yama.ptrace_scope=1 run it as root or "
    "`sysctl kernel.yama.ptrace_scope=0`; in a container add CAP_SYS_PTRACE (docker run --cap-add SYS_PTRACE)"
)


@dataclass
class AttachOptions:
    pid: int
    duration_s: float | None = None
    interval_s: float = 0.005
    subprocesses: bool = False
    engine: str = "auto"  # auto: remote_exec where it can, else py-spy; pyspy: always py-spy
    python: str | None = None  # the interpreter that calls sys.remote_exec (default: the target's own)


@dataclass
class Target:
    pid: int
    cmdline: list[str]
    helper: list[str]  # how to run the target's interpreter from here
    version: tuple[int, int] = (0, 0)
    free_threaded: bool = False
    remote_exec: bool = False  # the helper has sys.remote_exec
    disabled: str | None = None  # why remote debugging is off in the target, if it is
    module: str | None = None  # `python -m MODULE`
    module_path: str | None = None  # where that module lives, seen from the target's working folder
    notes: list[str] = field(default_factory=list)


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            state = fh.read().rsplit(b")", 1)[1].split()[0]
        return state not in (b"Z", b"X")
    except (OSError, IndexError):
        return False


class Stopper:
    """Ctrl-C or SIGTERM to gilscope ends the attach (not the target): the report is still written."""

    def __init__(self):
        self.event = threading.Event()
        self.signal: str | None = None

    def __enter__(self):
        self._old = {s: signal.signal(s, self._handle) for s in (signal.SIGINT, signal.SIGTERM)}
        return self

    def _handle(self, signum, frame) -> None:
        self.signal = self.signal or signal.Signals(signum).name
        self.event.set()

    def __exit__(self, *exc):
        for sig, old in self._old.items():
            signal.signal(sig, old)

    def wait_until(self, deadline: float | None, target_pid: int, tick=None) -> str:
        """'duration', 'signal' or 'exited'."""
        while True:
            if self.event.is_set():
                return "signal"
            if not alive(target_pid):
                return "exited"
            if deadline is not None and time.perf_counter() >= deadline:
                return "duration"
            if tick is not None:
                tick()
            self.event.wait(0.05)


def finish(
    data: list[dict],
    errors: list[str],
    wall: float,
    why: str,
    signal_name: str | None,
    target: Target,
    engine_notes: list[str],
) -> Outcome:
    main = next((d for d in data if d.get("role") == "main"), None)
    notes = list(target.notes) + engine_notes
    if why == "exited":
        notes.append(
            f"PID {target.pid} exited during the attach, after {wall:.1f} s: this is a partial profile"
        )
    elif main is not None and main.get("partial"):
        notes.append("the agent's last data is from its latest checkpoint (it did not write a final one)")
    if main is not None:
        main.setdefault("argv", target.cmdline)
    return Outcome(0, wall, None, data, notes + errors)
