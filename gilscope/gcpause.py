"""Pausing Python's cyclic garbage collector while big structures are built or serialised.

A long run's profile has hundreds of thousands of stacks. Building them (or the JSON of a report) allocates
millions of objects, and every few hundred allocations the collector walks the young ones; the older
generations are walked again and again as they grow. With the collector paused, merge + classify + render
take about half the time (benchmarks/scale.py). Reference counting still frees everything that is not in a
cycle, and the code paused here makes no cycles worth collecting before the collector is back on.
"""

import functools
import gc
from contextlib import contextmanager


@contextmanager
def paused_gc():
    """Collector off inside the block, back to how it was after (nesting is fine)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def without_gc(func):
    """Decorator: run `func` with the collector paused."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with paused_gc():
            return func(*args, **kwargs)

    return wrapper
