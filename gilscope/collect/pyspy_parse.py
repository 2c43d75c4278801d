"""py-spy's raw (collapsed-stack) output, parsed, and three recordings of one run combined into gilscope's data.

A raw line is `[process PID:"CMDLINE";]...thread (TID)[: NAME];FUNC (FILE:LINE);... COUNT`, outermost first
(`--threads` adds the thread frame, `--subprocesses` the process frames, `--full-filenames` full paths).
A recording has no per-sample idle or GIL flag: `--idle` keeps every sample, the default keeps active ones,
`--gil` keeps the GIL holder's. Recorded side by side on one run, per thread and call path (lines aside):
- GIL-holding samples are "cpu"; active samples without the GIL are "native" (C code that released it);
- idle samples go first to the lines that make a blocking call (io, lock: read from the source line, the
  function or the file); what is left sits on Python lines: "gil" when other threads of the process held
  the GIL meanwhile, else "io" on whatever the line calls.
Pure: source lines, first lines and user-ness come from the caller.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

from gilscope.agent.callgraph import fill_critical
from gilscope.agent.calls import HOLDS_GIL, IO_FILES, SYNC_PARTS, wait_kind
from gilscope.agent.wire import FrameRow, StackRow

_PROCESS = re.compile(r'process (\d+):"')
_THREAD = re.compile(r"thread \((0x[0-9a-fA-F]+|\d+)\)(?::\s*(.*))?$")
_FRAME = re.compile(r"^(.*) \((.*?)(?::(\d+))?\)$")
_CALL = re.compile(r"([A-Za-z_][\w.]*)\s*\(")
_WITH = re.compile(r"^(?:async\s+)?with\s+([\w.]+)")
OWN_THREAD_FILES = ("/gilscope/agent/sampler.py", "/gilscope/agent/sigterm_rescue.py")  # gilscope's threads


@dataclass(frozen=True)
class Sample:
    """One raw line: the process chain (root first), the thread and its frames (outermost first)."""

    pids: tuple[int, ...]
    cmdline: str
    tid: int
    thread: str
    frames: tuple[tuple[str, str, int], ...]  # (function, file, current line)
    count: int


def parse_raw(text: str) -> list[Sample]:
    out = []
    for raw in text.splitlines():
        stack, _, count = raw.rstrip().rpartition(" ")
        if not stack or not count.isdigit():
            continue
        pids, cmdline = [], ""
        while match := _PROCESS.match(stack):
            rest = stack[match.end() :]
            ends = [i for i in (rest.find('";process '), rest.find('";thread (')) if i >= 0]
            end = min(ends) if ends else (rest.find('";') if '";' in rest else len(rest))
            pids.append(int(match.group(1)))
            cmdline = rest[:end]
            stack = rest[end + 2 :]
        parts = stack.split(";") if stack else []
        tid, name = 0, ""
        if parts and (thread := _THREAD.match(parts[0])):
            tid, name = int(thread.group(1), 0), (thread.group(2) or "").strip().strip('"')
            parts = parts[1:]
        frames = []
        for part in parts:
            match = _FRAME.match(part)
            frames.append(
                (match.group(1), match.group(2), int(match.group(3) or 0)) if match else (part, "", 0)
            )
        out.append(Sample(tuple(pids), cmdline, tid, name, tuple(frames), int(count)))
    return out


def leaf_wait(function: str, filename: str, text: str) -> tuple[str | None, str | None]:
    """What the innermost frame waits on if it is idle: ("io" | "lock" | None, the call's name or None).
    The source line speaks first (`time.sleep(`, `lock.acquire(`, `with lock:`), then a library function's
    name (Condition.wait), then its file (threading.py, selectors.py). For None, the name is the line's first
    call that may release the GIL (not `range(`, `len(`, ...), or None: what native time or a wait was in."""
    norm = filename.replace("\\", "/")
    if norm.endswith("/selectors.py") and function.endswith(".select"):
        return "io", "idle"  # an event loop or server with nothing to do, as the sampler says
    calls = _CALL.findall(text)
    for call in calls:
        kind = wait_kind(call, receiver_needed=True)
        if kind in ("io", "lock"):
            return kind, call
    with_target = _WITH.match(text)
    if with_target and any(w in with_target.group(1).lower() for w in ("lock", "sem", "cond", "mutex")):
        return "lock", f"with {with_target.group(1)}"
    if "/" in norm and not norm.startswith("<"):
        library = any(part in norm for part in SYNC_PARTS + IO_FILES) or "/lib/python" in norm
        kind = wait_kind(function) if library else None
        if kind in ("io", "lock"):
            return kind, function
        if any(part in norm for part in SYNC_PARTS):
            return "lock", function
        if any(part in norm for part in IO_FILES):
            return "io", function
    native = [c for c in calls if wait_kind(c, receiver_needed=True) == "native"]
    other = [c for c in calls if c.rsplit(".", 1)[-1] not in HOLDS_GIL]
    return None, (native or other or [None])[0]


def combine(
    every: list[Sample],
    active: list[Sample],
    gil: list[Sample],
    *,
    sample_s: float,
    root_pid: int,
    source_line: Callable[[str, int], str],
    first_line: Callable[[str, str, int], int],
    is_user: Callable[[str], bool],
) -> dict[int, dict]:
    """The three recordings (`--idle`, default, `--gil`) of one run -> {pid: data dict}."""
    groups: dict = {}  # (pid, tid, call path) -> [all lines {lines: n}, active n, gil n]
    names: dict = {}
    cmdlines: dict = {}
    for which, samples in enumerate((every, active, gil)):
        for s in samples:
            if any(f[1].endswith(OWN_THREAD_FILES) for f in s.frames):
                continue
            pid = s.pids[-1] if s.pids else root_pid
            cmdlines.setdefault(pid, s.cmdline)
            if s.thread:
                names[(pid, s.tid)] = s.thread
            group = groups.setdefault((pid, s.tid, tuple(f[:2] for f in s.frames)), [{}, {}, 0, 0])
            if which == 0 or not group[0]:  # line variants: from --idle, else from the others
                variants, key = group[min(which, 1)], tuple(f[2] for f in s.frames)
                variants[key] = variants.get(key, 0) + s.count
            if which:
                group[which + 1] += s.count
    held: dict[int, dict[int, int]] = {}  # pid -> {tid: GIL-holding samples}
    for (pid, tid, _), g in groups.items():
        held.setdefault(pid, {}).setdefault(tid, 0)
        held[pid][tid] += g[3]
    out: dict = {}
    for (pid, tid, path), (lines_all, lines_active, n_active, n_gil) in groups.items():
        data = out.get(pid) or out.setdefault(
            pid, _new_process(pid, root_pid, cmdlines.get(pid, ""), sample_s)
        )
        ti = _thread_index(data, pid, tid, names)
        others_held = sum(n for t, n in held[pid].items() if t != tid)
        for lines, state, blocker, n in _split(
            path, lines_all or lines_active, n_active, n_gil, others_held, source_line
        ):
            _book(data, ti, path, lines, state, blocker, n, sample_s, first_line, is_user)
    for data in out.values():
        _finish(data)
    return out


def _split(path, lines_all, n_active, n_gil, others_held, source_line):
    """Share one call path's samples among its line variants and states; yields (lines, state, blocker, n)."""
    total_all = sum(lines_all.values())
    active = max(n_active, n_gil)
    total = max(total_all, active)
    if total <= 0:
        return
    idle, native = total - active, active - n_gil
    variants = []
    for lines, n in lines_all.items():
        leaf = path[-1] + (lines[-1],) if path else ("", "", 0)
        kind, call = leaf_wait(leaf[0], leaf[1], source_line(leaf[1], leaf[2]) if leaf[1] else "")
        variants.append((lines, n * total / total_all, kind, call))
    blocking = sum(v[1] for v in variants if v[2])
    idle_b = min(idle, blocking)
    idle_rest = idle - idle_b
    act_rest = min(active, total - blocking - idle_rest)
    act_b = active - act_rest
    gil_share = n_gil / active if active else 0.0
    for lines, n, kind, call in variants:
        pool, idle_part, act_part = (
            (blocking, idle_b, act_b) if kind else (total - blocking, idle_rest, act_rest)
        )
        if pool <= 0:
            continue
        if idle_part:
            if kind:
                yield lines, kind, call, n * idle_part / pool
            elif others_held >= 0.25 * idle_part:
                yield lines, "gil", "GIL", n * idle_part / pool
            else:
                yield lines, "io", call or "unknown wait", n * idle_part / pool
        if act_part:
            yield lines, "cpu", None, n * act_part / pool * gil_share
            if native:  # on a CPU without the GIL: C code that released it (a thread waiting for the GIL
                # sleeps in a futex, which py-spy reads as idle), whatever the line calls: zlib under a write(...)
                yield lines, "native", call or "native code", n * act_part / pool * (1 - gil_share)


def _new_process(pid, root_pid, cmdline, sample_s) -> dict:
    return {
        "pid": pid,
        "role": "main" if pid == root_pid else "child",
        "argv": cmdline.split(),
        "engine": "pyspy",
        "interval_s": sample_s,
        "gil_measured": True,
        "samples": 0,
        "frames": [],
        "threads": [],
        "stacks": [],
        "stalls": [],
        "calls": {},
        "notes": [],
        "_frame_ids": {},
        "_threads": {},
        "_stacks": {},
        "_pool": False,
    }


def _thread_index(data, pid, tid, names) -> int:
    if tid not in data["_threads"]:
        data["_threads"][tid] = len(data["threads"])
        default = "MainThread" if tid == pid else f"Thread {tid}"
        data["threads"].append(
            {
                "tid": tid,
                "name": names.get((pid, tid), default),
                "is_main": tid == pid,
                "daemon": False,
                "wall_s": 0.0,
                "cpu_s": 0.0,
                "states": {},
                "segments": [],
            }
        )
    return data["_threads"][tid]


def _book(data, ti, path, lines, state, blocker, n, sample_s, first_line, is_user) -> None:
    if n <= 1e-9:
        return
    ids, line = [], 0
    for (function, filename), current in zip(path, lines):
        frame_key = (function, filename)
        if frame_key not in data["_frame_ids"]:
            data["_frame_ids"][frame_key] = len(data["frames"])
            user = bool(filename) and is_user(filename)
            data["frames"].append(FrameRow(function, filename, first_line(function, filename, current), user))
        ids.append(data["_frame_ids"][frame_key])
        if data["frames"][ids[-1]][3]:
            line = current
        data["_pool"] |= (function == "worker" and filename.endswith("multiprocessing/pool.py")) or (
            function == "_process_worker" and filename.endswith("concurrent/futures/process.py")
        )
    key = (ti, tuple(ids), line, state, blocker)
    agg = data["_stacks"].setdefault(key, [0.0, 0.0, 0.0])
    seconds = n * sample_s
    agg[0] += n
    agg[1] += seconds
    agg[2] += seconds if state in ("cpu", "native") else 0.0
    thread = data["threads"][ti]
    thread["wall_s"] += seconds
    thread["cpu_s"] += seconds if state in ("cpu", "native") else 0.0
    thread["states"][state] = thread["states"].get(state, 0.0) + seconds


def _finish(data) -> None:
    data["stacks"] = [
        StackRow(k[0], list(k[1]), k[2], k[3], k[4], int(round(v[0])), v[1], v[2], 0.0)
        for k, v in data.pop("_stacks").items()
    ]
    data["samples"] = int(round(sum(s.samples for s in data["stacks"])))
    if data.pop("_pool") and data["role"] == "child":
        data["role"] = "pool worker"
    del data["_frame_ids"], data["_threads"]
    main = [t for t in data["threads"] if t["is_main"]]
    data["wall_s"] = max((t["wall_s"] for t in main or data["threads"]), default=0.0)
    data["cpu_s"] = sum(t["cpu_s"] for t in data["threads"])
    fill_critical(data)
