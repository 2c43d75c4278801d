"""Whole-program speedup estimates for a strategy applied to one hotspot, from measured facts.

The model is a time budget. Before = the profiled wall time + the interpreter's start-up (which any
`time python script.py` includes). After = before - the part the change divides + that part / n + what the
change adds (a process pool's start, an import). n is what the change really overlaps:
- CPU work over processes: the workers, capped by the cores available;
- waits over threads or coroutines: the waits that can run at once, in rounds (30 waits over 10 threads
  take 3 rounds of one wait each, so n = 30 / 3);
- a lock held across slow work: the threads that queued on it, if that work can overlap (I/O, native code).
Every estimate states its formula with the numbers in it and the assumptions in words.
"""

from __future__ import annotations

import math

from gilscope.model import Facts, Speedup, Strategy

STARTUP_S = 0.02  # interpreter start-up and exit, outside the profiled wall time
PER_TASK_S = 0.0002  # assumed pickling + IPC cost per task sent to a process pool
POOL_START_S = 0.01  # measured: ProcessPoolExecutor/Pool start + shutdown with fork, 2-4 workers
POOL_START_PER_WORKER_S = 0.001
THREAD_POOL_S = 0.01  # measured: importing concurrent.futures and starting a thread pool
ASYNCIO_IMPORT_S = 0.02  # importing asyncio and starting an event loop, for code that had none
CYTHON_FACTOR = 10.0  # assumed gain of compiled code on the pure-Python part
IO_POOL_WORKERS = 10  # threads the I/O advice proposes (gilscope/advice writes this max_workers)
IO_OVERLAP_CAP = 32  # at most this many waits are assumed to overlap when no pool size is known
BATCHING_CAP = 0.99  # batching removes at most this share of the run
LOCK_WAIT_CUT = 0.5  # without a measured holder: share of lock waiting a narrower critical section removes
WAIT_OVERCOUNT = 1.15  # measured waits may exceed the real ones by this factor (see rounds())
CONTENDED = 0.85  # a CPU-bound run that got less of a core than this was sharing the machine


def estimate(strategy: Strategy, facts: Facts, concurrency: int | None = None) -> Speedup | None:
    """The speedup `strategy` could give the whole run, or None when it does not apply.

    `concurrency` is how many workers (threads, processes, overlapping waits) the proposed change runs,
    when the advice knows it from the source (e.g. max_workers=4); None means the strategy's default.
    """
    match strategy:
        case Strategy.multiprocessing | Strategy.free_threading if facts.kind in ("cpu", "gil"):
            return _parallel_cpu(strategy, facts, concurrency)
        case Strategy.threads if facts.kind == "native":
            return _native_threads(facts, concurrency)
        case Strategy.threads | Strategy.asyncio if facts.kind in ("io", "mixed"):
            return _overlap_io(strategy, facts, concurrency)
        case Strategy.offload:
            return _offload(facts, concurrency)
        case Strategy.cython:
            return _cython(facts)
        case Strategy.batching:
            return _batching(facts)
        case Strategy.lock_scope:
            return _lock_scope(facts)
        case Strategy.gc_tuning:
            return _gc(facts)
        case Strategy.per_thread_data:
            return _per_thread_data(facts)
    return None


def amdahl(p: float, n: float, overhead: float = 0.0) -> float:
    """1 / ((1 - p) + p / n + overhead), never below 1."""
    return max(1.0, 1.0 / ((1.0 - p) + p / n + overhead))


def _speedup(
    p: float,
    n: float,
    assumptions: list[str],
    facts: Facts | None = None,
    added_s: float = 0.0,
    added: str = "",
) -> Speedup | None:
    """Share p of the run divided by n, plus added_s seconds; in seconds when the run's length is known."""
    if p <= 0:
        return None
    p = min(p, 1.0)
    n = max(n, 1.0)
    if facts is None or facts.run_wall_s <= 0:
        factor = round(amdahl(p, n), 2)
        return Speedup(
            factor=factor,
            formula=f"1 / ((1 - {p:.2f}) + {p:.2f} / {n:.3g}) = {factor:.2f}",
            assumptions=assumptions,
        )
    before = facts.run_wall_s + STARTUP_S
    part = p * facts.run_wall_s
    after = before - part + part / n + added_s
    factor = round(max(1.0, before / after), 2)
    extra = f" + {added_s:.3f}" if added_s else ""
    formula = f"{before:.3f} s / ({before:.3f} - {part:.3f} + {part:.3f} / {n:.3g}{extra}) s = {factor:.2f}"
    assumptions = [
        *assumptions,
        f"the run takes {facts.run_wall_s:.2f} s profiled + an assumed {STARTUP_S:.2f} s "
        "of interpreter start-up, which no change shortens",
    ]
    if added:
        assumptions.append(added)
    return Speedup(factor=factor, formula=formula, assumptions=assumptions)


def _parallel_cpu(strategy: Strategy, facts: Facts, concurrency: int | None) -> Speedup | None:
    p = min(facts.share_of_wall, 1.0)
    cores = max(facts.cpu_count, 1)
    n: float
    if concurrency:
        n = min(cores, concurrency)
        workers = f"{n} workers: the {concurrency} the change starts, at most {cores} cores"
    elif facts.threads > 1:
        n = min(cores, facts.threads)
        workers = f"{n} workers: the {facts.threads} threads already running it, at most {cores} cores"
    else:
        n = cores
        workers = f"{n} workers, one per available core"
    assumptions = [f"the hotspot's measured {p:.0%} of wall time splits evenly over {workers}"]
    n, shared = _contended(n, cores, facts)
    if shared:
        assumptions.append(shared)
    if strategy is Strategy.free_threading:
        assumptions.append("no extension re-enables the GIL; free-threaded single-thread slowdown ignored")
        return idle_cores_cap(_speedup(p, n, assumptions, facts), facts)
    added_s = POOL_START_S + POOL_START_PER_WORKER_S * n
    added = (
        f"starting and stopping the process pool costs {added_s * 1e3:.0f} ms (measured with "
        "fork; spawn costs more)"
    )
    if facts.tasks:
        added_s += facts.tasks * PER_TASK_S
        added += f"; {facts.tasks} tasks cost an assumed {PER_TASK_S * 1e6:.0f} µs each to pickle and send"
    else:
        assumptions.append("few tasks with small arguments: pickling costs ignored")
    return idle_cores_cap(_speedup(p, n, assumptions, facts, added_s, added), facts)


def idle_cores_cap(speedup: Speedup | None, facts: Facts) -> Speedup | None:
    """Parallel work cannot use cores the run already keeps busy: with 1.8 of 2 cores in use the whole run
    can get at most 2 / 1.8 faster, whatever the share of the hotspot."""
    if speedup is None or facts.process_cpu_cores <= 0 or facts.cpu_count < 1:
        return speedup
    cap = round(max(1.0, facts.cpu_count / max(facts.process_cpu_cores, 1.0)), 2)
    if speedup.factor <= cap:
        return speedup
    return Speedup(
        factor=cap,
        formula=f"min({speedup.formula}, {facts.cpu_count} cores / "
        f"{facts.process_cpu_cores:.2f} in use) = {cap:.2f}",
        assumptions=[
            *speedup.assumptions,
            f"capped: the run already used {facts.process_cpu_cores:.2f} "
            f"of {facts.cpu_count} cores, so parallel work gains at most {cap:.2f}x",
        ],
    )


def _gc(facts: Facts) -> Speedup | None:
    if facts.gc_share <= 0:
        return None
    return _removed(
        min(facts.gc_share, BATCHING_CAP),
        [
            f"garbage collection took a measured {facts.gc_share:.0%} of the run",
            "upper bound: the collections' time is removed entirely (gc.freeze() after start-up leaves little for "
            "full collections to walk; raising thresholds makes them rarer)",
        ],
        facts,
    )


def _contended(n: int, cores: int, facts: Facts) -> tuple[float, str]:
    """Workers' real parallelism when other processes keep the cores busy.

    A CPU-bound process that wanted a whole core but got only a = process_cpu_cores of one shares the
    `cores` with about L = cores / a - 1 other busy tasks. With fair scheduling, n workers then get
    n * cores / (L + n) cores against the cores / (L + 1) the one process had: n_eff = n (L + 1) / (L + n).
    """
    a = facts.process_cpu_cores
    if facts.kind not in ("cpu", "gil") or not 0 < a < CONTENDED or n <= 1:
        return n, ""
    others = cores / a - 1
    n_eff = n * (others + 1) / (others + n)
    return n_eff, (
        f"other processes kept the machine busy: the run got {a:.2f} of a core while it wanted one, "
        f"about {others:.1f} other busy tasks on {cores} cores, so {n} workers act like {n_eff:.2f}"
    )


def _native_threads(facts: Facts, concurrency: int | None) -> Speedup | None:
    native = facts.native_share if facts.native_share > 0 else 1.0
    p = min(facts.share_of_wall * native, 1.0)
    cores = max(facts.cpu_count, 1)
    n = min(cores, concurrency) if concurrency else cores
    return idle_cores_cap(
        _speedup(
            p,
            n,
            [
                f"{p:.0%} of wall time is native code that releases the GIL (share of wall × native share)",
                f"{n} threads at once, at most one per available core; memory bandwidth limits ignored",
            ],
            facts,
            THREAD_POOL_S,
            f"a thread pool costs about {THREAD_POOL_S * 1e3:.0f} ms to import and start",
        ),
        facts,
    )


def rounds(waits: int, workers: int) -> tuple[int, float]:
    """Waits overlapped `workers` at a time take ceil(waits / workers) rounds: n = waits / rounds.

    Waits are counted from wake-ups, which over-count by up to WAIT_OVERCOUNT (a thread woken from a sleep
    may block again on the GIL), so a count just past a multiple of the pool size is not taken as a new round.
    """
    waits = max(waits, 1)
    workers = max(min(workers, waits), 1)
    r = max(1, math.ceil(waits / WAIT_OVERCOUNT / workers))
    return r, min(waits / r, workers)


def _overlap_io(strategy: Strategy, facts: Facts, concurrency: int | None) -> Speedup | None:
    io = facts.io_share if facts.io_share > 0 else 1.0
    p = min(facts.share_of_wall * io, 1.0)
    waits = max(facts.waits, 1)
    threads = strategy is Strategy.threads
    if concurrency:
        workers, why = concurrency, f"{concurrency} at a time, as the change proposes"
    elif threads:
        workers, why = IO_POOL_WORKERS, f"{IO_POOL_WORKERS} threads, the pool size the advice proposes"
    else:
        workers, why = IO_OVERLAP_CAP, f"at most {IO_OVERLAP_CAP} in flight"
    r, n = rounds(waits, workers)
    assumptions = [
        f"{p:.0%} of wall time is waiting (share of wall × I/O share)",
        f"{waits} measured waits of similar length, {why}: {r} round(s) of waiting; the server keeps up",
    ]
    if facts.io_share <= 0:
        assumptions.append("I/O share not measured: all of the hotspot's time assumed to be waiting")
    if threads:
        added_s, added = (
            THREAD_POOL_S,
            f"a thread pool costs about {THREAD_POOL_S * 1e3:.0f} ms to import and start",
        )
    elif facts.in_event_loop:
        added_s, added = 0.0, ""
    else:
        added_s, added = (
            ASYNCIO_IMPORT_S,
            f"asyncio costs about {ASYNCIO_IMPORT_S * 1e3:.0f} ms to import and start a loop",
        )
    return _speedup(p, n, assumptions, facts, added_s, added)


def default_executor_workers(cpu_count: int) -> int:
    """asyncio.to_thread and run_in_executor(None, ...) use a ThreadPoolExecutor of min(32, cores + 4)."""
    return min(32, max(cpu_count, 1) + 4)


def _offload(facts: Facts, concurrency: int | None) -> Speedup | None:
    if facts.run_wall_s <= 0:
        return None
    p = min(facts.loop_stall_s / facts.run_wall_s, 1.0)
    stalls = max(facts.loop_stalls, 1)
    if facts.kind == "cpu":
        workers = min(stalls, max(facts.cpu_count, 1))
        how = f"in a process pool, at most {max(facts.cpu_count, 1)} at once (one per core)"
    elif concurrency:
        workers, how = concurrency, f"{concurrency} at a time, as the change proposes"
    else:
        workers = default_executor_workers(facts.cpu_count)
        how = f"in asyncio's default thread pool of {workers} threads (min(32, cores + 4))"
    r, n = rounds(stalls, workers)
    return _speedup(
        p,
        n,
        [
            f"the event loop was stalled {facts.loop_stall_s:.2f} s of {facts.run_wall_s:.2f} s ({p:.0%})",
            f"offloaded {how}, the {facts.loop_stalls} stalls take {r} round(s) next to the loop",
        ],
        facts,
    )


def _cython(facts: Facts) -> Speedup | None:
    p = min(facts.share_of_wall * facts.python_share, 1.0)
    return _speedup(
        p,
        CYTHON_FACTOR,
        [
            f"{p:.0%} of wall time is pure-Python bytecode (share of wall × Python share)",
            f"assumption: compiled, typed code runs that part ~{CYTHON_FACTOR:g}x faster (real gains vary, 2-100x)",
        ],
    )


def _batching(facts: Facts) -> Speedup | None:
    if facts.ipc_share > 0:
        scope = facts.share_of_wall if facts.scope == "hotspot" and facts.share_of_wall > 0 else 1.0
        p = facts.ipc_share * scope
        measured = f"inter-process traffic took a measured {facts.ipc_share:.0%} of the workers' time" + (
            f", during the {scope:.0%} of the run spent in the pool" if scope < 1 else ""
        )
    elif facts.tasks and facts.run_wall_s:
        p = facts.tasks * PER_TASK_S / facts.run_wall_s
        measured = f"{facts.tasks} tasks at an assumed {PER_TASK_S * 1e6:.0f} µs each are {p:.0%} of the run"
    else:
        return None
    assumptions = [measured, "bigger chunks remove nearly all of that per-task cost; the pool's start stays"]
    if p > BATCHING_CAP:
        assumptions.append(f"capped at {BATCHING_CAP:.0%} of the run")
    return _removed(
        min(p, BATCHING_CAP),
        assumptions,
        facts,
        POOL_START_S + POOL_START_PER_WORKER_S * max(facts.cpu_count, 1),
    )


def _lock_scope(facts: Facts) -> Speedup | None:
    threads = max(facts.threads, facts.lock_held_threads)
    if facts.lock_held_share > 0 and threads > 1:
        p = min(facts.lock_held_share, 1.0)
        held = f"threads held the lock doing {facts.lock_held_kind or 'unknown'} work {p:.0%} of the run"
        if facts.lock_held_kind in ("cpu", "gil"):
            return Speedup(
                factor=1.0,
                formula="1 (CPU-bound Python work does not overlap under the GIL)",
                assumptions=[held, "moved out of the lock, that work still takes turns for the GIL"],
            )
        cap = max(facts.cpu_count, 1) if facts.lock_held_kind == "native" else IO_OVERLAP_CAP
        n = min(threads, cap)
        return _speedup(
            p,
            n,
            [
                held,
                f"moved out of the lock, the {threads} threads overlap it ({n} at once); "
                "only the shared-state update stays locked",
            ],
            facts,
        )
    p = min(facts.share_of_wall * facts.lock_share, 1.0) * LOCK_WAIT_CUT
    return _removed(
        p,
        [
            "lock waiting is share of wall × lock share",
            f"assumption: holding the lock for less time removes about {LOCK_WAIT_CUT:.0%} of that waiting",
        ],
    )


SHARED_WAIT_KEPT = 0.1  # of the time booked as queuing on a shared object, what may have been the work itself


def _per_thread_data(facts: Facts) -> Speedup | None:
    """Private objects per thread, merged at the end: the queue on the shared one goes."""
    if facts.object_lock_share <= 0 or facts.threads < 2:
        return None
    p = min(facts.share_of_wall * facts.object_lock_share, 1.0) * (1 - SHARED_WAIT_KEPT)
    return _removed(
        p,
        [
            f"the {facts.threads} threads queued on {facts.shared_object or 'a shared object'} "
            f"{facts.object_lock_share:.0%} of their time in {facts.function}",
            "with an object of its own, no thread queues; a tenth of that time is kept as the work done "
            "between waits (intervals are booked whole), and the merge at the end is taken as free",
        ],
        facts,
    )


def _removed(
    p: float, assumptions: list[str], facts: Facts | None = None, added_s: float = 0.0
) -> Speedup | None:
    """Speedup when a share p of the run is taken away: 1 / (1 - p), or in seconds when the run is known."""
    if p <= 0:
        return None
    if facts is not None and facts.run_wall_s > 0:
        before = facts.run_wall_s + STARTUP_S
        part = p * facts.run_wall_s
        factor = round(max(1.0, before / (before - part + added_s)), 2)
        return Speedup(
            factor=factor,
            formula=f"{before:.3f} s / ({before:.3f} - {part:.3f} + {added_s:.3f}) s = {factor:.2f}",
            assumptions=[
                *assumptions,
                f"interpreter start-up ({STARTUP_S:.2f} s, assumed) "
                f"and the pool's start ({added_s * 1e3:.0f} ms) remain",
            ],
        )
    factor = round(amdahl(p, float("inf")), 2)
    return Speedup(factor=factor, formula=f"1 / (1 - {p:.2f}) = {factor:.2f}", assumptions=assumptions)
