"""The deterministic engines, chosen with --engine cprofile|yappi: exact call counts, at a cost.

- cprofile: cProfile in the main thread, wall clock; other threads are invisible.
- yappi: wall clock with built-ins, every thread started through `threading`; imported only when chosen
  (a C extension that re-enables the GIL on free-threaded builds).
Both give a call graph (own time, calls, edges); gilscope.agent.callgraph turns it into the data dict, with
each thread's measured running time (from /proc, recorded as threads end) bounding what counts as CPU.
"""

from __future__ import annotations

import linecache
import sys
import threading
import time

from gilscope.agent import sigterm_rescue
from gilscope.agent.callgraph import Graph, build_thread, fill_critical, graph_to_stacks


def new_data(notes: list[str]) -> dict:
    return {
        "interval_s": 0.0,
        "gil_measured": False,
        "samples": 0,
        "frames": [],
        "threads": [],
        "stacks": [],
        "stalls": [],
        "calls": {},
        "notes": notes,
    }


# ---- per-thread CPU and identity ------------------------------------------------------------------------
class _ThreadLog:
    """Records every thread's name, native id and running time as it ends. One hook per process: a forked
    child's collector takes over the log its parent's hook writes to."""

    def __init__(self):
        global _LOG
        self.ended: dict = {}  # ident -> [(name, native_id, daemon, busy_s)] in the order they ended
        self.started = 0
        _LOG = self
        _hook_thread_exit()

    def info(self, ident) -> tuple[dict, float | None]:
        obj = threading._active.get(ident)
        if obj is not None:
            cpu = _busy_s(obj.native_id, ident == threading.get_ident(), ident)
            return {
                "tid": obj.native_id or 0,
                "name": obj.name,
                "is_main": obj is threading.main_thread(),
                "daemon": obj.daemon,
            }, cpu
        name, tid, daemon, cpu = (self.ended.get(ident) or [(f"thread-{ident}", 0, False, None)])[-1]
        return {"tid": tid or 0, "name": name, "is_main": False, "daemon": daemon}, cpu


_LOG: _ThreadLog | None = None
_HOOKED = False


def _hook_thread_exit() -> None:
    global _HOOKED
    if _HOOKED:
        return
    _HOOKED = True
    original = threading.Thread._bootstrap_inner

    def _bootstrap_inner(thread):
        log = _LOG
        own = thread.name == sigterm_rescue.WATCHER_NAME  # gilscope's, not the program's
        if log is not None and not own:
            log.started += 1
        try:
            original(thread)
        finally:
            log = _LOG
            if log is not None and not own:
                log.ended.setdefault(thread.ident, []).append(
                    (thread.name, thread.native_id, thread.daemon, _busy_s(thread.native_id, True))
                )

    threading.Thread._bootstrap_inner = _bootstrap_inner


def _busy_s(native_id, current: bool, ident=None) -> float | None:
    """Seconds a thread ran or was runnable (on a CPU, or queued for one): /proc schedstat, else CPU time."""
    try:
        with open(f"/proc/self/task/{native_id}/schedstat", "rb") as fh:
            on_cpu, runq = fh.read().split()[:2]
        return (int(on_cpu) + int(runq)) / 1e9
    except (OSError, ValueError, TypeError):
        pass
    try:
        return time.thread_time() if current else time.clock_gettime(time.pthread_getcpuclockid(ident))
    except (AttributeError, OSError, OverflowError, TypeError):
        return None


# ---- the collectors -------------------------------------------------------------------------------------
_NOTES = [
    "one wall clock: Python time counts as CPU up to the thread's measured running time; the rest is "
    "booked as a GIL wait (when other threads ran Python) or an untraced wait",
    "`with lock:` is not a traced call: its wait shows as the function's own time",
]
_COST = "{} hooks every Python call: about {}x slower on many tiny calls, 1.4-1.6x on loops (Python 3.11)"


class _Deterministic:
    name = ""

    def __init__(self, settings: dict, gil_enabled: bool):
        self.gil_enabled = gil_enabled
        self.log = _ThreadLog()  # (start() begins a fresh one)
        self.ident = 0  # the thread that started profiling (0: none yet)
        self.cpu0 = 0.0

    def start(self) -> None:
        self.log = _ThreadLog()
        self.ident, self.cpu0 = threading.get_ident(), _busy_s(threading.get_native_id(), True) or 0.0
        self._enable()

    def _info(self, ident) -> tuple[dict, float | None]:
        info, cpu = self.log.info(ident)
        if ident == self.ident and cpu is not None:
            cpu = max(0.0, cpu - self.cpu0)
        return info, cpu


class CProfileCollector(_Deterministic):
    """cProfile in the main thread: exact calls, wall-clock own times, one thread."""

    name = "cprofile"

    def _enable(self) -> None:
        import cProfile

        self.profiler = cProfile.Profile()
        self.profiler.enable()

    def stop_and_collect(self) -> dict:
        self.profiler.disable()
        graph = Graph()
        for entry in self.profiler.getstats():
            graph.node(_key(entry.code), *_code_info(entry.code), entry.callcount, entry.inlinetime)
            for sub in entry.calls or ():
                graph.node(_key(sub.code), *_code_info(sub.code), 0)
                graph.edge(_key(entry.code), _key(sub.code), sub.callcount, sub.totaltime)
        data = new_data(
            [
                "cprofile sees only the main thread: other threads' work is invisible (the main thread "
                "shows only its waits on them)",
                *_NOTES,
                _COST.format("cProfile", 5),
            ]
        )
        stacks = graph_to_stacks(graph, data, {})
        threaded = self.log.started > 0 or _program_threads() > 1
        if threaded and sys.version_info >= (3, 12):
            data["notes"].append(MIXED_THREADS_NOTE)
        build_thread(data, *self._info(self.ident), stacks, threaded)
        fill_critical(data)
        return data


# Python 3.12's cProfile hooks sys.monitoring, which reports the calls of every thread to the one profiler
MIXED_THREADS_NOTE = (
    "on Python 3.12+ cProfile records the calls of every thread in one call tree, so the main "
    "thread's functions also carry other threads' calls and times: use --engine auto or yappi "
    "for a threaded program"
)


def _program_threads() -> int:
    return sum(1 for t in threading.enumerate() if t.name != sigterm_rescue.WATCHER_NAME)


def _key(code):
    return code if isinstance(code, str) else (code.co_filename, code.co_firstlineno, code.co_name, code)


def _code_info(code) -> tuple[str, str, int, bool]:
    if isinstance(code, str):
        return code, "", 0, True
    return getattr(code, "co_qualname", code.co_name), code.co_filename, code.co_firstlineno, False


class YappiCollector(_Deterministic):
    """yappi on a wall clock with built-ins, in every thread started through `threading`."""

    name = "yappi"

    def __init__(self, settings: dict, gil_enabled: bool):
        super().__init__(settings, gil_enabled)
        import yappi  # imported here: a C extension that re-enables the GIL on free-threaded builds

        self.yappi = yappi

    def _enable(self) -> None:
        if self.yappi.is_running():  # a forked child inherits its parent's running profiler
            self.yappi.stop()
        self.yappi.clear_stats()
        self.yappi.set_clock_type("wall")
        self.yappi.start(builtins=True, profile_threads=True)

    def stop_and_collect(self) -> dict:
        yappi = self.yappi
        yappi.stop()
        data = new_data(
            [
                "yappi sees threads started through `threading` after profiling began, not threads "
                "of C libraries; forked children are profiled each on their own",
                *_NOTES,
                _COST.format("yappi", 9),
            ]
        )
        if getattr(sys, "_is_gil_enabled", None) is not None:
            data["notes"].append("importing yappi re-enables the GIL on a free-threaded build")
        frame_ids: dict = {}
        own = sigterm_rescue.watcher_ident()
        threads = sorted((t for t in yappi.get_thread_stats() if t.tid != own), key=lambda t: t.id)
        built = []
        for thread in threads:
            graph = Graph()
            # filter=, not ctx_id=: ctx_id=0 (the main thread) is falsy there and returns every thread merged
            for stat in yappi.get_func_stats(filter={"ctx_id": thread.id}):
                graph.node(stat.full_name, *_yappi_info(stat), stat.ncall, stat.tsub)
                for child in stat.children:
                    graph.node(child.full_name, *_yappi_info(child), 0)
                    graph.edge(stat.full_name, child.full_name, child.ncall, child.ttot)
            if _trim_suspended(graph, thread.ttot) and _AWAIT_NOTE not in data["notes"]:
                data["notes"].append(_AWAIT_NOTE)
            built.append((*self._identify(thread, threads), graph_to_stacks(graph, data, frame_ids)))
        running = sum(
            1 for *_, stacks in built if any(v[0] == "cpu" and v[2] > 0.01 for v in stacks.values())
        )
        for info, cpu, stacks in built:
            build_thread(data, info, cpu, stacks, running > 1)
        fill_critical(data)
        return data

    def _identify(self, thread, threads) -> tuple[dict, float | None]:
        """Name, native id and running time of one yappi thread. Idents of ended threads are reused: the k-th
        yappi context with an ident is the k-th thread that ended with it, or the live one."""
        rank = sum(1 for t in threads if t.tid == thread.tid and t.id < thread.id)
        ended = self.log.ended.get(thread.tid, [])
        if rank < len(ended) and (rank < len(ended) - 1 or thread.tid not in threading._active):
            name, tid, daemon, cpu = ended[rank]
            return {"tid": tid or 0, "name": name, "is_main": False, "daemon": daemon}, cpu
        return self._info(thread.tid)


def _yappi_info(stat) -> tuple[str, str, int, bool]:
    if stat.builtin:
        return (stat.name if stat.name.startswith("<") else f"{stat.module}.{stat.name}"), "", 0, True
    return stat.name, stat.module, stat.lineno, False


_AWAIT_NOTE = (
    "yappi counts a coroutine's time suspended at `await` as its own; the excess over the thread's "
    "wall time was taken off coroutines (and then off all functions) in proportion"
)


def _trim_suspended(graph: Graph, wall: float) -> bool:
    """Own times that add up to more than the thread's wall time: take the excess off `async def` functions
    first, then off everything, in proportion. Returns whether anything was taken."""
    nodes = graph.nodes.values()
    excess = sum(n[6] for n in nodes) - wall
    if wall <= 0 or excess <= 0.01 * wall:
        return False
    coroutines = [n for n in nodes if n[1] and _is_async_def(n[1], n[2])]
    for group in (coroutines, list(nodes)):
        total = sum(n[6] for n in group)
        if total > 0 and excess > 0:
            keep = max(0.0, 1 - excess / total)
            excess -= total * (1 - keep)
            for n in group:
                n[6] *= keep
    return True


def _is_async_def(filename: str, line: int) -> bool:
    for offset in range(8):  # decorators come first: co_firstlineno is the first decorator's line
        text = linecache.getline(filename, line + offset).lstrip()
        if text.startswith(("async def", "def")):
            return text.startswith("async def")
    return False
