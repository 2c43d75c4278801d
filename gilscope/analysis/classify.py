"""Sum a profile's stacks per user function and name each function's kind from the measured split."""

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Literal

from gilscope.agent.wire import GC_FUNCTION, OBJECT_LOCK
from gilscope.analysis import thresholds as T
from gilscope.analysis.attribute import index_of, owner
from gilscope.gcpause import without_gc
from gilscope.model import Evidence, Hotspot, Kind, Profile, State, TimeSplit
from gilscope.model.common import Role


@dataclass
class _Acc:
    seconds: dict = field(default_factory=lambda: defaultdict(float))
    wall: float = 0.0
    cpu: float = 0.0
    critical: float = 0.0
    samples: int = 0
    waits: int = 0
    threads: set = field(default_factory=set)
    blockers: dict = field(default_factory=lambda: defaultdict(float))
    event_loop_s: float = 0.0
    core_wait: float = 0.0  # runnable, waiting for a core: left out of seconds (the shares)
    processes: set = field(default_factory=set)
    contention: float = (
        0.0  # seconds waiting on a lock taken in this function's own code (with lock: / acquire)
    )
    c_code: dict = field(default_factory=lambda: defaultdict(float))  # C function -> seconds holding the GIL
    native_calls: dict = field(default_factory=lambda: defaultdict(float))  # call -> seconds without the GIL
    own_bytecode: float = 0.0  # bytecode seconds in the user's own frames (no library Python under them)
    object_lock_lines: dict = field(
        default_factory=lambda: defaultdict(float)
    )  # line -> s on an object's lock


@without_gc
def classify(
    profile: Profile, min_share: float | None = None, max_hotspots: int | None = None
) -> list[Hotspot]:
    """Hotspots sorted by share of the run (then file, line, function), at most MAX_HOTSPOTS; the two
    thresholds default to thresholds.MIN_SHARE and MAX_HOTSPOTS ([tool.gilscope] min-share, max-hotspots)."""
    min_share = T.MIN_SHARE if min_share is None else min_share
    max_hotspots = T.MAX_HOTSPOTS if max_hotspots is None else max_hotspots
    accs: dict[int, _Acc] = defaultdict(_Acc)
    # Pool workers run side by side: each one's time is a slice of the run's.
    pool_workers = max(1, sum(1 for p in profile.processes[1:] if p.role == Role.pool_worker))
    index = index_of(profile)  # owners cached per frames tuple: stacks share them
    owner_of, loop_frames, is_user = index.owner, index.handle_run, index.user
    blocked = (State.io, State.lock, State.gil)
    process_of = [t.process for t in profile.threads]
    divisor = [
        pool_workers if p > 0 and profile.processes[p].role == Role.pool_worker else 1 for p in process_of
    ]
    for stack in profile.stacks:
        blocker = stack.blocker
        if blocker == "idle":  # an event loop or server waiting for work: nobody's hotspot
            continue
        if (
            stack.c_function == GC_FUNCTION
        ):  # a collection: the run's own cost (gc facts), not this function's
            continue
        frames = stack.frames
        key = owner_of(frames)
        if key is None:
            continue
        acc = accs[key]
        thread = stack.thread
        state, wall = stack.state, stack.wall_s
        queued = min(stack.core_wait_s, wall)
        # Left out of the shares too: time the program lost to gilscope's own stack reads
        acc.seconds[state] += wall - min(queued + stack.read_wait_s, wall)
        acc.core_wait += queued
        acc.wall += wall
        acc.cpu += stack.cpu_s
        acc.critical += stack.critical_s / divisor[thread]
        acc.samples += stack.samples
        acc.waits += stack.waits
        acc.threads.add(thread)
        acc.processes.add(process_of[thread])
        if blocker and state in blocked:
            acc.blockers[blocker] += wall
            if blocker == OBJECT_LOCK:
                acc.object_lock_lines[stack.line] += wall
        elif stack.c_function:
            acc.c_code[stack.c_function] += wall
        elif state == State.cpu and frames and is_user[frames[-1]]:
            acc.own_bytecode += wall
        elif state == State.native and blocker:
            acc.native_calls[blocker] += wall
        if loop_frames and not loop_frames.isdisjoint(frames):  # in_event_loop
            acc.event_loop_s += wall
        if state == State.lock and frames and is_user[frames[-1]]:
            acc.contention += wall
    stalls = _stalls_by_owner(profile)
    run_wall = profile.wall_s or sum(a.wall for a in accs.values()) or 1.0
    kept = []
    for key, acc in accs.items():
        share = acc.critical / run_wall
        if acc.contention:  # threads queued on a lock the function takes: that queue is the hotspot
            share = max(share, acc.contention / (run_wall * max(1, len(acc.threads))))
        share = min(1.0, share)
        if share < min_share or acc.wall <= 0:
            continue
        kept.append((key, acc, share))
    # The hotspots' order (as Hotspot's rounded share, file, line, function), cut before the lock holders are
    # looked up: that takes a pass over every stack, done once for all of them.
    table = profile.frames
    kept.sort(key=lambda k: (-round(k[2], 4), table[k[0]].file, table[k[0]].line, table[k[0]].function))
    kept = kept[:max_hotspots]
    holders = lock_holders(profile, [key for key, acc, _ in kept if acc.contention])
    hotspots = [
        _hotspot(profile, key, acc, share, stalls.get(key), holders.get(key)) for key, acc, share in kept
    ]
    hotspots.sort(key=lambda h: (-h.share, h.file, h.line, h.function))
    return hotspots


def kind_of(split: TimeSplit) -> Kind:
    total = split.total_s
    if total <= 0:
        return Kind.cpu
    running = split.cpu_s + split.native_s
    running_kind = Kind.native if running and split.native_s / running >= T.NATIVE_OF_RUNNING else Kind.cpu
    shares = {
        running_kind: running / total,
        Kind.io: split.io_s / total,
        Kind.gil: split.gil_s / total,
        Kind.lock: split.lock_s / total,
    }
    top = max(shares, key=lambda k: shares[k])
    if shares[top] >= T.DOMINANT:
        return top
    if shares[Kind.gil] >= T.GIL_WITH_CPU and shares[Kind.gil] + running / total >= T.DOMINANT:
        return Kind.gil
    return Kind.mixed


def lock_holders(profile: Profile, keys: list[int]) -> dict[int, str]:
    """While threads queue on a lock in function `key`, what does the thread holding it run? The busiest user
    function called from `key` (or `key` itself running), by wall time: for every key of `keys` in one pass
    over the stacks (those without a holder are left out)."""
    if not keys:
        return {}
    wanted = frozenset(keys)
    seconds: dict[int, dict[int, float]] = {key: defaultdict(float) for key in wanted}
    waiting = (State.lock, State.gil)
    for stack in profile.stacks:
        if wanted.isdisjoint(stack.frames) or stack.state in waiting:
            continue
        inner = owner(profile, stack.frames)
        if inner is not None:
            for key in wanted.intersection(stack.frames):
                seconds[key][inner] += stack.wall_s
    return {key: profile.frames[max(by, key=lambda k: by[k])].function for key, by in seconds.items() if by}


def _hotspot(profile, key, acc, share, stall, holder=None) -> Hotspot:
    frame = profile.frames[key]
    split = TimeSplit(
        **{f"{s}_s": acc.seconds.get(State(s), 0.0) for s in ("cpu", "native", "io", "gil", "lock")}
    )
    kind = kind_of(split)
    threads = sorted(acc.threads)
    roles = {_role(profile, t, acc) for t in threads}
    # main wins; a function that daemon threads and other threads both ran takes the other role
    role = Role.main if Role.main in roles else min(roles, key=lambda r: (r == Role.daemon_thread, r))
    source = f"{profile.engine} samples"
    total = split.total_s or 1.0
    evidence = [
        Evidence(
            metric="cpu/wall",
            value=round(acc.cpu / acc.wall, 3),
            source=source,
            detail=f"{acc.cpu:.3f} s on CPU of {acc.wall:.3f} s wall over {len(threads)} thread(s)",
        ),
        Evidence(metric="samples", value=acc.samples, source=source),
    ]
    for state in ("cpu", "native", "io", "gil", "lock"):
        seconds = split.seconds(State(state))
        if seconds > 0:
            evidence.append(
                Evidence(
                    metric=f"{state}_share",
                    value=round(seconds / total, 3),
                    source=source,
                    detail=_STATE_MEANING[state],
                )
            )
    if acc.core_wait >= T.CORE_WAIT_SHOWN * acc.wall:
        evidence.append(
            Evidence(
                metric="core_wait",
                value=round(acc.core_wait / acc.wall, 3),
                source="/proc schedstat",
                detail=f"{acc.core_wait:.3f} s runnable, waiting for a core (other processes, or more threads "
                "than cores): left out of the shares, which say what the code does when it has one",
            )
        )
    if acc.blockers:
        name, seconds = max(acc.blockers.items(), key=lambda kv: kv[1])
        evidence.append(
            Evidence(
                metric="blocker",
                value=name,
                source="/proc syscall + bytecode",
                detail=(
                    f"{seconds:.3f} s queued on the internal lock of an object other threads use, at line "
                    f"{max(acc.object_lock_lines, key=acc.object_lock_lines.get)} (thousands of wake-ups a second)"
                    if name == OBJECT_LOCK
                    else f"{seconds:.3f} s blocked in {name}"
                ),
            )
        )
    if acc.waits:
        evidence.append(
            Evidence(
                metric="waits",
                value=acc.waits,
                source="schedstat wake-ups",
                detail="blocking waits that ended while in this function",
            )
        )
    if acc.event_loop_s:
        evidence.append(
            Evidence(
                metric="event_loop_s",
                value=round(acc.event_loop_s, 4),
                source=source,
                detail="seconds spent inside an asyncio callback",
            )
        )
    if stall is not None:
        count, total_s, longest = stall
        evidence.append(
            Evidence(
                metric="loop_stalls",
                value=count,
                source="asyncio Handle._run samples",
                detail=f"stalled the event loop {count} time(s), {total_s:.3f} s in all, "
                f"longest {longest:.3f} s",
            )
        )
        evidence.append(
            Evidence(metric="loop_stall_s", value=round(total_s, 4), source="asyncio Handle._run samples")
        )
    if holder:
        evidence.append(
            Evidence(
                metric="lock_holder",
                value=holder,
                source="stacks under the lock",
                detail=f"{acc.contention:.3f} s of waiting on a lock taken here; "
                f"the thread holding it runs {holder}",
            )
        )
    calls = profile.calls.get(key, 0)
    confidence: Literal["low", "medium", "high"] = (
        "high" if acc.samples >= T.CONFIDENT_SAMPLES else "medium" if acc.samples >= T.SOME_SAMPLES else "low"
    )
    if calls and not profile.interval_s:
        confidence = "high"
    return Hotspot(
        function=frame.function,
        file=frame.file,
        line=frame.line,
        kind=kind,
        wall_s=round(acc.wall, 6),
        cpu_s=round(min(acc.cpu, acc.wall), 6),
        share=round(share, 4),
        split=split,
        role=role,
        threads=sorted({profile.threads[t].name for t in threads}),
        blockers={k: round(v, 6) for k, v in sorted(acc.blockers.items(), key=lambda kv: -kv[1])[:5]},
        c_functions={k: round(v, 6) for k, v in sorted(acc.c_code.items(), key=lambda kv: -kv[1])[:5]},
        native_calls={k: round(v, 6) for k, v in sorted(acc.native_calls.items(), key=lambda kv: -kv[1])[:5]},
        own_bytecode_s=round(acc.own_bytecode, 6),
        shared_object_line=max(acc.object_lock_lines, key=lambda n: acc.object_lock_lines[n], default=0),
        samples=acc.samples,
        calls=calls,
        confidence=confidence,
        waits=acc.waits,
        event_loop_s=round(acc.event_loop_s, 4),
        core_wait_s=round(acc.core_wait, 4),
        loop_stalls=stall[0] if stall is not None else 0,
        loop_stall_s=round(stall[1], 4) if stall is not None else 0.0,
        lock_holder=holder or "",
        evidence=evidence,
    )


_STATE_MEANING = {
    "cpu": "on CPU holding the GIL (Python or C code that keeps the GIL)",
    "native": "on CPU with the GIL released (C code that lets other threads run)",
    "io": "blocked in sleep, network, disk or a subprocess wait",
    "gil": "runnable, waiting to get the GIL back",
    "lock": "waiting on a lock, queue, event, condition or join",
}


def _role(profile: Profile, thread_index: int, acc: _Acc) -> Role:
    thread = profile.threads[thread_index]
    if thread.process > 0:
        return profile.processes[thread.process].role
    if thread.is_main:
        return Role.main
    return Role.daemon_thread if thread.daemon else Role.worker_thread  # as summarize_threads names them


def _stalls_by_owner(profile: Profile) -> dict[int, tuple[int, float, float]]:
    out: dict[int, tuple[int, float, float]] = {}
    for stall in profile.loop_stalls:
        key = owner(profile, stall.frames)
        if key is None:
            continue
        count, total, longest = out.get(key, (0, 0.0, 0.0))
        out[key] = (count + stall.count, total + stall.total_s, max(longest, stall.max_s))
    return out
