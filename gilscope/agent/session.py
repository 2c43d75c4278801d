"""One profiled process: starts the collector, runs the target, and writes what was collected."""

from __future__ import annotations

import atexit
import gc
import json
import os
import signal
import sys
import threading
import time

from gilscope.agent import gcwatch, sigterm_rescue
from gilscope.agent import target as target_mod


def settings_from_env() -> dict:
    return json.loads(os.environ["GILSCOPE_AGENT"])


def free_threaded_build() -> bool:
    abiflags = getattr(sys, "abiflags", None)  # "t" on free-threaded builds; sysconfig costs ~1 ms to import
    if abiflags is not None:
        return "t" in abiflags
    import sysconfig

    return bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def gil_enabled() -> bool:
    probe = getattr(sys, "_is_gil_enabled", None)
    return True if probe is None else bool(probe())


class Session:
    def __init__(self, settings: dict, argv: list[str], role: str = "main"):
        self.settings = settings
        self.argv = argv
        self.role = role
        self.out = settings["out"]
        self.engine = settings.get("engine", "auto")
        self.collector = None
        self.started_wall = time.perf_counter()
        self.started_cpu = time.process_time()
        self.started_machine = machine_busy_s()
        self.exit_code: int | None = None
        self.exception: str | None = None
        self.interrupted: str | None = None
        self.gil_reenabled_by: list[str] = []
        self.free_threaded = free_threaded_build()
        self._written = False
        self._finishing = False
        self._die_after = None
        self._write_lock = threading.Lock()

    # ---- lifecycle ----------------------------------------------------------------------------------
    def start(self) -> None:
        from gilscope.agent.collectors import make_collector

        gcwatch.WATCH.install()
        self.collector = make_collector(self.engine, self.settings, gil_enabled())
        self.collector.start()
        atexit.register(_finish_current)
        self._install_exit_hooks()
        if self.free_threaded:
            self._watch_gil_warnings()

    def run_target(self) -> int:
        code, exc = target_mod.run(self.argv, self.collector)
        self.exit_code, self.exception = code, exc
        if code == 130 and exc == "KeyboardInterrupt":
            self.interrupted = "SIGINT"
        return code

    def finish(self, exit_code=None) -> None:
        """Stop collecting and write the data file (atomically). Safe to call more than once."""
        with self._write_lock:
            if self._written:
                return
            self._written = True
        self._finishing = True
        try:
            self._write(exit_code)
        finally:
            self._finishing = False
            if self._die_after is not None:  # a SIGTERM came while writing: honour it now the data is safe
                signal.signal(self._die_after, signal.SIG_DFL)
                os.kill(os.getpid(), self._die_after)

    def _write(self, exit_code) -> None:
        # No collection while the data is gathered and written: one here runs the program's finalizers in the
        # middle of the snapshot (a pool worker on 3.14 failed with "BufferError: Existing exports of data" from
        # multiprocessing's buffers, and its pool then waited for it).
        collecting = gc.isenabled()
        if collecting:
            gc.disable()
        try:
            self._write_data(exit_code)
        finally:
            if collecting:
                gc.enable()

    def _write_data(self, exit_code) -> None:
        if exit_code is not None:
            self.exit_code = exit_code
        data = self.collector.stop_and_collect() if self.collector else {}
        data.update(
            {
                "version": 1,
                "pid": os.getpid(),
                "ppid": os.getppid(),
                "role": self._role(),
                "argv": self.argv,
                "engine": self.collector.name if self.collector else self.engine,
                "wall_s": time.perf_counter() - self.started_wall,
                "cpu_s": time.process_time() - self.started_cpu,
                "machine_busy_s": _since(self.started_machine, machine_busy_s()),
                "exit_code": self.exit_code,
                "exception": self.exception,
                "interrupted": self.interrupted,
                "free_threaded": self.free_threaded,
                "gil_enabled": gil_enabled(),
                "gil_reenabled_by": self.gil_reenabled_by,
                "python": sys.version.split()[0],
                "implementation": _IMPLEMENTATIONS.get(sys.implementation.name, sys.implementation.name),
                "cpu_count": _cpu_count(),
                "gc": gcwatch.WATCH.snapshot(),
            }
        )
        data.setdefault("notes", []).extend(n for n in target_mod.NOTES if n not in data["notes"])
        tmp = f"{self.out}.{os.getpid()}.tmp"
        try:
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(data, fh)
            os.replace(tmp, self.out)
        except FileNotFoundError:
            # The run folder is gone: gilscope has read the data and reported the run (it waits for the
            # processes of the run before it does, up to a grace period). This one outlived it: stay quiet.
            if os.path.isdir(os.path.dirname(self.out) or "."):
                sys.stderr.write(f"gilscope: could not write profile data to {self.out}\n")
        except OSError as exc:
            sys.stderr.write(f"gilscope: could not write profile data: {exc}\n")

    def _role(self) -> str:
        if self.role != "main":
            mp = sys.modules.get("multiprocessing")
            if mp is not None:
                name = mp.current_process().name
                if name != "MainProcess" and ("PoolWorker" in name or "Process" in name):
                    return "pool worker"
        return self.role

    # ---- the ways a process can end without atexit --------------------------------------------------
    def _install_exit_hooks(self) -> None:
        global _CURRENT
        _CURRENT = self
        os._exit = _exit_with_data
        for name in ("execv", "execve", "execvp", "execvpe", "execl", "execle", "execlp", "execlpe"):
            real = getattr(os, name, None)
            if real is not None:
                setattr(os, name, _before(real, _finish_current))
        if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
            signal.signal(signal.SIGTERM, _on_sigterm)
            if sigterm_rescue.install(_on_sigterm) and not getattr(self.collector, "has_thread", False):
                sigterm_rescue.start_watcher()
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=_after_fork_in_child)

    def _watch_gil_warnings(self) -> None:
        import warnings

        original = warnings.showwarning

        def showwarning(message, category, filename, lineno, file=None, line=None):
            text = str(message)
            if "global interpreter lock" in text.lower() and "'" in text:
                self.gil_reenabled_by.append(text.split("'")[1])
            return original(message, category, filename, lineno, file, line)

        warnings.showwarning = showwarning


def start_child(settings_json: str) -> None:
    """Profile a Python process the target started (not forked): see inject/sitecustomize.py."""
    settings = json.loads(settings_json)
    settings["out"] = f"{settings['out']}.child-{os.getpid()}"
    if settings.get("engine") == "pyspy":  # py-spy follows subprocesses itself
        return
    session = Session(settings, list(getattr(sys, "orig_argv", sys.argv))[1:], role="child")
    session.start()


_REAL_EXIT = os._exit
_CURRENT: Session | None = None


def _finish_current(exit_code=None) -> None:
    if _CURRENT is not None:
        _CURRENT.finish(exit_code)


def _exit_with_data(code):
    _finish_current(code)
    _REAL_EXIT(code)


def _on_sigterm(signum, frame) -> None:
    sigterm_rescue.handler_started()
    if _CURRENT is not None:
        if _CURRENT._finishing:  # interrupted our own write (e.g. os._exit, then Pool.terminate)
            _CURRENT._die_after = signum
            return
        _CURRENT.interrupted = "SIGTERM"
    _finish_current(143)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)


def _after_fork_in_child() -> None:
    """A forked child (e.g. a multiprocessing worker) gets its own collector and its own data file."""
    global _CURRENT
    parent = _CURRENT
    if parent is None:
        return
    parent._written = True  # the parent's data belongs to the parent
    sigterm_rescue.after_fork_in_child()
    gcwatch.WATCH.reset()
    settings = dict(parent.settings, out=f"{parent.settings['out']}.child-{os.getpid()}")
    child = Session(settings, parent.argv, role="child")
    from gilscope.agent.collectors import make_collector

    child.collector = make_collector(parent.engine, settings, gil_enabled())
    child.collector.start()
    _CURRENT = child


def _before(func, hook):
    def wrapper(*args, **kwargs):
        hook()
        return func(*args, **kwargs)

    return wrapper


_IMPLEMENTATIONS = {"cpython": "CPython", "pypy": "PyPy"}


def machine_busy_s():
    """CPU seconds every process on the machine has used since boot (/proc/stat), or None where unknown: the run's
    share of it tells how much other work kept the cores busy meanwhile."""
    try:
        with open("/proc/stat", "rb") as fh:
            fields = fh.readline().split()
        ticks = sum(int(fields[i]) for i in (1, 2, 3, 6, 7, 8))  # user nice system irq softirq steal
        return ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def _since(start, end):
    return None if start is None or end is None else max(0.0, end - start)


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1
