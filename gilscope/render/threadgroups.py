"""Threads grouped by role and name pattern ("ThreadPoolExecutor-0_* ×8"), with summed figures."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from gilscope.model import ThreadSummary

_LAST_NUMBER = re.compile(r"\d+(?=\D*$)")


def name_pattern(name: str) -> str:
    """The name with its last number made a wildcard: `Thread-12 (worker)` -> `Thread-* (worker)`."""
    return _LAST_NUMBER.sub("*", name, count=1)


@dataclass
class ThreadGroup:
    name: str  # the pattern, or the one thread's own name
    role: str
    threads: list[ThreadSummary] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.threads)

    @property
    def wall_s(self) -> float:
        return sum(t.wall_s for t in self.threads)

    @property
    def cpu_s(self) -> float:
        return sum(t.cpu_s for t in self.threads)

    def ratio(self, attr: str) -> float | None:
        """A per-thread ratio averaged over the group, weighted by wall time; None when no thread measured it."""
        pairs = [(getattr(t, attr), t.wall_s) for t in self.threads if getattr(t, attr) is not None]
        if not pairs:
            return None
        weight = sum(w for _, w in pairs)
        if not weight:
            return sum(v for v, _ in pairs) / len(pairs)
        return sum(v * w for v, w in pairs) / weight


def group_threads(threads: list[ThreadSummary], *, one_by_one: bool = False) -> list[ThreadGroup]:
    """Groups in the order their first thread comes; with `one_by_one`, a group per thread."""
    groups: dict[tuple[str, str], ThreadGroup] = {}
    for i, t in enumerate(threads):
        key = (t.role, str(i) if one_by_one else name_pattern(t.name))
        group = groups.setdefault(key, ThreadGroup(name=key[1], role=t.role))
        group.threads.append(t)
    for group in groups.values():
        if group.count == 1:
            group.name = group.threads[0].name
    return list(groups.values())
