"""The collected profile: aggregated samples, as every engine hands them to the classifier.

It is saved inside the JSON report so that reports can be re-rendered without running the target again.
"""

from pydantic import BaseModel, ConfigDict, Field

from gilscope.model.common import Role, Seconds, State, new_dict, new_list

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class Frame(BaseModel):
    """One code location: a function and the line the sample was on."""

    model_config = _FROZEN
    function: str
    file: str
    line: int = Field(ge=0)  # the line the function is defined on
    user: bool  # the user's own code, not stdlib or site-packages


class StackCount(BaseModel):
    """Samples that shared one thread, stack and state, summed."""

    model_config = _FROZEN
    thread: int  # index into Profile.threads
    frames: tuple[int, ...]  # indexes into Profile.frames, outermost first
    line: int = 0  # the line executing in the innermost frame
    state: State
    blocker: str | None = None  # the blocking call, e.g. "time.sleep", "socket.recv", "Lock.acquire"
    samples: int = Field(ge=0)
    wall_s: Seconds
    cpu_s: Seconds
    critical_s: Seconds = 0.0  # wall time during which the program's main thread waited on this thread
    waits: int = Field(0, ge=0)  # blocking waits that ended (the thread was scheduled in again), if known
    c_function: str | None = None  # cpu state only: the C function running while holding the GIL
    # (e.g. "json.dumps"); None means Python bytecode
    core_wait_s: Seconds = 0.0  # of wall_s, runnable but waiting for a core (run-queue time), if measured


class ThreadProfile(BaseModel):
    model_config = _FROZEN
    tid: int  # native (OS) thread id
    name: str
    process: int = 0  # index into Profile.processes
    is_main: bool = False
    daemon: bool = False
    wall_s: Seconds = 0.0
    cpu_s: Seconds = 0.0
    states: dict[State, Seconds] = Field(default_factory=new_dict)
    # (start_s, end_s, state) from the run's start, adjacent equal states merged, capped in count
    segments: list[tuple[float, float, State]] = Field(default_factory=new_list)


class LoopStall(BaseModel):
    """Stretches during which asyncio callbacks with one stack kept the event loop from running anything else."""

    model_config = _FROZEN
    thread: int
    frames: tuple[int, ...]  # the stack of the user code that stalled the loop (outermost first)
    state: State  # what the stalling code did: io (blocking call), cpu or native
    count: int = Field(ge=0)  # how many separate stalls
    total_s: Seconds
    max_s: Seconds


class GcGeneration(BaseModel):
    """Garbage collections of one generation over the run (all processes), timed by a gc.callbacks hook."""

    model_config = _FROZEN
    generation: int = Field(ge=0, le=2)
    collections: int = Field(0, ge=0)
    total_s: Seconds = 0.0
    max_s: Seconds = 0.0


class ProcessProfile(BaseModel):
    model_config = _FROZEN
    pid: int
    role: Role = Role.main  # main, pool worker or child
    argv: list[str] = Field(default_factory=new_list)
    wall_s: Seconds = 0.0
    cpu_s: Seconds = 0.0


class Profile(BaseModel):
    """Everything one run of the target produced, merged over its processes."""

    model_config = _FROZEN
    engine: str
    interval_s: Seconds
    wall_s: Seconds
    cpu_s: Seconds
    samples: int = 0
    gil_measured: bool = True  # False when the engine cannot see the GIL (or there is none)
    frames: list[Frame] = Field(default_factory=new_list)
    threads: list[ThreadProfile] = Field(default_factory=new_list)
    processes: list[ProcessProfile] = Field(default_factory=new_list)
    stacks: list[StackCount] = Field(default_factory=new_list)
    loop_stalls: list[LoopStall] = Field(default_factory=new_list)
    calls: dict[int, int] = Field(
        default_factory=new_dict
    )  # frame index -> exact call count (deterministic engines)
    # frame index -> separate calls of that function the sampler saw running (a lower bound on its call count)
    invocations: dict[int, int] = Field(default_factory=new_dict)
    gil_reenabled_by: list[str] = Field(default_factory=new_list)
    ipc: dict[str, float] = Field(
        default_factory=new_dict
    )  # inter-process counters: tasks, pickled_bytes, ...
    notes: list[str] = Field(default_factory=new_list)  # collector caveats, shown in the report
    gc: list[GcGeneration] = Field(default_factory=new_list)  # per generation; empty when not measured
    rounds: int = 0  # times the sampler read the stacks (samples counts intervals covered)
    gil_wait_s: Seconds = 0.0  # time the main process's sampler waited for the GIL after its sleeps
