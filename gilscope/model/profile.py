"""The collected profile: aggregated samples, as every engine hands them to the classifier.

It is saved inside the JSON report so that reports can be re-rendered without running the target again.
"""

from dataclasses import field
from typing import Annotated

from gilscope.model.base import Constraint, record
from gilscope.model.common import Count, Role, Seconds, State


@record
class Frame:
    """One code location: a function and the line the sample was on."""

    function: str
    file: str
    line: Count  # the line the function is defined on
    user: bool  # the user's own code, not stdlib or site-packages


@record
class StackCount:
    """Samples that shared one thread, stack and state, summed."""

    thread: int  # index into Profile.threads
    frames: tuple[int, ...]  # indexes into Profile.frames, outermost first
    line: int = 0  # the line executing in the innermost frame
    state: State
    blocker: str | None = None  # the blocking call, e.g. "time.sleep", "socket.recv", "Lock.acquire"
    samples: Count
    wall_s: Seconds
    cpu_s: Seconds
    critical_s: Seconds = 0.0  # wall time during which the program's main thread waited on this thread
    waits: Count = 0  # blocking waits that ended (the thread was scheduled in again), if known
    c_function: str | None = None  # cpu state only: the C function running while holding the GIL
    # (e.g. "json.dumps"); None means Python bytecode
    core_wait_s: Seconds = 0.0  # of wall_s, runnable but waiting for a core (run-queue time), if measured
    read_wait_s: Seconds = 0.0  # of wall_s, held up by gilscope's own stack read (the sampler's cost)


@record
class ThreadProfile:
    tid: int  # native (OS) thread id
    name: str
    process: int = 0  # index into Profile.processes
    is_main: bool = False
    daemon: bool = False
    wall_s: Seconds = 0.0
    cpu_s: Seconds = 0.0
    states: dict[State, Seconds] = field(default_factory=dict)
    # (start_s, end_s, state) from the run's start, adjacent equal states merged, capped in count
    segments: list[tuple[float, float, State]] = field(default_factory=list)


@record
class LoopStall:
    """Stretches during which asyncio callbacks with one stack kept the event loop from running anything else."""

    thread: int
    frames: tuple[int, ...]  # the stack of the user code that stalled the loop (outermost first)
    state: State  # what the stalling code did: io (blocking call), cpu or native
    count: Count  # how many separate stalls
    total_s: Seconds
    max_s: Seconds


@record
class GcGeneration:
    """Garbage collections of one generation over the run (all processes), timed by a gc.callbacks hook."""

    generation: Annotated[int, Constraint(ge=0, le=2)]
    collections: Count = 0
    total_s: Seconds = 0.0
    max_s: Seconds = 0.0


@record
class ProcessProfile:
    pid: int
    role: Role = Role.main  # main, pool worker or child
    argv: list[str] = field(default_factory=list)
    wall_s: Seconds = 0.0
    cpu_s: Seconds = 0.0


@record
class Profile:
    """Everything one run of the target produced, merged over its processes."""

    engine: str
    interval_s: Seconds
    wall_s: Seconds
    cpu_s: Seconds
    samples: int = 0
    gil_measured: bool = True  # False when the engine cannot see the GIL (or there is none)
    frames: list[Frame] = field(default_factory=list)
    threads: list[ThreadProfile] = field(default_factory=list)
    processes: list[ProcessProfile] = field(default_factory=list)
    stacks: list[StackCount] = field(default_factory=list)
    loop_stalls: list[LoopStall] = field(default_factory=list)
    calls: dict[int, int] = field(
        default_factory=dict
    )  # frame index -> exact call count (deterministic engines)
    # frame index -> separate calls of that function the sampler saw running (a lower bound on its call count)
    invocations: dict[int, int] = field(default_factory=dict)
    gil_reenabled_by: list[str] = field(default_factory=list)
    ipc: dict[str, float] = field(default_factory=dict)  # inter-process counters: tasks, pickled_bytes, ...
    notes: list[str] = field(default_factory=list)  # collector caveats, shown in the report
    gc: list[GcGeneration] = field(default_factory=list)  # per generation; empty when not measured
    rounds: int = 0  # times the sampler read the stacks (samples counts intervals covered)
    gil_wait_s: Seconds = 0.0  # time the main process's sampler waited for the GIL after its sleeps
