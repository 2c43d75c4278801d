"""Per-process data dicts (as the agent writes them) -> one Profile, with frames and threads re-indexed."""

from pydantic import BaseModel

from gilscope.agent.wire import FrameRow, StackRow, StallRow
from gilscope.gcpause import without_gc
from gilscope.model import (
    Frame,
    GcGeneration,
    LoopStall,
    ProcessProfile,
    Profile,
    StackCount,
    State,
    ThreadProfile,
)

_STACK_FIELDS = set(StackCount.model_fields)
_STATES = {s.value: s for s in State}
_new, _setattr = object.__new__, object.__setattr__


def _construct_stack(**values) -> StackCount:
    """A StackCount from values already converted and clamped here, as validation would leave them.

    A long run has hundreds of thousands of stacks. Validation would check nothing more than the conversions
    in merge(), and give every instance its own set of the names of the fields it was given (~700 bytes, half
    of a StackCount); these share one. model_construct does the same, four times slower."""
    return StackCount.model_construct(_STACK_FIELDS, **values)


def _fast_stack(**values) -> StackCount:
    """What model_construct leaves, for a model without defaults left out, extras, private attributes or
    post-init (checked below against model_construct itself, else that is used)."""
    m = _new(StackCount)
    _setattr(m, "__dict__", values)
    _setattr(m, "__pydantic_fields_set__", _STACK_FIELDS)
    _setattr(m, "__pydantic_extra__", None)
    _setattr(m, "__pydantic_private__", None)
    return m


def _same_as_construct() -> bool:
    sample = dict(
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
    )
    try:
        a, b = _fast_stack(**sample), _construct_stack(**sample)
        return (
            list(sample) == list(StackCount.model_fields)
            and a == b
            and a.__dict__ == b.__dict__
            and a.model_fields_set == b.model_fields_set
            and a.__pydantic_extra__ == b.__pydantic_extra__
            and a.__pydantic_private__ == b.__pydantic_private__
            and a.model_dump_json() == b.model_dump_json()
            and set(BaseModel.__slots__)
            == {"__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__"}
        )
    except Exception:  # another pydantic: use its own model_construct
        return False


_stack = _fast_stack if _same_as_construct() else _construct_stack


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
                    wall_s=max(0.0, t.get("wall_s", 0.0)),
                    cpu_s=max(0.0, t.get("cpu_s", 0.0)),
                    states={k: max(0.0, v) for k, v in t.get("states", {}).items()},
                    segments=[tuple(s) for s in t.get("segments", [])],
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
                )
            )
        for row in d.get("stalls", []):
            stall = StallRow(*row)
            stalls.append(
                LoopStall(
                    thread=first_thread + stall.thread,
                    frames=tuple(remap[i] for i in stall.frames),
                    state=State(stall.state),
                    count=stall.times,
                    total_s=max(0.0, stall.total_s),
                    max_s=max(0.0, stall.max_s),
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
                total_s=gc[generation].total_s + max(0.0, total),
                max_s=max(gc[generation].max_s, max(0.0, longest)),
            )
        processes.append(
            ProcessProfile(
                pid=int(d.get("pid", 0)),
                role=str(d.get("role", "main")),  # type: ignore[arg-type]
                argv=[str(a) for a in d.get("argv", [])],
                wall_s=max(0.0, d.get("wall_s", 0.0)),
                cpu_s=max(0.0, d.get("cpu_s", 0.0)),
            )
        )
        notes.extend(n for n in d.get("notes", []) if n not in notes)
        reenabled.extend(m for m in d.get("gil_reenabled_by", []) if m not in reenabled)
    return Profile(
        engine=engine,
        interval_s=max(0.0, main.get("interval_s", 0.0)),
        wall_s=max(0.0, main.get("wall_s", 0.0)),
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
