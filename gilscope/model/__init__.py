"""Pydantic models at the seams of the pipeline: no I/O, no heuristics."""

from gilscope.model.common import Engine, Format, Kind, Ratio, Role, Scope, Seconds, Severity, State, Strategy
from gilscope.model.facts import Facts
from gilscope.model.profile import (
    Frame,
    GcGeneration,
    LoopStall,
    ProcessProfile,
    Profile,
    StackCount,
    ThreadProfile,
)
from gilscope.model.report import (
    Evidence,
    Finding,
    Hotspot,
    Location,
    Parallelism,
    Report,
    RunInfo,
    Speedup,
    ThreadSummary,
    TimeSplit,
)

__all__ = [
    "Engine",
    "Evidence",
    "Facts",
    "Finding",
    "Format",
    "Frame",
    "GcGeneration",
    "Hotspot",
    "Kind",
    "Location",
    "LoopStall",
    "ProcessProfile",
    "Profile",
    "Ratio",
    "Report",
    "Role",
    "RunInfo",
    "Scope",
    "Seconds",
    "Severity",
    "Speedup",
    "StackCount",
    "State",
    "Strategy",
    "ThreadProfile",
    "Parallelism",
    "ThreadSummary",
    "TimeSplit",
]
