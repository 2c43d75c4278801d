"""The agent's records, shared by the agent that writes them and the collect stage that reads them.

One NamedTuple per kind of row. JSON writes a row as a plain list, so the field order is the wire format; a
reader rebuilds a row with Row(*values) (fields added at the end have defaults, so older, shorter rows still
read). Standard library only, like the rest of the agent.
"""

from __future__ import annotations

from typing import NamedTuple

# Names the rows use for what no call names.
GC_FUNCTION = "garbage collection"  # StackRow.c_function of a collection's time
# StackRow.blocker of a thread queued on an object other threads use (free-threaded builds): the object's own
# lock, or the interpreter's for reference counts of objects several threads use
OBJECT_LOCK = "shared object"


class FrameRow(NamedTuple):
    """A code location the stacks refer to by index."""

    function: str  # qualified name
    file: str
    line: int  # the line the function starts on
    user: bool  # the user's own code, not the standard library's or an installed package's


class StackRow(NamedTuple):
    """Time one thread spent in one stack and state."""

    thread: int  # index into the snapshot's threads
    frames: list  # frame indexes, outermost first
    line: int  # the innermost user frame's line (0: none)
    state: str  # cpu, native, io, gil or lock
    blocker: str | None  # the call it waited in or ran without the GIL, "idle", "GIL"...
    samples: int
    wall_s: float
    cpu_s: float
    critical_s: float  # of wall_s, the time on the program's critical path
    waits: float = 0  # blocking waits that ended in it (wake-ups)
    c_function: str | None = None  # C code it ran holding the GIL (cpu state), or garbage collection
    core_wait_s: float = 0.0  # of wall_s, runnable but waiting for a core (run-queue time): no CPU time
    # of wall_s, held up by gilscope's own stack read (waiting for the GIL the sampler held, or parked while a
    # free-threaded read stopped the world): the running it interrupted, but no CPU time and not the program's
    read_wait_s: float = 0.0


class StallRow(NamedTuple):
    """Stalls of an asyncio event loop by one callback's stack."""

    thread: int
    frames: list  # outermost first
    state: str
    times: int  # ("count" would shadow tuple.count)
    total_s: float
    max_s: float
