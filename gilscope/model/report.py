"""The report: what every renderer reads and what `--json` writes."""

from dataclasses import field
from typing import Annotated, Literal

from gilscope.model.base import Constraint, record
from gilscope.model.common import Kind, Ratio, Role, Seconds, Severity, State, Strategy
from gilscope.model.profile import Profile

SCHEMA_VERSION: Literal[1] = 1


@record
class Evidence:
    """One measured number behind a classification or a finding, with where it came from."""

    metric: str
    value: float | str
    source: str  # the engine or signal that produced it, e.g. "sampler:/proc schedstat"
    detail: str = ""


@record
class TimeSplit:
    """Seconds of a hotspot's (or thread's) wall time, by what the thread was doing."""

    cpu_s: Seconds = 0.0
    native_s: Seconds = 0.0
    io_s: Seconds = 0.0
    gil_s: Seconds = 0.0
    lock_s: Seconds = 0.0

    def seconds(self, state: State) -> float:
        return getattr(self, f"{state.value}_s")

    @property
    def total_s(self) -> float:
        return self.cpu_s + self.native_s + self.io_s + self.gil_s + self.lock_s


@record
class Location:
    file: str
    line: int
    function: str = ""
    code: str = ""  # the source line(s), for context


@record
class Hotspot:
    function: str
    file: str
    line: int
    kind: Kind
    wall_s: Seconds
    cpu_s: Seconds
    share: Ratio  # share of the run's wall time the program spent here (critical path)
    split: TimeSplit
    role: Role = Role.main
    threads: list[str] = field(default_factory=list)
    blockers: dict[str, Seconds] = field(default_factory=dict)
    # seconds in C code that held the GIL (part of split.cpu_s), by the C function as the code calls it
    c_functions: dict[str, Seconds] = field(default_factory=dict)
    # seconds running without the GIL (part of split.native_s), by the call it was in, where known
    native_calls: dict[str, Seconds] = field(default_factory=dict)
    own_bytecode_s: Seconds = 0.0  # bytecode in the function's own frames, not in library Python it calls
    # free-threaded builds: the user's line where its threads queued most on an object's internal lock (0: none)
    shared_object_line: int = 0
    waits: int = 0  # blocking waits that ended while in it (wake-ups)
    event_loop_s: Seconds = 0.0  # time inside an asyncio callback
    # runnable but waiting for a core (other processes, or more threads than cores): part of wall_s, not of
    # split, whose shares (and so the kind) say what the code does when it has a core
    core_wait_s: Seconds = 0.0
    loop_stalls: int = 0  # separate stalls of the event loop it caused
    loop_stall_s: Seconds = 0.0
    lock_holder: str = ""  # the function the thread holding the lock it waited on ran, when known
    samples: int = 0
    calls: int = 0
    confidence: Literal["low", "medium", "high"] = "medium"
    evidence: list[Evidence] = field(default_factory=list)


@record
class Speedup:
    """An estimate of the whole-program speedup, with the assumptions it rests on."""

    factor: Annotated[float, Constraint(ge=1)]
    formula: str
    assumptions: list[str]


@record
class Finding:
    rule: str  # stable id, e.g. GS101
    name: str  # kebab-case slug
    title: str
    severity: Severity
    confidence: Literal["low", "medium", "high"] = "medium"
    function: str
    file: str
    line: int
    strategy: Strategy
    message: str
    fingerprint: str
    because: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    estimated_speedup: Speedup | None = None
    change_at: Location | None = (
        None  # the construct to change, found in the source (may differ from the hotspot)
    )
    before: str = ""
    after: str = ""
    diff: str = ""  # a unified diff built from the user's own lines, never applied
    # when no diff is shown because its safety could not be shown: what must hold for the change to be safe
    change_requires: list[str] = field(default_factory=list)


@record
class ThreadSummary:
    name: str
    tid: int
    pid: int = 0
    role: Role
    wall_s: Seconds
    cpu_s: Seconds
    split: TimeSplit
    gil_held: Ratio | None = None  # share of the thread's time on CPU holding the GIL (None: not measured)
    gil_wait: Ratio | None = None
    native: Ratio | None = None
    idle: Ratio = (
        0.0  # blocked on I/O, a lock, an event... (not queued on a shared object: that is work held up)
    )
    shared_object_s: Seconds = (
        0.0  # queued on an object other threads use (free-threaded builds; part of lock)
    )


@record
class Parallelism:
    """How many cores the program's threads used, against how many they could have."""

    threads: (
        int  # threads of the main process with work to do (running, or held up by the GIL or a shared object)
    )
    cores_used: float  # the process's CPU seconds per wall second
    cores_possible: int  # min(threads with work, cores available)
    held_back_by: Literal["", "gil", "shared-object", "lock", "other-processes"] = ""  # what kept them apart


@record
class RunInfo:
    argv: list[str]
    python_version: str
    implementation: str = "CPython"
    gil_enabled: bool
    free_threaded_build: bool
    cpu_count: int
    wall_s: Seconds
    cpu_s: Seconds
    exit_code: int | None
    exception: str | None = None
    engine: str
    samples: int = 0
    interval_s: Seconds = 0.0
    interrupted: str | None = None  # "SIGINT", "SIGTERM" or "timeout" when the run was cut short; "duration"
    # when --duration stopped it as planned
    cwd: str = ""
    platform: str = ""
    started_at: str = ""
    # cores that other processes kept busy during the run, on average (from /proc/stat; None: not measured)
    other_load_cores: float | None = None


@record
class Report:
    schema_version: Literal[1] = SCHEMA_VERSION
    tool: str = "gilscope"
    version: str = ""
    run: RunInfo
    hotspots: list[Hotspot] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    threads: list[ThreadSummary] = field(default_factory=list)
    parallelism: Parallelism | None = None
    caveats: list[str] = field(default_factory=list)
    profile: Profile | None = None
