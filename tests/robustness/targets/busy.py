"""Shared by the targets (imported through sys.path[0], the script's folder, as python sets it)."""

import time


def work(seconds=0.3):
    """Burns CPU in Python code for `seconds`: a hotspot the report must show."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        sum(range(1000))
