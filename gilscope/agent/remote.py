"""The agent inside a process that was already running: `gilscope attach` starts it with sys.remote_exec
(PEP 768, CPython 3.14+).

It changes as little as it can in a process it did not start: no signal handler, no exit hook, no sys.path
entry, nothing printed. It runs the sampler and one control thread, which writes the data file once a second
(so a process that dies mid-attach still leaves a partial profile) and stops both threads, writes the data a
last time and removes its gc hook when the duration is up, when gilscope asks (a stop file) or when gilscope
itself is gone. A process that exits normally meanwhile writes its data from an atexit hook.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import threading
import time

from gilscope.agent import gcwatch, procfs
from gilscope.agent.sampler import Sampler
from gilscope.agent.session import _IMPLEMENTATIONS, _cpu_count, free_threaded_build, gil_enabled
from gilscope.agent.wire import StackRow, StallRow

CHECKPOINT_S = 1.0
POLL_S = 0.05
_ACTIVE: Attached | None = None


def start(settings_json: str) -> None:
    """Called by the attach script; returns at once (the remote_exec call must not hold the main thread)."""
    global _ACTIVE
    settings = json.loads(settings_json)
    if os.path.exists(settings["cancel"]) or (_ACTIVE is not None and _ACTIVE.is_alive()):
        return  # gilscope gave up waiting, or another attach is still running here
    _ACTIVE = Attached(settings)
    _ACTIVE.begin()


class Attached(threading.Thread):
    def __init__(self, settings: dict):
        super().__init__(name="gilscope-attach", daemon=True)
        self.settings = settings
        self.out = settings["out"]
        self.started_wall = time.perf_counter()
        self.started_cpu = time.process_time()
        self.sampler = Sampler(float(settings.get("interval", 0.005)), gil_enabled())
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()  # a checkpoint and the atexit hook's last write
        self._finished = False
        self.exited = False

    def begin(self) -> None:
        if self.settings.get("module"):  # `python -m http.server`: that library module is the code to profile
            from gilscope.agent import target

            target._profile_if_library(self.settings["module"])
        gcwatch.WATCH.install()
        self.sampler.start()
        atexit.register(self._at_exit)
        self.start()
        with open(self.settings["started"], "w") as fh:
            fh.write(str(os.getpid()))

    def run(self) -> None:
        procfs.block_signals()  # the target's signals keep going to the target's threads
        duration = self.settings.get("duration")
        deadline = None if duration is None else self.started_wall + float(duration)
        checkpoint = time.perf_counter() + CHECKPOINT_S
        while not self._finished:
            now = time.perf_counter()
            if (
                (deadline is not None and now >= deadline)
                or os.path.exists(self.settings["stop"])
                or not _alive(int(self.settings["gilscope_pid"]))
            ):
                break
            if now >= checkpoint:
                self._write(partial=True)
                checkpoint = now + CHECKPOINT_S
            time.sleep(POLL_S)
        self.finish()

    def finish(self) -> None:
        with self._lock:
            if self._finished:
                return
            self._finished = True
        self.sampler.stop()
        if self.sampler.is_alive() and threading.current_thread() is not self.sampler:
            self.sampler.join(2.0)
        self.sampler.finish_all()
        self._write(partial=False)
        gcwatch.WATCH.remove()
        try:
            atexit.unregister(self._at_exit)
        except Exception:  # at interpreter exit atexit may be gone already
            pass

    def _at_exit(self) -> None:
        self.exited = True
        self.finish()

    def _write(self, partial: bool) -> None:
        data = _without_thread(self.sampler.snapshot(), self.name)
        data.update(
            {
                "version": 1,
                "pid": os.getpid(),
                "ppid": os.getppid(),
                "role": self._role(),
                "argv": list(getattr(sys, "orig_argv", sys.argv)),
                "engine": "sampler",
                "interval_s": self.sampler.interval,
                "gil_measured": self.sampler.gil_enabled,
                "wall_s": time.perf_counter() - self.started_wall,
                "cpu_s": time.process_time() - self.started_cpu,
                "exit_code": None,
                "exception": None,
                "interrupted": None,
                "partial": partial,
                "target_exited": self.exited,
                "free_threaded": free_threaded_build(),
                "gil_enabled": gil_enabled(),
                "gil_reenabled_by": [],
                "python": sys.version.split()[0],
                "implementation": _IMPLEMENTATIONS.get(sys.implementation.name, sys.implementation.name),
                "cpu_count": _cpu_count(),
                "gc": gcwatch.WATCH.snapshot(),
                "notes": _notes(),
            }
        )
        tmp = f"{self.out}.{os.getpid()}.tmp"
        with self._write_lock:
            if partial and self._finished:
                return
            try:
                with open(tmp, "w", encoding="utf-8") as fh:
                    json.dump(data, fh)
                os.replace(tmp, self.out)
            except (OSError, ValueError):
                pass  # never a traceback in a process we only visit

    def _role(self) -> str:
        role = self.settings.get("role", "main")
        mp = sys.modules.get("multiprocessing")
        if role != "main" and mp is not None:
            name = mp.current_process().name
            if name != "MainProcess" and ("PoolWorker" in name or "Process" in name):
                return "pool worker"
        return role


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, another user's
    return True


def _notes() -> list:
    target = sys.modules.get("gilscope.agent.target")
    return list(getattr(target, "NOTES", []))


def _without_thread(data: dict, name: str) -> dict:
    """The snapshot without the control thread of the attach (the sampler leaves out only itself)."""
    gone = [i for i, t in enumerate(data["threads"]) if t["name"] == name]
    if not gone:
        return data
    drop = gone[0]

    def moved(i):
        return i - 1 if i > drop else i

    data["threads"] = [t for i, t in enumerate(data["threads"]) if i != drop]
    stacks = (StackRow(*s) for s in data["stacks"])
    stalls = (StallRow(*s) for s in data["stalls"])
    data["stacks"] = [s._replace(thread=moved(s.thread)) for s in stacks if s.thread != drop]
    data["stalls"] = [s._replace(thread=moved(s.thread)) for s in stalls if s.thread != drop]
    return data
