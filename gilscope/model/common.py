"""Shared vocabulary: enums and constrained number types."""
from enum import Enum
from typing import Annotated

from pydantic import Field

Ratio = Annotated[float, Field(ge=0, le=1)]
Seconds = Annotated[float, Field(ge=0)]


class Kind(str, Enum):
    """What a hotspot's time is made of (the contract's vocabulary)."""

    cpu = "cpu"          # Python or C code holding the GIL
    native = "native"    # C code running with the GIL released
    io = "io"            # waiting on network, disk, a subprocess, sleep
    gil = "gil"          # runnable, queuing for the GIL
    lock = "lock"        # waiting on a lock, queue, event or join
    mixed = "mixed"


class State(str, Enum):
    """What one thread was doing during one sampling interval."""

    cpu = "cpu"
    native = "native"
    io = "io"
    gil = "gil"
    lock = "lock"


class Severity(str, Enum):
    info = "info"
    warning = "warning"
    error = "error"

    @property
    def rank(self) -> int:
        return {"info": 1, "warning": 2, "error": 3}[self.value]


class Strategy(str, Enum):
    multiprocessing = "multiprocessing"
    asyncio = "asyncio"
    threads = "threads"
    cython = "cython"
    free_threading = "free-threading"
    batching = "batching"        # bigger chunks, fewer round trips between processes
    lock_scope = "lock-scope"    # hold the lock for less time, or not across slow work
    offload = "offload"          # move blocking work off the event loop
    none = "none"                # caveats and notes that advise no change
