"""Per-process data dicts (as the agent writes them) -> one Profile, with frames and threads re-indexed."""

from typing import Any

from gilscope.agent.wire import FrameRow, StackRow, StallRow
from gilscope.gcpause import without_gc
from gilscope.model import (
    Frame,
    GcGeneration,
    LoopStall,
    ProcessProfile,
    Profile,
    Role,
    StackCount,
    State,
    ThreadProfile,
    field_names,
)

_STACK_FIELDS = field_names(StackCount)
_STATES = {s.value: s for s in State}
_new, _setattr = object.__new__, object.__setattr__


def _fast_stack(**values) -> StackCount:
    """A StackCount whose fields are `values` (every field, in order, already converted and clamped here).

    A long run has hundreds of thousands of stacks, and a frozen dataclass's __init__ sets each of the 12
    fields through object.__setattr__: taking the keyword dict as the instance's __dict__ is ~3x faster. Used
    only where it gives what __init__ gives (checked below)."""
    m = _new(StackCount)
    _setattr(m, "__dict__", values)
    return m


def _same_as_init() -> bool:
    sample: dict[str, Any] = dict(
        thread=1,
        frames=(2, 3),
        line=4,
        state=State.io,
        blocker="x",
        samples=5,
        wall_s=0.5,
        cpu_s=0.25,
        critical_s=0.125,
        waits=6,
        c_function="y",
        core_wait_s=0.0625,
        read_wait_s=0.03125,
    )
    a, b = _fast_stack(**sample), StackCount(**sample)
    return tuple(sample) == _STACK_FIELDS and a == b and list(vars(a).items()) == list(vars(b).items())


_stack = _fast_stack if _same_as_init() else StackCount


@without_gc
def merge(data: list[dict], engine: str) -> Profile:
    frames: list[Frame] = []
    frame_ids: dict[tuple, int] = {}
    threads: list[ThreadProfile] = []
    processes: list[ProcessProfile] = []
    stacks: list[StackCount] = []
    stalls: list[LoopStall] = []
    calls: dict[int, int] = {}
    invocations: dict[int, int] = {}
    gc = [GcGeneration(generation=g) for g in range(3)]
    notes: list[str] = []
    reenabled: list[str] = []
    main = next((d for d in data if d.get("role") == "main"), data[0] if data else {})
    ordered = [main] + [d for d in data if d is not main]
    for proc_index, d in enumerate(ordered):
        if not d:
            continue
        remap = []
        for fn, file, line, user in map(FrameRow._make, d.get("frames", [])):
            key = (fn, file, line, bool(user))
            if key not in frame_ids:
                frame_ids[key] = len(frames)
                frames.append(Frame(function=fn, file=file, line=max(0, int(line or 0)), user=bool(user)))
            remap.append(frame_ids[key])
        first_thread = len(threads)
        for t in d.get("threads", []):
            threads.append(
                ThreadProfile(
                    tid=int(t.get("tid") or 0),
                    name=str(t.get("name", "")),
                    process=proc_index,
                    is_main=bool(t.get("is_main")) and proc_index == 0,
                    daemon=bool(t.get("daemon")),
                    wall_s=max(0.0, float(t.get("wall_s", 0.0))),
                    cpu_s=max(0.0, float(t.get("cpu_s", 0.0))),
                    states={State(k): max(0.0, float(v)) for k, v in t.get("states", {}).items()},
                    segments=[
                        (float(start), float(end), State(state))
                        for start, end, state in t.get("segments", [])
                    ],
                )
            )
        new_index = remap.__getitem__
        same_ids = remap == list(range(len(remap)))  # the main process's frames usually keep their ids
        for row in d.get("stacks", []):
            st = StackRow(*row)
            # (one of these per distinct stack: conditional expressions, not max(), cost half as much)
            line, samples, wall, cpu, critical = (
                int(st.line or 0),
                int(st.samples),
                float(st.wall_s),
                float(st.cpu_s),
                float(st.critical_s),
            )
            waits = round(st.waits)
            c_function = st.c_function if st.c_function and st.state == "cpu" else None
            stacks.append(
                _stack(
                    thread=first_thread + int(st.thread),
                    frames=tuple(st.frames) if same_ids else tuple(map(new_index, st.frames)),
                    line=line if line > 0 else 0,
                    state=_STATES.get(st.state) or State(st.state),
                    blocker=None if st.blocker is None else str(st.blocker),
                    samples=samples if samples > 0 else 0,
                    wall_s=wall if wall > 0 else 0.0,
                    cpu_s=cpu if cpu > 0 else 0.0,
                    critical_s=critical if critical > 0 else 0.0,
                    waits=waits if waits > 0 else 0,
                    c_function=None if c_function is None else str(c_function),
                    core_wait_s=queued if (queued := float(st.core_wait_s)) > 0 else 0.0,
                    read_wait_s=held_up if (held_up := float(st.read_wait_s)) > 0 else 0.0,
                )
            )
        for row in d.get("stalls", []):
            stall = StallRow(*row)
            stalls.append(
                LoopStall(
                    thread=first_thread + stall.thread,
                    frames=tuple(remap[i] for i in stall.frames),
                    state=State(stall.state),
                    count=max(0, int(stall.times)),
                    total_s=max(0.0, float(stall.total_s)),
                    max_s=max(0.0, float(stall.max_s)),
                )
            )
        for index, count in (d.get("calls") or {}).items():
            frame = remap[int(index)]
            calls[frame] = calls.get(frame, 0) + int(count)
        for index, count in (d.get("invocations") or {}).items():
            frame = remap[int(index)]
            invocations[frame] = invocations.get(frame, 0) + int(count)
        for generation, (count, total, longest) in enumerate((d.get("gc") or [])[:3]):
            gc[generation] = GcGeneration(
                generation=generation,
                collections=gc[generation].collections + int(count),
                total_s=gc[generation].total_s + max(0.0, float(total)),
                max_s=max(gc[generation].max_s, max(0.0, float(longest))),
            )
        processes.append(
            ProcessProfile(
                pid=int(d.get("pid", 0)),
                role=Role(d.get("role", "main")),
                argv=[str(a) for a in d.get("argv", [])],
                wall_s=max(0.0, float(d.get("wall_s", 0.0))),
                cpu_s=max(0.0, float(d.get("cpu_s", 0.0))),
            )
        )
        notes.extend(n for n in d.get("notes", []) if n not in notes)
        reenabled.extend(m for m in d.get("gil_reenabled_by", []) if m not in reenabled)
    return Profile(
        engine=engine,
        interval_s=max(0.0, float(main.get("interval_s", 0.0))),
        wall_s=max(0.0, float(main.get("wall_s", 0.0))),
        cpu_s=sum(p.cpu_s for p in processes),
        samples=sum(int(d.get("samples", 0)) for d in ordered if d),
        gil_measured=bool(main.get("gil_measured", False)),
        frames=frames,
        threads=threads,
        processes=processes,
        stacks=stacks,
        loop_stalls=stalls,
        calls=calls,
        invocations=invocations,
        gil_reenabled_by=reenabled,
        notes=notes,
        gc=gc if any(g.collections for g in gc) else [],
        rounds=sum(int(d.get("rounds", 0)) for d in ordered if d),
        gil_wait_s=max(0.0, float(main.get("gil_wait_s", 0.0))),
    )
