"""Profile -> hotspots and per-thread summaries. Pure functions; thresholds live in thresholds.py."""

from gilscope.classify.classify import classify
from gilscope.classify.threads import parallelism, summarize_threads

__all__ = ["classify", "parallelism", "summarize_threads"]
