"""Garbage-collection pauses, timed by a gc.callbacks hook: per generation for the run, and per thread, so the
sampler can book a collection's time apart from the code that happened to trigger it.

The hook costs two clock reads per collection. A collection holds the GIL (or, free-threaded, stops the world)
from start to end, so nothing else runs Python meanwhile.
"""

from __future__ import annotations

import gc
import threading
import time

_perf = time.perf_counter
_ident = threading.get_ident


class GcWatch:
    def __init__(self):
        self.generations = [[0, 0.0, 0.0] for _ in range(3)]  # per generation: collections, seconds, longest
        self.by_thread: dict[int, float] = {}  # thread ident -> seconds collecting
        self._started: dict[int, float] = {}
        self._installed = False

    def __call__(self, phase, info) -> None:
        ident = _ident()
        if phase == "start":
            self._started[ident] = _perf()
            return
        began = self._started.pop(ident, None)
        if began is None:
            return
        seconds = _perf() - began
        self.by_thread[ident] = self.by_thread.get(ident, 0.0) + seconds
        gen = self.generations[min(max(int(info.get("generation", 0)), 0), 2)]
        gen[0] += 1
        gen[1] += seconds
        if seconds > gen[2]:
            gen[2] = seconds

    def reset(self) -> None:
        """A forked child starts its own account (the parent's collections are the parent's)."""
        self.generations = [[0, 0.0, 0.0] for _ in range(3)]
        self.by_thread = {}
        self._started = {}

    def install(self) -> None:
        if not self._installed:
            gc.callbacks.append(self)
            self._installed = True

    def remove(self) -> None:
        if self._installed:
            try:
                gc.callbacks.remove(self)
            except ValueError:
                pass
            self._installed = False

    def seconds_in(self, ident: int, now: float) -> float:
        """Seconds the thread has spent collecting, the collection it may be in now included (a sample can
        land in this hook's "stop" call, before it has added the collection up)."""
        began = self._started.get(ident)
        return self.by_thread.get(ident, 0.0) + (now - began if began is not None and now > began else 0.0)

    def snapshot(self) -> list:
        return [list(g) for g in self.generations]


WATCH = GcWatch()
