"""Per-thread summaries: how each thread split its time between holding the GIL, native code, waiting for
the GIL, and waiting on I/O or locks."""

from gilscope.model import Profile, State, ThreadSummary, TimeSplit
from gilscope.model.common import Role


def summarize_threads(profile: Profile) -> list[ThreadSummary]:
    out = []
    for thread in profile.threads:
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
                idle=round(min(1.0, (split.io_s + split.lock_s) / wall), 4),
            )
        )
    return out
