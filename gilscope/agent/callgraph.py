"""Call graphs from deterministic profilers turned into gilscope's stacks.

- A user function's own time is Python running ("cpu").
- A built-in's own time goes to its nearest user caller as a stack [caller, built-in] whose state the
  built-in's name gives (agent/calls.py: time.sleep -> io, lock.acquire -> lock, zlib.compress -> native,
  else cpu).
- Library Python's own time goes to its nearest user caller; callers share by time on the edge, or calls.
- Python time beyond a thread's measured running time (on a CPU or queued for one) was spent off the CPU
  where no call was traced (waiting for the GIL, or in `with lock:`), and is booked that way.
fill_critical also serves the py-spy engine (gilscope.collect.pyspy_parse).
"""

from __future__ import annotations

import sys

from gilscope.agent.calls import SYNC_PARTS, builtin_name, wait_kind
from gilscope.agent.stacks import is_user_file
from gilscope.agent.wire import FrameRow, StackRow

_OWN_FILES = {__file__.replace("callgraph.py", "deterministic.py"), __file__}


def fill_critical(data: dict) -> None:
    """Approximate critical-path time without a timeline: the main thread's own work is on the path; the
    time it waited (lock, gil) is shared equally among the other threads that ran user code (not waiting
    on a lock), up to their time. Library-only threads (pool handlers, executors' plumbing) are not. When no
    such thread exists (pool.map waits on other processes; cProfile sees one thread), the waits stay on it."""
    threads, frames = data["threads"], data["frames"]
    main = {i for i, t in enumerate(threads) if t.get("is_main")} or {0}
    rows = [StackRow(*row) for row in data["stacks"]]
    waited = 0.0
    busy: dict[int, list[int]] = {}  # thread -> indexes of its rows
    critical = [0.0] * len(rows)
    for n, st in enumerate(rows):
        if st.thread in main:
            on_path = st.state not in ("lock", "gil")
            critical[n] = st.wall_s if on_path else 0.0
            waited += 0.0 if on_path else st.wall_s
        elif (
            st.state != "lock" and st.blocker != "idle" and any(FrameRow(*frames[i]).user for i in st.frames)
        ):
            busy.setdefault(st.thread, []).append(n)
    if busy:
        base = {ti: sum(rows[n].wall_s for n in ns) / len(busy) for ti, ns in busy.items()}
        scale = min(1.0, waited / sum(base.values())) if sum(base.values()) > 0 else 0.0
        for ns in busy.values():
            for n in ns:
                critical[n] = rows[n].wall_s / len(busy) * scale
    else:  # nothing it waited on ran user code (or is visible): the main thread's waits stay on the path
        critical = [st.wall_s if st.thread in main else 0.0 for st in rows]
    data["stacks"] = [st._replace(critical_s=c) for st, c in zip(rows, critical)]


# ---- call graph -> stacks --------------------------------------------------------------------------------
class Graph:
    """Nodes: key -> [qualname, file, firstlineno, is_user, builtin name or None, calls, own_s].
    Edges into each node: callee key -> [(caller key, calls, time on the edge)]."""

    def __init__(self):
        self.nodes: dict = {}
        self.callers: dict = {}

    def node(self, key, name, file, line, builtin, calls, own=None):
        """Add a function; `own` None: seen only as a callee so far (its own entry fills it in)."""
        if key not in self.nodes:
            if builtin:
                name = builtin_name(name)
                self.nodes[key] = [name, "<built-in>", 0, False, name, 0, 0.0]
            else:
                self.nodes[key] = [name, file, line, is_user_file(file), None, 0, 0.0]
        if own is not None:
            self.nodes[key][5:7] = [calls, own]

    def edge(self, caller, callee, calls, seconds):
        self.callers.setdefault(callee, []).append((caller, calls, seconds))

    def user_shares(self, key, memo, visiting) -> dict:
        """How the time of `key` divides among its nearest user callers (fractions; the rest has none)."""
        if key in memo:
            return memo[key]
        if self.nodes[key][3]:
            return {key: 1.0}
        if key in visiting:  # a cycle through library code: that path leads nowhere new
            return {}
        visiting.add(key)
        edges = [e for e in self.callers.get(key, ()) if e[0] in self.nodes]
        by_time = sum(e[2] for e in edges)
        by_calls = sum(e[1] for e in edges) or 1
        out: dict = {}
        for caller, calls, seconds in edges:
            weight = seconds / by_time if by_time > 0 else calls / by_calls
            for user, share in self.user_shares(caller, memo, visiting).items():
                out[user] = out.get(user, 0.0) + weight * share
        visiting.discard(key)
        memo[key] = out
        return out


def graph_to_stacks(graph: Graph, data: dict, frame_ids: dict) -> dict:
    """Book every node's own time on a stack of frame indexes: {(user[, leaf]): [state, blocker, s, calls]}.
    Frames go into data["frames"] (deduplicated through `frame_ids`), call counts into data["calls"]."""
    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old_limit, 10_000))
    memo: dict = {}
    booked: dict = {}
    try:
        for key, (_name, _file, _line, user, builtin, calls, own) in graph.nodes.items():
            kind = wait_kind(builtin) if builtin else None
            shares = {key: 1.0} if user else graph.user_shares(key, memo, set())
            rest = max(0.0, 1.0 - sum(shares.values()))
            for owner, share in [*shares.items(), (None, rest)]:
                if share <= 1e-9 or (own <= 0 and not (user or builtin)):
                    continue
                if owner is None:  # no user code above: a library stack of its own
                    top = max(graph.callers.get(key, [(None, 0, 0)]), key=lambda e: (e[2], e[1]))[0]
                    slot = (top, key) if builtin and top in graph.nodes else (key,)
                elif builtin:
                    slot = (owner, key)
                else:  # the user function itself, or library Python under it
                    slot = (owner,)
                agg = booked.setdefault(slot, [kind or "cpu", builtin, 0.0, 0.0])
                agg[2] += own * share
                agg[3] += calls * share if slot[-1] == key else 0.0
    finally:
        sys.setrecursionlimit(old_limit)
    stacks = {}
    for slot, agg in list(booked.items()):
        if graph.nodes[slot[0]][1] in _OWN_FILES:  # gilscope's own thread-exit hook, not the program
            continue
        for key in slot:
            if tuple(graph.nodes[key][:4]) not in frame_ids:
                frame_ids[tuple(graph.nodes[key][:4])] = len(data["frames"])
                data["frames"].append(FrameRow(*graph.nodes[key][:4]))
        stacks[tuple(frame_ids[tuple(graph.nodes[k][:4])] for k in slot)] = agg
    for node in graph.nodes.values():
        if tuple(node[:4]) in frame_ids:
            index = str(frame_ids[tuple(node[:4])])
            data["calls"][index] = data["calls"].get(index, 0) + int(node[5])
    data["samples"] += sum(int(n[5]) for n in graph.nodes.values())
    return stacks


def build_thread(data, thread_info, measured_cpu, stacks, other_threads) -> None:
    """Append one thread and its stacks to `data`; split Python time the thread did not spend on a CPU."""
    ti = len(data["threads"])
    python_s = sum(v[2] for v in stacks.values() if v[0] == "cpu")
    on_cpu = sum(v[2] for v in stacks.values() if v[0] in ("cpu", "native"))
    missing = on_cpu - measured_cpu if measured_cpu is not None else 0.0
    off_ratio = min(1.0, missing / python_s) if python_s > 0 and missing > max(0.01, 0.2 * on_cpu) else 0.0
    states: dict = {}
    for frames, (state, blocker, seconds, calls) in stacks.items():
        line = data["frames"][frames[0]][2] if frames else 0
        parts = [(state, blocker, seconds)]
        if state == "cpu" and off_ratio:
            if any(part in data["frames"][frames[-1]][1] for part in SYNC_PARTS):
                off = ("lock", "untraced wait")  # e.g. iter(queue.get, None): a C-to-C call
            else:
                off = ("gil", "GIL") if other_threads else ("io", "untraced wait")
            parts = [(state, blocker, seconds * (1 - off_ratio)), (*off, seconds * off_ratio)]
        for part_state, part_blocker, part_s in (p for p in parts if p[2] > 0):
            cpu_s = part_s if part_state in ("cpu", "native") else 0.0
            data["stacks"].append(
                StackRow(
                    ti, list(frames), line, part_state, part_blocker, int(round(calls)), part_s, cpu_s, 0.0
                )
            )
            states[part_state] = states.get(part_state, 0.0) + part_s
    data["threads"].append(
        dict(
            thread_info,
            wall_s=sum(states.values()),
            states=states,
            segments=[],
            cpu_s=measured_cpu if measured_cpu is not None else on_cpu,
        )
    )
