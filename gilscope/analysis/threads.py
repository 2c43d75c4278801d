"""Per-thread summaries: how each thread split its time between holding the GIL, native code, waiting for
the GIL, and waiting on I/O or locks; and how many cores the threads used against how many they could."""

from collections import defaultdict
from typing import Literal

from gilscope.agent.wire import OBJECT_LOCK
from gilscope.analysis.thresholds import HELD_BACK, WORKING
from gilscope.model import Parallelism, Profile, RunInfo, State, ThreadSummary, TimeSplit
from gilscope.model.common import Role

HeldBack = Literal["", "gil", "shared-object", "lock", "other-processes"]


def summarize_threads(profile: Profile) -> list[ThreadSummary]:
    queued: dict[int, float] = defaultdict(float)
    for stack in profile.stacks:
        if stack.blocker == OBJECT_LOCK:
            queued[stack.thread] += stack.wall_s
    out = []
    for index, thread in enumerate(profile.threads):
        split = TimeSplit(**{f"{s.value}_s": thread.states.get(s, 0.0) for s in State})
        wall = thread.wall_s or split.total_s
        if wall <= 0:
            continue
        measured = profile.gil_measured
        process = profile.processes[thread.process] if thread.process < len(profile.processes) else None
        role = (
            Role.main
            if thread.is_main
            else process.role
            if process and thread.process > 0
            else Role.daemon_thread
            if thread.daemon
            else Role.worker_thread
        )
        shared = min(queued.get(index, 0.0), split.lock_s)
        out.append(
            ThreadSummary(
                name=thread.name,
                tid=thread.tid,
                pid=process.pid if process else 0,
                role=role,
                wall_s=round(wall, 6),
                cpu_s=round(min(thread.cpu_s, wall), 6),
                split=split,
                gil_held=round(min(1.0, split.cpu_s / wall), 4) if measured else None,
                gil_wait=round(min(1.0, split.gil_s / wall), 4) if measured else None,
                native=round(min(1.0, split.native_s / wall), 4) if measured else None,
                idle=round(max(0.0, min(1.0, (split.io_s + split.lock_s - shared) / wall)), 4),
                shared_object_s=round(shared, 6),
            )
        )
    return out


def parallelism(threads: list[ThreadSummary], run: RunInfo, machine_busy: bool = False) -> Parallelism | None:
    """Cores used against cores the threads with work could have used, and what held them back when they used
    clearly fewer: the GIL, a shared object (free-threaded), a lock, or other processes on the machine."""
    if not threads or run.wall_s <= 0:
        return None
    pid = threads[0].pid
    working = [t for t in threads if t.pid == pid and has_work(t)]
    possible = min(max(len(working), 1), max(run.cpu_count, 1))
    used = round(run.cpu_s / run.wall_s, 2)
    held_back: HeldBack = ""
    if len(working) >= 2 and used < HELD_BACK * possible:
        waits: dict[HeldBack, float] = {
            "gil": sum(t.split.gil_s for t in working),
            "shared-object": sum(t.shared_object_s for t in working),
            "lock": sum(t.split.lock_s - t.shared_object_s for t in working),
        }
        top = max(waits, key=lambda k: waits[k])
        held_back = "other-processes" if machine_busy else top if waits[top] > 0 else ""
    return Parallelism(threads=len(working), cores_used=used, cores_possible=possible, held_back_by=held_back)


def has_work(t: ThreadSummary) -> bool:
    """Running, or held up by the GIL or a shared object, for WORKING of its life."""
    working_s = t.split.cpu_s + t.split.native_s + t.split.gil_s + t.shared_object_s
    return t.wall_s > 0 and working_s >= WORKING * t.wall_s
