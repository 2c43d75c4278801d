"""The deterministic engines: cProfile (main thread only) and yappi (every thread), both on a wall clock.

Both give a call graph with each function's own time and exact call counts. It becomes gilscope's data dict:
- a user function's own time is Python running ("cpu");
- a built-in's own time goes to its nearest user caller as a stack [caller, built-in] whose state the
  built-in's name gives (time.sleep -> io, lock.acquire -> lock, zlib.compress -> native, else cpu);
- stdlib Python's own time goes to its nearest user caller; callers share by time on the edge, or by calls.
Each thread's CPU time is measured (time.thread_time, or its CPU clock); Python time beyond it was spent off
the CPU where no call was traced (waiting for the GIL, or in `with lock:`), and is booked that way.
"""
import re
import sys
import threading
import time

from gilscope.agent.stacks import is_user_file

_IO_ATTRS = {"sleep", "recv", "recv_into", "recvfrom", "recvfrom_into", "recvmsg", "send", "sendall", "sendto",
             "sendmsg", "sendfile", "read", "readinto", "readline", "readlines", "readall", "write", "flush",
             "accept", "connect", "connect_ex", "select", "poll", "control", "waitpid", "wait3", "wait4", "waitid",
             "communicate", "getaddrinfo", "gethostbyname", "getresponse", "urlopen", "fsync", "input",
             "_recv", "_recv_bytes", "do_handshake"}
_LOCK_ATTRS = {"acquire", "acquire_lock", "join", "wait", "wait_for", "result", "as_completed",
               "_wait_for_tstate_lock"}
_QUEUE_ATTRS = {"get", "put", "get_nowait"}
_NATIVE_PARTS = ("zlib", "hashlib", "hash", "bz2", "lzma", "sha", "md5", "blake2", "crc32", "numpy", "scipy")
_MODULE_ALIASES = {"posix": "os", "_socket": "socket", "_thread": "thread", "_queue": "queue", "_io": "io"}
_SYNC_PARTS = ("/threading.py", "/queue.py", "/concurrent/futures/", "/multiprocessing/", "/asyncio/locks.py")
_LABEL = re.compile(r"<(?:built-in method|method) '?([\w.]+)'?(?: of '([\w.]+)' objects)?>")


def builtin_name(label: str) -> str:
    """cProfile's or yappi's label of a C function, as users write the call:
    "<built-in method time.sleep>" -> "time.sleep"; "<method 'acquire' of '_thread.lock' objects>" ->
    "lock.acquire"; "<method 'recv' of '_socket.socket' objects>" -> "socket.recv"; "posix.waitpid" -> "os.waitpid"."""
    match = _LABEL.fullmatch(label.strip())
    if match:
        attr, owner = match.groups()
        if owner is None:
            owner, _, attr = attr.rpartition(".")
    else:
        owner, _, attr = label.rpartition(".")
    parts = [p for p in owner.split(".") if p]
    if parts:
        parts[0] = _MODULE_ALIASES.get(parts[0], parts[0].lstrip("_") or parts[0])
        if len(parts) == 2 and parts[0] in ("thread", "socket"):   # lock.acquire, socket.recv, RLock.release
            parts = parts[1:]
    return ".".join([*parts, attr]) if parts else attr


def wait_kind(name: str, receiver_needed: bool = False) -> str | None:
    """What a call to `name` (dotted, as written or as builtin_name gives it) waits for: "io", "lock",
    "native" (C code that releases the GIL), or None (runs holding the GIL). `receiver_needed`: a bare
    `join(`/`get(` in source text is str.join or dict.get-like, not a thread or a queue."""
    owner, _, attr = name.rpartition(".")
    low = name.lower()
    if owner in ("str", "bytes", "dict", "list", "os.path") or owner.endswith(("str", "dict")):
        return None
    if any(part in low for part in _NATIVE_PARTS) and attr not in _IO_ATTRS:
        return "native"
    if attr == "wait" and ("proc" in low or "popen" in low or owner in ("os", "subprocess")):
        return "io"
    if attr in _IO_ATTRS:
        return "io"
    if attr in _LOCK_ATTRS and (owner or not receiver_needed):
        return "lock"
    if attr in _QUEUE_ATTRS and "queue" in low or (attr in _QUEUE_ATTRS and owner[-1:] in ("q", "Q")):
        return "lock"
    return None


# ---- call graph -> stacks --------------------------------------------------------------------------------
class _Graph:
    """Nodes: key -> [qualname, file, firstlineno, is_user, builtin name or None, calls, own_s].
    Edges into each node: callee key -> [(caller key, calls, time on the edge)]."""

    def __init__(self):
        self.nodes: dict = {}
        self.callers: dict = {}

    def add_node(self, key, name, file, line, builtin, calls, own):
        if builtin:
            name = builtin_name(name)
            self.nodes[key] = [name, "<built-in>", 0, False, name, calls, own]
        else:
            self.nodes[key] = [name, file, line, is_user_file(file), None, calls, own]

    def add_edge(self, caller, callee, calls, seconds):
        self.callers.setdefault(callee, []).append((caller, calls, seconds))

    def top_caller(self, key):
        return max(self.callers[key], key=lambda e: (e[2], e[1]))[0]

    def user_shares(self, key, memo, visiting) -> dict:
        """How the time of `key` divides among its nearest user callers (fractions; the rest has none)."""
        if key in memo:
            return memo[key]
        if self.nodes[key][3]:
            return {key: 1.0}
        if key in visiting:      # a cycle through library code: that path leads nowhere new
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


def graph_to_stacks(graph: _Graph, data: dict, frame_ids: dict) -> dict:
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
                if owner is None:                 # no user code above: a library stack of its own
                    slot = (graph.top_caller(key), key) if builtin and graph.callers.get(key) else (key,)
                elif builtin:
                    slot = (owner, key)
                else:                             # the user function itself, or library Python under it
                    slot = (owner,)
                agg = booked.setdefault(slot, [kind or "cpu", builtin, 0.0, 0.0])
                agg[2] += own * share
                agg[3] += calls * share if slot[-1] == key else 0.0
    finally:
        sys.setrecursionlimit(old_limit)
    stacks = {}
    for slot, agg in booked.items():
        ids = []
        for key in slot:
            frame = tuple(graph.nodes[key][:4])
            if frame not in frame_ids:
                frame_ids[frame] = len(data["frames"])
                data["frames"].append(list(frame))
            ids.append(frame_ids[frame])
        stacks[tuple(ids)] = agg
    for key, node in graph.nodes.items():
        index = frame_ids.get(tuple(node[:4]))
        if index is not None:
            data["calls"][str(index)] = data["calls"].get(str(index), 0) + int(node[5])
    data["samples"] += sum(int(n[5]) for n in graph.nodes.values())
    return stacks


def build_thread(data, thread_info, stacks, measured_cpu, other_threads) -> None:
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
            if any(part in data["frames"][frames[-1]][1] for part in _SYNC_PARTS):
                off = ("lock", "untraced wait")      # e.g. iter(queue.get, None): a C-to-C call
            else:
                off = ("gil", "GIL") if other_threads else ("io", "untraced wait")
            parts = [(state, blocker, seconds * (1 - off_ratio)), (*off, seconds * off_ratio)]
        for part_state, part_blocker, part_s in parts:
            if part_s <= 0:
                continue
            cpu_s = part_s if part_state in ("cpu", "native") else 0.0
            data["stacks"].append([ti, list(frames), line, part_state, part_blocker, int(round(calls)),
                                   part_s, cpu_s, 0.0])
            states[part_state] = states.get(part_state, 0.0) + part_s
    wall = sum(states.values())
    data["threads"].append(dict(thread_info, wall_s=wall, states=states, segments=[],
                                cpu_s=measured_cpu if measured_cpu is not None else on_cpu))


def fill_critical(data: dict) -> None:
    """Approximate critical-path time without a timeline: the main thread's own work is on the path; the
    time it waited (lock, gil) is shared equally among the other threads that ran user code (not waiting
    on a lock), up to their time. Library-only threads (pool handlers, executors' plumbing) are not."""
    threads, frames = data["threads"], data["frames"]
    main = {i for i, t in enumerate(threads) if t.get("is_main")} or {0}
    waited = 0.0
    busy: dict = {}
    for st in data["stacks"]:
        if st[0] in main:
            on_path = st[3] not in ("lock", "gil")
            st[8] = st[6] if on_path else 0.0
            waited += 0.0 if on_path else st[6]
        elif st[3] != "lock" and st[4] != "idle" and any(frames[i][3] for i in st[1]):
            busy.setdefault(st[0], []).append(st)
    if not busy:
        return
    base = {ti: sum(s[6] for s in sts) / len(busy) for ti, sts in busy.items()}
    scale = min(1.0, waited / sum(base.values())) if sum(base.values()) > 0 else 0.0
    for sts in busy.values():
        for st in sts:
            st[8] = st[6] / len(busy) * scale


def new_data(notes: list[str]) -> dict:
    return {"interval_s": 0.0, "gil_measured": False, "samples": 0, "frames": [], "threads": [],
            "stacks": [], "stalls": [], "calls": {}, "notes": notes}


# ---- per-thread CPU and identity ------------------------------------------------------------------------
class _ThreadLog:
    """Records every thread's name, native id and final CPU time as it ends (threads run under the hook)."""

    def __init__(self):
        self.ended: dict = {}     # ident -> [(name, native_id, daemon, cpu_s)] in the order they ended
        self.started = 0
        original = self._original = threading.Thread._bootstrap_inner  # noqa: SLF001
        log = self

        def _bootstrap_inner(thread):
            log.started += 1
            try:
                original(thread)
            finally:
                log.ended.setdefault(thread.ident, []).append(
                    (thread.name, thread.native_id, thread.daemon, _busy_s(thread.native_id, True)))

        threading.Thread._bootstrap_inner = _bootstrap_inner  # noqa: SLF001

    def info(self, ident) -> tuple[dict, float | None]:
        obj = threading._active.get(ident)  # noqa: SLF001
        if obj is not None:
            cpu = _busy_s(obj.native_id, ident == threading.get_ident(), ident)
            return {"tid": obj.native_id or 0, "name": obj.name, "is_main": obj is threading.main_thread(),
                    "daemon": obj.daemon}, cpu
        name, tid, daemon, cpu = (self.ended.get(ident) or [(f"thread-{ident}", 0, False, None)])[-1]
        return {"tid": tid or 0, "name": name, "is_main": False, "daemon": daemon}, cpu


def _busy_s(native_id, current: bool, ident=None) -> float | None:
    """Seconds a thread ran or was runnable (on a CPU, or queued for one): /proc schedstat, else CPU time."""
    try:
        with open(f"/proc/self/task/{native_id}/schedstat", "rb") as fh:
            on_cpu, runq = fh.read().split()[:2]
        return (int(on_cpu) + int(runq)) / 1e9
    except (OSError, ValueError, TypeError):
        pass
    try:
        return time.thread_time() if current else time.clock_gettime(time.pthread_getcpuclockid(ident))
    except (AttributeError, OSError, OverflowError, TypeError):
        return None


# ---- the collectors -------------------------------------------------------------------------------------
class CProfileCollector:
    """cProfile in the main thread: exact calls, wall-clock own times, one thread."""

    name = "cprofile"

    def __init__(self, settings: dict, gil_enabled: bool):
        import cProfile
        self.profiler = cProfile.Profile()
        self.gil_enabled = gil_enabled
        self.log = self.ident = self.cpu0 = None

    def start(self) -> None:
        self.log = _ThreadLog()
        self.ident, self.cpu0 = threading.get_ident(), _busy_s(threading.get_native_id(), True) or 0.0
        self.profiler.enable()

    def stop_and_collect(self) -> dict:
        self.profiler.disable()
        info, cpu = self.log.info(self.ident)
        cpu = None if cpu is None else max(0.0, cpu - self.cpu0)
        graph = _Graph()
        for entry in self.profiler.getstats():
            _cprofile_node(graph, entry.code, entry.callcount, entry.inlinetime)
            for sub in entry.calls or ():
                _cprofile_node(graph, sub.code, 0, None)
                graph.add_edge(_key(entry.code), _key(sub.code), sub.callcount, sub.totaltime)
        data = new_data([
            "cprofile sees only the main thread: work in other threads is invisible (the main thread shows "
            "only its waits on them)",
            "cProfile has one wall clock: Python time counts as CPU up to the thread's measured CPU time; "
            "the rest is booked as a GIL wait (other threads ran) or an untraced wait",
            "`with lock:` is not a traced call: its wait shows as the function's own time",
            "the profile hook slows every Python call (about 5x on many tiny calls, 1.4-1.6x on loops on 3.11)",
        ])
        stacks = graph_to_stacks(graph, data, {})
        others = self.log.started > 0 or threading.active_count() > 1
        build_thread(data, info, stacks, cpu, others)
        fill_critical(data)
        return data


def _key(code):
    return code if isinstance(code, str) else (code.co_filename, code.co_firstlineno, code.co_name, code)


def _cprofile_node(graph, code, calls, own):
    key = _key(code)
    if key in graph.nodes:
        if own is not None:
            graph.nodes[key][5], graph.nodes[key][6] = calls, own
        return
    if isinstance(code, str):
        graph.add_node(key, code, "", 0, True, calls, own or 0.0)
    else:
        name = getattr(code, "co_qualname", code.co_name)
        graph.add_node(key, name, code.co_filename, code.co_firstlineno, False, calls, own or 0.0)


class YappiCollector:
    """yappi on a wall clock with built-ins, in every thread started through `threading`."""

    name = "yappi"

    def __init__(self, settings: dict, gil_enabled: bool):
        import yappi   # imported here: a C extension that re-enables the GIL on free-threaded builds
        self.yappi = yappi
        self.gil_enabled = gil_enabled
        self.log = self.ident = self.cpu0 = None

    def start(self) -> None:
        yappi = self.yappi
        if yappi.is_running():          # a forked child inherits its parent's running profiler
            yappi.stop()
        yappi.clear_stats()
        yappi.set_clock_type("wall")
        self.log = _ThreadLog()
        self.ident, self.cpu0 = threading.get_ident(), _busy_s(threading.get_native_id(), True) or 0.0
        yappi.start(builtins=True, profile_threads=True)

    def stop_and_collect(self) -> dict:
        yappi = self.yappi
        yappi.stop()
        data = new_data([
            "yappi sees threads started through `threading` after profiling began; not threads of C "
            "libraries, nor other processes except forked children (each profiled on its own)",
            "yappi has one wall clock here: Python time counts as CPU up to each thread's measured CPU time; "
            "the rest is booked as a GIL wait (other threads ran) or an untraced wait",
            "`with lock:` is not a traced call: its wait shows as the function's own time",
            "the profile hook slows every Python call (about 10x on many tiny calls, 1.5x on loops on 3.11)",
        ])
        if getattr(sys, "_is_gil_enabled", None) is not None:
            data["notes"].append("importing yappi re-enables the GIL on a free-threaded build")
        frame_ids: dict = {}
        threads = sorted(yappi.get_thread_stats(), key=lambda t: t.id)
        built = []
        for thread in threads:
            graph = _Graph()
            # filter=, not ctx_id=: ctx_id=0 (the main thread) is falsy there and returns every thread merged
            for stat in yappi.get_func_stats(filter={"ctx_id": thread.id}):
                _yappi_node(graph, stat, stat.ncall, stat.tsub)
                for child in stat.children:
                    _yappi_node(graph, child, 0, None)
                    graph.add_edge(stat.full_name, child.full_name, child.ncall, child.ttot)
            info, cpu = self._identify(thread, threads)
            built.append((info, graph_to_stacks(graph, data, frame_ids), cpu))
        running = sum(1 for _, stacks, _ in built if any(v[0] == "cpu" and v[2] > 0.01 for v in stacks.values()))
        for info, stacks, cpu in built:
            build_thread(data, info, stacks, cpu, running > 1)
        fill_critical(data)
        return data

    def _identify(self, thread, threads) -> tuple[dict, float | None]:
        """Name, native id and CPU time of one yappi thread. Idents of ended threads are reused: the k-th
        yappi context with an ident is the k-th thread that ended with it, or the live one."""
        ident = thread.tid
        rank = sum(1 for t in threads if t.tid == ident and t.id < thread.id)
        ended = self.log.ended.get(ident, [])
        if rank < len(ended) and (rank < len(ended) - 1 or ident not in threading._active):  # noqa: SLF001
            name, tid, daemon, cpu = ended[rank]
            return {"tid": tid or 0, "name": name, "is_main": False, "daemon": daemon}, cpu
        info, cpu = self.log.info(ident)
        if ident == self.ident and cpu is not None:
            cpu = max(0.0, cpu - self.cpu0)
        return info, cpu


def _yappi_node(graph, stat, calls, own):
    key = stat.full_name
    if key in graph.nodes:
        if own is not None:
            graph.nodes[key][5], graph.nodes[key][6] = calls, own
        return
    if stat.builtin:
        label = stat.name if stat.name.startswith("<") else f"{stat.module}.{stat.name}"
        graph.add_node(key, label, "", 0, True, calls, own or 0.0)
    else:
        graph.add_node(key, stat.name, stat.module, stat.lineno, False, calls, own or 0.0)
