"""The models at the seams of the pipeline (frozen dataclasses, gilscope.model.base): no I/O, no heuristics."""

from gilscope.model.base import dumps, field_names, to_data
from gilscope.model.common import Engine, Format, Kind, Ratio, Role, Scope, Seconds, Severity, State, Strategy
from gilscope.model.facts import Facts, fact_fields
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
    "dumps",
    "fact_fields",
    "field_names",
    "to_data",
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
