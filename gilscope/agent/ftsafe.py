"""Dict look-ups that do not stall on free-threaded CPython 3.13.

There, `d.get(key)` of a value that another thread created (and that no third thread references, so its
reference count is not yet shared) falls back to taking the dict's lock, inside the lock dict.get already
holds: the thread finds its own lock taken, spins on sched_yield and parks before it gets it. With busy threads
on every core each yield gives a whole time slice away: one look-up took 0.6-1.5 s (measured, 4 busy threads,
2 cores). `d[key]`, `key in d` and `d.pop` take another path and do not. The agent reads what other threads
wrote (gc hook totals, threading._active, its own tables from a thread's exit hook) this way; tables only the
sampler thread writes and reads (code index, call counts, a round's clocks) keep dict.get on the hot path.
"""

from __future__ import annotations


def lookup(mapping, key, default=None):
    """mapping.get(key, default), through mapping[key]."""
    try:
        return mapping[key]
    except KeyError:
        return default
