"""Profile -> hotspots and per-thread summaries. Pure functions; thresholds live in thresholds.py."""

from gilscope.analysis.classify import classify
from gilscope.analysis.threads import parallelism, summarize_threads

__all__ = ["classify", "parallelism", "summarize_threads"]
