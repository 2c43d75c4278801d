"""Whole-program speedup estimates (Amdahl's law) for a strategy applied to one hotspot.

Every estimate states its formula with the numbers in it and the assumptions in words.
They are upper bounds from the measured shares, not predictions.
"""
from __future__ import annotations

from gilscope.model import Facts, Speedup, Strategy

PER_TASK_S = 0.0002     # assumed pickling + IPC cost per task sent to a process pool
CYTHON_FACTOR = 10.0    # assumed gain of compiled code on the pure-Python part
IO_OVERLAP_CAP = 32     # at most this many waits are assumed to overlap
BATCHING_CAP = 0.9      # batching is assumed to remove at most this share of the run
LOCK_WAIT_CUT = 0.5     # assumed share of lock waiting a narrower critical section removes


def estimate(strategy: Strategy, facts: Facts) -> Speedup | None:
    """The speedup `strategy` could give the whole run, or None when it does not apply."""
    match strategy:
        case Strategy.multiprocessing | Strategy.free_threading if facts.kind in ("cpu", "gil"):
            return _parallel_cpu(strategy, facts)
        case Strategy.threads if facts.kind == "native":
            return _native_threads(facts)
        case Strategy.threads | Strategy.asyncio if facts.kind in ("io", "mixed"):
            return _overlap_io(strategy, facts)
        case Strategy.offload:
            return _offload(facts)
        case Strategy.cython:
            return _cython(facts)
        case Strategy.batching:
            return _batching(facts)
        case Strategy.lock_scope:
            return _lock_scope(facts)
    return None


def amdahl(p: float, n: float, overhead: float = 0.0) -> float:
    """1 / ((1 - p) + p / n + overhead), never below 1."""
    return max(1.0, 1.0 / ((1.0 - p) + p / n + overhead))


def _speedup(p: float, n: float, assumptions: list[str], overhead: float = 0.0) -> Speedup | None:
    if p <= 0:
        return None
    extra = f" + {overhead:.3f}" if overhead else ""
    factor = round(amdahl(p, n, overhead), 2)
    formula = f"1 / ((1 - {p:.2f}) + {p:.2f} / {n:g}{extra}) = {factor:.2f}"
    return Speedup(factor=factor, formula=formula, assumptions=assumptions)


def _parallel_cpu(strategy: Strategy, facts: Facts) -> Speedup | None:
    p = min(facts.share_of_wall, 1.0)
    cores = max(facts.cpu_count, 1)
    if facts.threads > 1:
        n = min(cores, facts.threads)
        workers = f"{n} workers: the {facts.threads} threads already running it, at most {cores} cores"
    else:
        n = cores
        workers = f"{n} workers, one per available core"
    assumptions = [f"the hotspot's measured {p:.0%} of wall time splits evenly over {workers}"]
    overhead = 0.0
    if strategy is Strategy.free_threading:
        assumptions.append("no extension re-enables the GIL; free-threaded single-thread slowdown ignored")
    elif facts.tasks and facts.run_wall_s:
        overhead = min(facts.tasks * PER_TASK_S / facts.run_wall_s, 1.0)
        assumptions.append(f"{facts.tasks} tasks cost an assumed {PER_TASK_S * 1e6:.0f} µs each to pickle and send")
    else:
        assumptions.append("process start-up and pickling costs ignored")
    return _speedup(p, n, assumptions, overhead)


def _native_threads(facts: Facts) -> Speedup | None:
    native = facts.native_share if facts.native_share > 0 else 1.0
    p = min(facts.share_of_wall * native, 1.0)
    n = max(facts.cpu_count, 1)
    return _speedup(p, n, [
        f"{p:.0%} of wall time is native code that releases the GIL (share of wall × native share)",
        f"{n} threads, one per available core; memory bandwidth limits ignored",
    ])


def _overlap_io(strategy: Strategy, facts: Facts) -> Speedup | None:
    io = facts.io_share if facts.io_share > 0 else 1.0
    p = min(facts.share_of_wall * io, 1.0)
    n = min(max(facts.waits, 1), IO_OVERLAP_CAP)
    how = "threads" if strategy is Strategy.threads else "coroutines"
    assumptions = [
        f"{p:.0%} of wall time is waiting (share of wall × I/O share)",
        f"{n} waits overlap in {how} (measured waits, capped at {IO_OVERLAP_CAP}); the server keeps up",
    ]
    if facts.io_share <= 0:
        assumptions.append("I/O share not measured: all of the hotspot's time assumed to be waiting")
    return _speedup(p, n, assumptions)


def _offload(facts: Facts) -> Speedup | None:
    if facts.run_wall_s <= 0:
        return None
    p = min(facts.loop_stall_s / facts.run_wall_s, 1.0)
    stalls = max(facts.loop_stalls, 1)
    n = min(stalls, max(facts.cpu_count, 1)) if facts.kind == "cpu" else min(stalls, IO_OVERLAP_CAP)
    return _speedup(p, n, [
        f"the event loop was stalled {facts.loop_stall_s:.2f} s of {facts.run_wall_s:.2f} s ({p:.0%})",
        f"offloaded, {n} of the {facts.loop_stalls} stalls overlap with each other and the loop",
    ])


def _cython(facts: Facts) -> Speedup | None:
    p = min(facts.share_of_wall * facts.python_share, 1.0)
    return _speedup(p, CYTHON_FACTOR, [
        f"{p:.0%} of wall time is pure-Python bytecode (share of wall × Python share)",
        f"assumption: compiled, typed code runs that part ~{CYTHON_FACTOR:g}x faster (real gains vary, 2-100x)",
    ])


def _batching(facts: Facts) -> Speedup | None:
    if facts.ipc_share > 0:
        p = facts.ipc_share
        measured = f"inter-process traffic took a measured {p:.0%} of the run"
    elif facts.tasks and facts.run_wall_s:
        p = facts.tasks * PER_TASK_S / facts.run_wall_s
        measured = f"{facts.tasks} tasks at an assumed {PER_TASK_S * 1e6:.0f} µs each are {p:.0%} of the run"
    else:
        return None
    assumptions = [measured, "bigger batches remove nearly all of that per-task cost"]
    if p > BATCHING_CAP:
        assumptions.append(f"capped at {BATCHING_CAP:.0%} of the run")
    return _removed(min(p, BATCHING_CAP), assumptions)


def _lock_scope(facts: Facts) -> Speedup | None:
    p = min(facts.share_of_wall * facts.lock_share, 1.0) * LOCK_WAIT_CUT
    return _removed(p, [
        "lock waiting is share of wall × lock share",
        f"assumption: holding the lock for less time removes about {LOCK_WAIT_CUT:.0%} of that waiting",
    ])


def _removed(p: float, assumptions: list[str]) -> Speedup | None:
    """Speedup when a share p of the run is taken away: 1 / (1 - p)."""
    if p <= 0:
        return None
    factor = round(amdahl(p, float("inf")), 2)
    return Speedup(factor=factor, formula=f"1 / (1 - {p:.2f}) = {factor:.2f}", assumptions=assumptions)
