"""Collectors that run inside the target process. Each has `name`, `start()` and `stop_and_collect() -> dict`."""

from __future__ import annotations

import os
import sys

from gilscope.agent.sampler import Sampler

DEFAULT_INTERVAL = 0.005


class SamplerCollector:
    """The default engine: the statistical sampler with per-thread OS state (see sampler.py)."""

    name = "sampler"
    has_thread = True  # its thread also looks after SIGTERM (see sigterm_rescue.py)

    def __init__(self, settings: dict, gil_enabled: bool, notes: tuple = ()):
        self.sampler = Sampler(
            float(settings.get("interval", DEFAULT_INTERVAL)),
            gil_enabled,
            run_folder=os.path.dirname(settings.get("out", "")) or None,
        )
        self.gil_enabled = gil_enabled
        self.notes = list(notes)

    def start(self) -> None:
        _hook_thread_exit(self.sampler)
        self.sampler.start()
        if not self.gil_enabled:
            self.sampler.warm.wait(1.0)  # see Sampler.run: its first round, before the target runs

    def stop_and_collect(self) -> dict:
        self.sampler.stop()
        self.sampler.finish_all()  # every live thread's last interval, and those no round saw
        data = self.sampler.snapshot()
        data["interval_s"] = self.sampler.interval
        data["gil_measured"] = self.gil_enabled
        if self.notes:
            data["notes"] = [*self.notes, *data.get("notes", ())]
        return data


_ACTIVE = None  # the sampler of this process (a forked child replaces its parent's)
_HOOKED = False


def _hook_thread_exit(sampler) -> None:
    """Threads that end between two samples still get their last interval booked."""
    global _ACTIVE, _HOOKED
    _ACTIVE = sampler
    if _HOOKED:
        return
    _HOOKED = True
    import threading

    original = threading.Thread._bootstrap_inner  # stable since 3.x; run() may be overridden

    def _bootstrap_inner(self):
        try:
            original(self)
        finally:
            active = _ACTIVE
            if active is not None and not active._stop_event.is_set():
                active.finish_thread(threading.get_ident(), self)

    threading.Thread._bootstrap_inner = _bootstrap_inner


class OutsideCollector:
    """py-spy samples from outside the process: inside, the agent only records how the run ended."""

    name = "pyspy"

    def __init__(self, settings: dict, gil_enabled: bool):
        self.gil_enabled = gil_enabled

    def start(self) -> None:
        pass

    def stop_and_collect(self) -> dict:
        return {"interval_s": 0.0, "gil_measured": self.gil_enabled, "samples": 0}


# CPython gh-116738: before 3.14 cProfile is not thread-safe without the GIL. Its one profiler takes every
# thread's calls, and concurrent threads corrupt it: "SystemError: null argument to internal routine", then a
# segfault in getstats() (seen with a multiprocessing pool's handler threads on 3.13t). Fixed in 3.14.
CPROFILE_FREE_THREADED_NOTE = (
    "--engine cprofile is not safe on a free-threaded build before Python 3.14 "
    "(CPython gh-116738: cProfile crashes when threads run without the GIL): the "
    "default sampler profiled this run instead"
)


def make_collector(engine: str, settings: dict, gil_enabled: bool):
    if engine in ("auto", "sampler"):
        return SamplerCollector(settings, gil_enabled)
    if engine == "pyspy":
        return OutsideCollector(settings, gil_enabled)
    if engine == "cprofile":
        if not gil_enabled and sys.version_info < (3, 14):
            return SamplerCollector(settings, gil_enabled, (CPROFILE_FREE_THREADED_NOTE,))
        from gilscope.agent.deterministic import CProfileCollector

        return CProfileCollector(settings, gil_enabled)
    if engine == "yappi":
        from gilscope.agent.deterministic import YappiCollector

        return YappiCollector(settings, gil_enabled)
    raise ValueError(f"unknown engine {engine!r}")
