"""Hotspots + run info -> Facts, the only values rules can read."""

import re
from dataclasses import dataclass, field

from gilscope.agent.calls import wait_kind
from gilscope.agent.wire import OBJECT_LOCK
from gilscope.analysis.shared_state import shared_update_at
from gilscope.analysis.threads import has_work
from gilscope.analysis.thresholds import BUSY_CORE_WAIT, BUSY_OTHER_LOAD, IN_EVENT_LOOP, POOL_WAIT
from gilscope.model import Facts, Hotspot, Profile, RunInfo, State, ThreadSummary, TimeSplit
from gilscope.model.common import Role


@dataclass(frozen=True)
class RunContext:
    """What the facts of every hotspot of a run share, computed once (each is a pass over the stacks)."""

    ipc_share: float = 0.0
    # (function, file) of a lock hotspot with a known holder -> (running seconds by state, threads)
    lock_held: dict = field(default_factory=dict)


def run_context(profile: Profile | None, hotspots: list[Hotspot]) -> RunContext:
    if profile is None:
        return RunContext()
    groups = [(h.function, h.file) for h in hotspots if h.lock_holder]
    return RunContext(
        ipc_share=ipc_share(profile),
        lock_held=_lock_held_scan(profile, groups) if groups else {},
    )


def run_facts(
    run: RunInfo, profile: Profile | None, threads: list[ThreadSummary], context: RunContext | None = None
) -> Facts:
    context = context if context is not None else run_context(profile, [])
    return Facts(
        scope="run",
        role=Role.main,
        cpu_count=run.cpu_count,
        free_threaded=run.free_threaded_build,
        gil_enabled=run.gil_enabled,
        gil_measured=bool(profile and profile.gil_measured),
        run_wall_s=run.wall_s,
        samples=run.samples,
        exit_code=run.exit_code or 0,
        process_cpu_cores=_cores(run),
        ipc_share=context.ipc_share,
        gil_reenabled_by=", ".join(profile.gil_reenabled_by) if profile else "",
        busy_threads=_busy_threads(threads),
        planned_stop=run.interrupted == "duration",
        **busy_facts(profile, run),
        **gc_facts(profile, run),
    )


def hotspot_facts(
    hotspot: Hotspot,
    run: RunInfo,
    profile: Profile | None,
    threads: list[ThreadSummary],
    context: RunContext | None = None,
) -> Facts:
    """`context`: run_context() of the run's hotspots (computed here for this one hotspot when not given)."""
    context = context if context is not None else run_context(profile, [hotspot])
    total = hotspot.split.total_s or 1.0
    blocker = next(iter(hotspot.blockers), "")
    waits_on_pool = any(part in blocker for part in ("pool", "map", "result")) or _pool_wait(hotspot, profile)
    return Facts(
        scope="hotspot",
        function=hotspot.function,
        file=hotspot.file,
        line=hotspot.line,
        kind=hotspot.kind,
        role=hotspot.role,
        share_of_wall=hotspot.share,
        wall_s=hotspot.wall_s,
        cpu_s=hotspot.cpu_s,
        cpu_share=round(hotspot.cpu_s / hotspot.wall_s, 4) if hotspot.wall_s else 0.0,
        python_share=hotspot.split.cpu_s / total,
        native_share=hotspot.split.native_s / total,
        io_share=hotspot.split.io_s / total,
        gil_share=hotspot.split.gil_s / total,
        lock_share=hotspot.split.lock_s / total,
        blocker=blocker,
        threads=len(hotspot.threads),
        busy_threads=_busy_threads(threads),
        process_cpu_cores=_cores(run),
        cpu_count=run.cpu_count,
        calls=hotspot.calls,
        waits=hotspot.waits,
        in_event_loop=hotspot.event_loop_s >= IN_EVENT_LOOP * hotspot.wall_s,
        loop_stall_s=hotspot.loop_stall_s,
        loop_stalls=hotspot.loop_stalls,
        in_child_process=hotspot.role in (Role.pool_worker, Role.child),
        lock_holder=hotspot.lock_holder,
        **lock_held(hotspot, context, profile, run),
        ipc_share=context.ipc_share if waits_on_pool or hotspot.role == Role.pool_worker else 0.0,
        free_threaded=run.free_threaded_build,
        gil_enabled=run.gil_enabled,
        gil_measured=bool(profile and profile.gil_measured),
        run_wall_s=run.wall_s,
        samples=hotspot.samples,
        exit_code=run.exit_code or 0,
        planned_stop=run.interrupted == "duration",
        **busy_facts(profile, run),
        waits_in_flight=waits_in_flight(hotspot, run),
        library_code=is_library_path(hotspot.file),
        **c_facts(hotspot),
        **shared_object_facts(hotspot),
    )


def shared_object_facts(hotspot: Hotspot) -> dict:
    """Free-threaded builds: the object the hotspot's threads queued on, as its line names it. Queuing at a line
    under the user's own lock is that lock's queue (a thread is found holding it, at the update, as often as
    waiting for it), not the object's."""
    queued = hotspot.blockers.get(OBJECT_LOCK, 0.0)
    if not queued or not hotspot.shared_object_line:
        return {}
    total = hotspot.split.total_s or 1.0
    update = shared_update_at(hotspot.file, hotspot.shared_object_line)
    if update is None:
        return {"object_lock_share": round(queued / total, 4), "shared_line": hotspot.shared_object_line}
    if update.under_lock:
        return {}
    return {
        "object_lock_share": round(queued / total, 4),
        "shared_line": update.line,
        "shared_object": update.name if update.scope != "local" else "",
        "shared_statement": update.statement,
        "shared_update_unlocked": update.read_modify_write and update.scope != "local",
    }


def waits_in_flight(hotspot: Hotspot, run: RunInfo) -> float:
    """Seconds of waiting summed over the hotspot's threads, per second of the run it accounts for: 8 threads
    each waiting on a request give about 8, one thread waiting on one at a time at most 1."""
    span = hotspot.share * run.wall_s
    if span <= 0 or hotspot.split.io_s <= 0:
        return 0.0
    return round(hotspot.split.io_s / span, 2)


def busy_facts(profile: Profile | None, run: RunInfo) -> dict:
    waited = core_wait_share(profile, run.cpu_count)
    others = run.other_load_cores / max(run.cpu_count, 1) if run.other_load_cores is not None else None
    busy = waited >= BUSY_CORE_WAIT and (others is None or others >= BUSY_OTHER_LOAD)
    return {"core_wait_share": waited, "other_load_share": round(others or 0.0, 4), "machine_busy": busy}


def core_wait_share(profile: Profile | None, cpu_count: int) -> float:
    """The sampler counts a thread waiting in the run queue as running (it wants the CPU). Of the cores the
    process's threads wanted (at most the machine's), the process's own CPU time says how many it got: the
    rest it waited for, while other work kept them busy. (More threads than cores wait for each other: that
    is not counted here.)"""
    if profile is None or not profile.processes or not profile.interval_s or profile.wall_s <= 0:
        return 0.0
    running = sum(
        t.states.get(State.cpu, 0.0) + t.states.get(State.native, 0.0)
        for t in profile.threads
        if t.process == 0
    )
    used = profile.processes[0].cpu_s / profile.wall_s
    wanted = min(running / profile.wall_s, max(cpu_count, 1))
    if wanted <= 0 or used <= 0:
        return 0.0
    return round(max(0.0, 1.0 - used / wanted), 4)


_LIBRARY_PARTS = ("/site-packages/", "/dist-packages/")
_STDLIB = re.compile(r"/lib(64)?/python3\.\d+t?/")


def is_library_path(file: str) -> bool:
    """The standard library's or an installed package's file, whichever interpreter ran it."""
    path = file.replace("\\", "/")
    return any(part in path for part in _LIBRARY_PARTS) or bool(_STDLIB.search(path))


def c_facts(hotspot: Hotspot) -> dict:
    """How the hotspot's GIL-holding time splits between Python bytecode and C functions (json.dumps...)."""
    total = hotspot.split.total_s or 1.0
    c_s = min(sum(hotspot.c_functions.values()), hotspot.split.cpu_s)
    top = max(hotspot.c_functions, key=lambda name: hotspot.c_functions[name]) if hotspot.c_functions else ""
    native = sum(hotspot.native_calls.values())
    io_calls = sum(
        s for name, s in hotspot.native_calls.items() if wait_kind(name, receiver_needed=True) == "io"
    )
    return {
        "bytecode_share": round((hotspot.split.cpu_s - c_s) / total, 4),
        "c_share": round(c_s / total, 4),
        "c_function": top,
        "native_io_share": round(io_calls / native, 4) if native else 0.0,
        "own_bytecode_share": round(min(hotspot.own_bytecode_s, hotspot.split.cpu_s) / total, 4),
    }


def gc_facts(profile: Profile | None, run: RunInfo) -> dict:
    """Garbage collection's share of the run (the collections of every process, over the main one's wall)."""
    wall = run.wall_s or (profile.wall_s if profile else 0.0)
    if profile is None or not profile.gc or wall <= 0:
        return {}
    total = sum(g.total_s for g in profile.gc)
    full = sum(g.total_s for g in profile.gc if g.generation == 2)
    return {
        "gc_share": round(min(1.0, total / wall), 4),
        "gc_gen2_share": round(min(1.0, full / wall), 4),
        "gc_collections": sum(g.collections for g in profile.gc),
    }


def lock_held(hotspot: Hotspot, context: RunContext, profile: Profile | None, run: RunInfo) -> dict:
    """For a lock hotspot with a known holder: the share of the run threads spent inside the function doing
    work rather than queuing for the lock (the work done holding it), and what kind of work that was."""
    group = (hotspot.function, hotspot.file)
    if profile is None or not hotspot.lock_holder or group not in context.lock_held:
        return {}
    from gilscope.analysis.classify import kind_of

    seconds, threads = context.lock_held[group]
    wall = profile.wall_s or run.wall_s
    if not seconds or wall <= 0:
        return {}
    split = TimeSplit(**{f"{state}_s": s for state, s in seconds.items()})
    return {
        "lock_held_share": round(min(1.0, split.total_s / wall), 4),
        "lock_held_kind": kind_of(split).value,
        "lock_held_threads": len(threads),
    }


def _lock_held_scan(profile: Profile, groups: list[tuple[str, str]]) -> dict:
    """(function, file) -> (running seconds by state, threads), over the main process's stacks that have
    that function anywhere on them."""
    group_of = {g: n for n, g in enumerate(groups)}
    frame_group = {
        i: group_of[(f.function, f.file)]
        for i, f in enumerate(profile.frames)
        if (f.function, f.file) in group_of
    }
    keys = frozenset(frame_group)
    seconds: list[dict[str, float]] = [{} for _ in groups]
    threads: list[set] = [set() for _ in groups]
    process = [t.process for t in profile.threads]
    running = {State.cpu: "cpu", State.native: "native", State.io: "io"}
    for stack in profile.stacks:
        if keys.isdisjoint(stack.frames) or process[stack.thread] != 0:
            continue
        state = running.get(stack.state)
        for n in {frame_group[i] for i in keys.intersection(stack.frames)}:
            threads[n].add(stack.thread)
            if state is not None:
                seconds[n][state] = seconds[n].get(state, 0.0) + stack.wall_s
    return {g: (seconds[n], threads[n]) for g, n in group_of.items()}


def ipc_share(profile: Profile | None) -> float:
    """How much of the worker processes' time went to anything but the user's task code (receiving tasks,
    unpickling, waiting to be fed): high when a pool is fed many tiny tasks."""
    if profile is None or len(profile.processes) < 2:
        return 0.0
    return _ipc_share(profile)


def _ipc_share(profile: Profile) -> float:
    from gilscope.analysis.attribute import owner

    loops = {i for i, f in enumerate(profile.frames) if _is_worker_loop(f.function, f.file)}
    # Only worker processes' own threads: a multiprocessing ThreadPool runs the same task loop in daemon
    # threads, of the main process or of any other, and its tasks cross no process boundary.
    roles = [p.role for p in profile.processes]
    in_worker = [
        0 < t.process < len(roles) and roles[t.process] == Role.pool_worker and not t.daemon
        for t in profile.threads
    ]
    user_busy = other = 0.0
    for stack in profile.stacks:
        # Only the workers' task loops: their start-up and helper processes (resource tracker) say nothing
        # about the cost of moving tasks.
        if not in_worker[stack.thread] or not loops.intersection(stack.frames):
            continue
        if owner(profile, stack.frames) is not None and stack.state.value in ("cpu", "native", "io"):
            user_busy += stack.wall_s
        else:
            other += stack.wall_s
    total = user_busy + other
    return round(other / total, 4) if total else 0.0


def _is_worker_loop(function: str, file: str) -> bool:
    path = file.replace("\\", "/")
    return (function == "worker" and path.endswith("multiprocessing/pool.py")) or (
        function == "_process_worker" and path.endswith("concurrent/futures/process.py")
    )


def _pool_wait(hotspot: Hotspot, profile: Profile | None) -> bool:
    if profile is None or len(profile.processes) < 2:
        return False
    return hotspot.role == Role.main and hotspot.split.lock_s > POOL_WAIT * hotspot.split.total_s


def _busy_threads(threads: list[ThreadSummary]) -> int:
    return sum(1 for t in threads if has_work(t) and t.pid == (threads[0].pid if threads else 0))


def _cores(run: RunInfo) -> float:
    return round(run.cpu_s / run.wall_s, 3) if run.wall_s else 0.0
