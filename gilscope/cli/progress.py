"""A one-line progress display on stderr while the target runs: elapsed time, samples so far, processes
followed. Only on a terminal and never with -q; the line is erased when the run ends, so nothing of it stays
in the scrollback or in a log.
"""

from __future__ import annotations

import os
import sys
import threading
import time

REFRESH_S = 0.25
ERASE = "\r\x1b[K"


def wanted(quiet: bool, stream=None) -> bool:
    stream = stream if stream is not None else sys.stderr
    try:
        return not quiet and stream.isatty() and os.environ.get("TERM") != "dumb"
    except (AttributeError, ValueError):
        return False


def descendants(pid: int) -> int:
    """How many live processes descend from `pid`, itself included (Linux /proc; 1 elsewhere)."""
    try:
        entries = os.listdir("/proc")
    except OSError:
        return 1
    parent: dict[int, int] = {}
    for name in entries:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                stat = fh.read()
            parent[int(name)] = int(stat[stat.rindex(b")") + 2 :].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    family, grew = {pid}, True
    while grew:
        grew = False
        for child, ppid in parent.items():
            if ppid in family and child not in family:
                family.add(child)
                grew = True
    return len(family)


def line(elapsed_s: float, interval_s: float, processes: int) -> str:
    samples = int(elapsed_s / interval_s) if interval_s > 0 else 0
    text = f"gilscope: profiling {elapsed_s:5.1f} s"
    if samples:
        text += f", ~{samples} samples"
    if processes > 1:
        text += f", {processes} processes"
    return text


class Progress:
    """`with Progress(pid_of, interval_s):` draws the line from a daemon thread until the block ends."""

    def __init__(self, pid_of, interval_s: float, stream=None, since: float | None = None):
        """`since`: when the target started (time.perf_counter), if before this display."""
        self._pid_of, self._interval = pid_of, interval_s
        self._stream = stream if stream is not None else sys.stderr
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._draw, name="gilscope-progress", daemon=True)
        self._started = since if since is not None else time.perf_counter()

    def __enter__(self) -> Progress:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=1.0)
        self._write(ERASE)

    def _draw(self) -> None:
        while not self._stop.wait(REFRESH_S):
            pid = self._pid_of()
            processes = descendants(pid) if pid else 1
            self._write(ERASE + line(time.perf_counter() - self._started, self._interval, processes))

    def _write(self, text: str) -> None:
        try:
            self._stream.write(text)
            self._stream.flush()
        except (OSError, ValueError):
            self._stop.set()
