"""The report: what every renderer reads and what `--json` writes."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from gilscope.model.common import Kind, Ratio, Role, Seconds, Severity, State, Strategy, new_dict, new_list
from gilscope.model.profile import Profile

_FROZEN = ConfigDict(frozen=True, extra="forbid")
SCHEMA_VERSION: Literal[1] = 1


class Evidence(BaseModel):
    """One measured number behind a classification or a finding, with where it came from."""

    model_config = _FROZEN
    metric: str
    value: float | str
    source: str  # the engine or signal that produced it, e.g. "sampler:/proc schedstat"
    detail: str = ""


class TimeSplit(BaseModel):
    """Seconds of a hotspot's (or thread's) wall time, by what the thread was doing."""

    model_config = _FROZEN
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


class Location(BaseModel):
    model_config = _FROZEN
    file: str
    line: int
    function: str = ""
    code: str = ""  # the source line(s), for context


class Hotspot(BaseModel):
    model_config = _FROZEN
    function: str
    file: str
    line: int
    kind: Kind
    wall_s: Seconds
    cpu_s: Seconds
    share: Ratio  # share of the run's wall time the program spent here (critical path)
    split: TimeSplit
    role: Role = Role.main
    threads: list[str] = Field(default_factory=new_list)
    blockers: dict[str, Seconds] = Field(default_factory=new_dict)
    # seconds in C code that held the GIL (part of split.cpu_s), by the C function as the code calls it
    c_functions: dict[str, Seconds] = Field(default_factory=new_dict)
    # seconds running without the GIL (part of split.native_s), by the call it was in, where known
    native_calls: dict[str, Seconds] = Field(default_factory=new_dict)
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
    evidence: list[Evidence] = Field(default_factory=new_list)


class Speedup(BaseModel):
    """An estimate of the whole-program speedup, with the assumptions it rests on."""

    model_config = _FROZEN
    factor: float = Field(ge=1)
    formula: str
    assumptions: list[str]


class Finding(BaseModel):
    model_config = _FROZEN
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
    because: list[str] = Field(default_factory=new_list)
    evidence: list[Evidence] = Field(default_factory=new_list)
    estimated_speedup: Speedup | None = None
    change_at: Location | None = (
        None  # the construct to change, found in the source (may differ from the hotspot)
    )
    before: str = ""
    after: str = ""
    diff: str = ""  # a unified diff built from the user's own lines, never applied
    # when no diff is shown because its safety could not be shown: what must hold for the change to be safe
    change_requires: list[str] = Field(default_factory=new_list)


class ThreadSummary(BaseModel):
    model_config = _FROZEN
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


class Parallelism(BaseModel):
    """How many cores the program's threads used, against how many they could have."""

    model_config = _FROZEN
    threads: (
        int  # threads of the main process with work to do (running, or held up by the GIL or a shared object)
    )
    cores_used: float  # the process's CPU seconds per wall second
    cores_possible: int  # min(threads with work, cores available)
    held_back_by: Literal["", "gil", "shared-object", "lock", "other-processes"] = ""  # what kept them apart


class RunInfo(BaseModel):
    model_config = _FROZEN
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


class Report(BaseModel):
    model_config = _FROZEN
    schema_version: Literal[1] = SCHEMA_VERSION
    tool: str = "gilscope"
    version: str = ""
    run: RunInfo
    hotspots: list[Hotspot] = Field(default_factory=new_list)
    findings: list[Finding] = Field(default_factory=new_list)
    threads: list[ThreadSummary] = Field(default_factory=new_list)
    parallelism: Parallelism | None = None
    caveats: list[str] = Field(default_factory=new_list)
    profile: Profile | None = None
