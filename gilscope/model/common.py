"""Shared vocabulary: enums and constrained number types.

Every enum is a StrEnum: its members are the strings the JSON report and the rule files use, they compare
equal to those strings, and str()/f-strings give the value. Engine and Format are defined in the light
gilscope.formats (the CLI needs them before the models are imported) and re-exported here.
"""

from enum import StrEnum
from typing import Annotated, Literal

from gilscope.formats import Engine, Format
from gilscope.model.base import Constraint

__all__ = [
    "Count",
    "Engine",
    "Format",
    "Kind",
    "Ratio",
    "Role",
    "Scope",
    "Seconds",
    "Severity",
    "State",
    "Strategy",
]

Ratio = Annotated[float, Constraint(ge=0, le=1)]
Seconds = Annotated[float, Constraint(ge=0)]
Count = Annotated[int, Constraint(ge=0)]


class Kind(StrEnum):
    """What a hotspot's time is made of (the contract's vocabulary)."""

    cpu = "cpu"  # Python or C code holding the GIL
    native = "native"  # C code running with the GIL released
    io = "io"  # waiting on network, disk, a subprocess, sleep
    gil = "gil"  # runnable, queuing for the GIL
    lock = "lock"  # waiting on a lock, queue, event or join
    mixed = "mixed"


class Role(StrEnum):
    """Where code ran: the thread or process role of a hotspot, a thread summary or a process."""

    main = "main"  # the main thread of the target's own process (or that process)
    worker_thread = "worker thread"  # another thread of the main process
    daemon_thread = "daemon thread"  # a daemon thread of the main process (a helper: watchdog, heartbeat)
    pool_worker = "pool worker"  # a multiprocessing / ProcessPoolExecutor worker process
    child = "child"  # any other child process


# A Facts row describes one hotspot or the whole run.
Scope = Literal["hotspot", "run"]


class State(StrEnum):
    """What one thread was doing during one sampling interval."""

    cpu = "cpu"
    native = "native"
    io = "io"
    gil = "gil"
    lock = "lock"


class Severity(StrEnum):
    info = "info"
    warning = "warning"
    error = "error"

    @property
    def rank(self) -> int:
        return {"info": 1, "warning": 2, "error": 3}[self.value]


class Strategy(StrEnum):
    multiprocessing = "multiprocessing"
    asyncio = "asyncio"
    threads = "threads"
    cython = "cython"
    free_threading = "free-threading"
    batching = "batching"  # bigger chunks, fewer round trips between processes
    lock_scope = "lock-scope"  # hold the lock for less time, or not across slow work
    offload = "offload"  # move blocking work off the event loop
    gc_tuning = "gc-tuning"  # fewer or cheaper garbage collections: gc.freeze(), thresholds, fewer cycles
    per_thread_data = (
        "per-thread-data"  # each thread its own object, merged at the end (free-threaded builds)
    )
    none = "none"  # caveats and notes that advise no change
