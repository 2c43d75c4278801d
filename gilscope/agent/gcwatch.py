"""Garbage-collection pauses, timed by a gc.callbacks hook: per generation for the run, and per thread, so the
sampler can book a collection's time apart from the code that happened to trigger it.

A collection holds the GIL (or, free-threaded, stops the world) from start to end, so nothing else runs
Python meanwhile. The hook itself is Python, though: entering it, the thread may hand the GIL to another
before it reads a clock, and other threads' turns would count as collecting. So while the program runs
other threads, a collection is timed by the collecting thread's own CPU clock, which stops while they run;
alone (the sampler aside), by the wall clock, which also counts what the collection costs in waiting for
memory.
"""

from __future__ import annotations

import gc
import threading
import time

from gilscope.agent.ftsafe import lookup

_perf = time.perf_counter
_cpu = time.thread_time
_ident = threading.get_ident
_threads = threading._active  # read without threading's lock, which this hook may run under


class GcWatch:
    def __init__(self):
        self.generations = [[0, 0.0, 0.0] for _ in range(3)]  # per generation: collections, seconds, longest
        self.by_thread: dict[int, float] = {}  # thread ident -> seconds collecting
        self._started: dict[int, tuple[float, float]] = {}  # ident -> (wall, thread CPU) at the start
        self._installed = False

    def __call__(self, phase, info) -> None:
        ident = _ident()
        if phase == "start":
            self._started[ident] = (_perf(), _cpu())
            return
        began = self._started.pop(ident, None)
        if began is None:
            return
        seconds = _perf() - began[0]
        if len(_threads) > 2:  # the main thread and the sampler; dict length: no lock in a gc hook
            seconds = min(seconds, _cpu() - began[1])
        self.by_thread[ident] = lookup(self.by_thread, ident, 0.0) + seconds
        gen = self.generations[min(max(int(lookup(info, "generation", 0)), 0), 2)]
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
        began = lookup(self._started, ident)
        return lookup(self.by_thread, ident, 0.0) + (
            now - began[0] if began is not None and now > began[0] else 0.0
        )

    def snapshot(self) -> list:
        return [list(g) for g in self.generations]


WATCH = GcWatch()
