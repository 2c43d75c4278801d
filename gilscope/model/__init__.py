"""Pydantic models at the seams of the pipeline: no I/O, no heuristics."""
from gilscope.model.common import Kind, Ratio, Seconds, Severity, State, Strategy
from gilscope.model.facts import Facts
from gilscope.model.profile import Frame, Profile, StackCount, ThreadProfile, LoopStall, ProcessProfile
from gilscope.model.report import (
    Evidence,
    Finding,
    Hotspot,
    Location,
    Report,
    RunInfo,
    Speedup,
    ThreadSummary,
    TimeSplit,
)

__all__ = [
    "Evidence", "Facts", "Finding", "Frame", "Hotspot", "Kind", "Location", "LoopStall", "ProcessProfile",
    "Profile", "Ratio", "Report", "RunInfo", "Seconds", "Severity", "Speedup", "StackCount", "State",
    "Strategy", "ThreadProfile", "ThreadSummary", "TimeSplit",
]
