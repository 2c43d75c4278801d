"""The sampling thread: every interval it reads each thread's Python stack (sys._current_frames) and its OS
state (/proc), and sorts the interval's time into cpu, native, io, gil and lock.

How one interval of one thread is classified (GIL builds):
- on-CPU time (schedstat) and run-queue wait count as running. While this thread samples it holds the GIL,
  so a thread the OS shows running at that moment runs without the GIL: native. Otherwise it ran holding it.
- off-CPU time goes to what the thread is blocked in right now: a futex inside threading/queue/futures code
  or a call to acquire/join/wait is a lock; a futex anywhere else is a wait for the GIL; sleep, select,
  read, recv and waitpid are I/O.
"""
import sys
import threading
import time

from gilscope.agent import procfs, sigterm_rescue
from gilscope.agent.stacks import HANDLE_RUN, LOOP, SELECTOR, SYNC, USER, called_name, code_flags, qualname

MAX_DEPTH = 128            # innermost frames kept per stack; deeper recursion is cut at the root side
MAX_SEGMENTS = 4000        # timeline segments per thread before they are coarsened
_SLEEP_CALLS = {"nanosleep", "clock_nanosleep"}
_POLL_CALLS = {"select", "pselect6", "poll", "ppoll", "epoll_wait", "epoll_pwait", "epoll_pwait2"}


class _Thread:
    __slots__ = ("index", "ident", "tid", "name", "is_main", "daemon", "probe", "last_cpu", "last_runq", "last_slices",
                 "last_wall", "wall", "cpu", "states", "segments", "stall_key", "stall_start", "stall_end", "stall_state", "last", "critical_ratio", "target", "has_user")

    def __init__(self, index, ident, tid, name, is_main, daemon, now):
        self.index, self.ident, self.tid, self.name = index, ident, tid, name
        self.is_main, self.daemon = is_main, daemon
        self.probe = procfs.ThreadProbe(tid) if (procfs.AVAILABLE and tid) else None
        reading = self.probe.read() if self.probe else None
        self.last_cpu, self.last_runq, self.last_slices = (reading[0], reading[1], reading[4]) if reading else (-1, -1, -1)
        self.last_wall = now
        self.wall = self.cpu = 0.0
        self.states: dict[str, float] = {}
        self.segments: list = []
        self.stall_key = None
        self.stall_start = self.stall_end = 0.0
        self.stall_state = ""
        self.last = None            # (frames key, line, off_state, blocker) of the latest sample
        self.critical_ratio = 0.0   # share of its latest interval that was on the program's critical path
        self.target = None          # the Thread's target function, to book a thread never sampled
        self.has_user = False       # the latest sample had user code on the stack


class Sampler(threading.Thread):
    def __init__(self, interval: float, gil_enabled: bool):
        super().__init__(name="gilscope-sampler", daemon=True)
        self.interval = interval
        self.gil_enabled = gil_enabled
        self.t0 = time.perf_counter()
        # Thread.native_id of the thread that forked a process is the parent's (CPython keeps it after fork):
        # the thread creating the sampler (a fork's only thread) gives its own.
        self._native_ids = {threading.get_ident(): threading.get_native_id()}
        self._stop_event = threading.Event()
        self._lock = threading.Lock()          # guards the aggregates against a concurrent snapshot
        self.threads: dict[int, _Thread] = {}   # live threads by ident (an ended thread's ident may be reused)
        self.ended: set[int] = set()            # idents whose thread ran its exit hook but may still show
        self.open: dict[int, _Thread] = {}     # threads whose /proc files are open (alive, as far as we know)
        self.thread_list: list[_Thread] = []
        self.code_index: dict = {}             # code object -> (frame index, flags)
        self.frames: list = []                 # [qualname, file, firstlineno, user]
        # (thread, frames, line, state, blocker) -> [samples, wall, cpu, critical, waits]
        self.stacks: dict = {}
        self.stalls: dict = {}                 # (thread, frames, state) -> [count, total_s, max_s]
        self.rounds = 0
        self.late_s = 0.0                      # total delay in getting the GIL back after each sleep
        self.late_rounds = 0                   # rounds that waited more than 1 ms for it
        self.cost_s = 0.0                      # time spent sampling, i.e. gilscope's own overhead

    # ---- thread bookkeeping -------------------------------------------------------------------------
    def _thread_for(self, ident, now):
        th = self.threads.get(ident)
        if th is None:
            obj = threading._active.get(ident)  # noqa: SLF001 - the only map from ident to native id and name
            if obj is None and ident in self.ended:
                return None     # past its exit hook (its time is booked), not yet gone
            self.ended.discard(ident)
            th = self._new_thread(ident, obj, now)
        return th

    def _new_thread(self, ident, obj, now):
        tid = self._native_ids.get(ident) or getattr(obj, "native_id", None) or 0
        name = obj.name if obj is not None else f"thread-{ident}"
        is_main = obj is threading.main_thread() if obj is not None else False
        th = _Thread(len(self.thread_list), ident, tid, name, is_main, bool(getattr(obj, "daemon", False)), now)
        self.threads[ident] = th
        if th.probe is not None:
            self.open[ident] = th
        self.thread_list.append(th)
        return th

    def stop(self) -> None:
        self._stop_event.set()

    def run(self) -> None:
        procfs.block_signals()
        me = threading.get_ident()
        interval = self.interval
        perf, own_cpu = time.perf_counter, time.thread_time
        while not self._stop_event.is_set():
            before = perf()
            time.sleep(interval)
            late = perf() - before - interval
            if late > 0:
                self.late_s += late
                if late > 0.001:
                    self.late_rounds += 1
            cpu_before = own_cpu()
            sigterm_rescue.check()
            self.sample(me)
            spent = own_cpu() - cpu_before
            self.cost_s += spent
            # Keep the sampler below ~5% of one core, whatever the thread count. CPU time, not wall time:
            # the wall time of a round includes waits for the GIL, which cost the target nothing.
            interval = max(self.interval, spent * 20)

    # ---- one round ----------------------------------------------------------------------------------
    def sample(self, me: int) -> None:
        with self._lock:
            now = time.perf_counter()
            current = sys._current_frames()  # noqa: SLF001
            threads = [(th, frame) for ident, frame in current.items()
                       if ident != me and (th := self._thread_for(ident, now)) is not None]
            readings = procfs.settled_readings([th.probe for th, _ in threads], self.gil_enabled)
            seen = []
            main_waiting = False
            for (th, frame), reading in zip(threads, readings):
                rec = self._observe(th, frame, now, reading)
                if rec is not None:
                    seen.append((th, rec))
                    if th.is_main and rec[3] in ("lock", "gil"):
                        main_waiting = True
            if not any(th.is_main for th, _ in seen):
                main_waiting = True   # the main thread has returned: the interpreter is joining the others
            # Threads the main thread may be waiting on: busy, and running user code (a pool's own handler
            # threads are not: the main thread's wait is then the user's to act on, e.g. pool.map's chunksize).
            busy = [1 for th, rec in seen
                    if not th.is_main and rec[3] != "lock" and rec[4] != "idle" and th.has_user]
            share = 1.0 / len(busy) if busy else 0.0
            if not busy:
                main_waiting = False   # waiting on nothing we can see here (e.g. worker processes): its own wait
            # With a single thread wanting the GIL, its waits for the GIL were waits for this sampler: gilscope's
            # own cost, not contention. Book them as the running they interrupted.
            contended = sum(1 for _, rec in seen if rec[3] in ("cpu", "gil")) > 1
            for th, (frames_key, line, dwall, state, blocker, cpu_part, off_state) in seen:
                if not contended and off_state[0] == "gil":
                    off_state, blocker = ("cpu", off_state[1], off_state[2]), None
                    if state == "gil":
                        state = "cpu"
                if th.is_main:
                    critical = 0.0 if main_waiting else dwall
                elif main_waiting and state != "lock" and blocker != "idle" and th.has_user:
                    critical = dwall * share
                else:
                    critical = 0.0
                th.critical_ratio = critical / dwall if dwall > 0 else 0.0
                self._add(th, frames_key, line, dwall, state, blocker, cpu_part, off_state, critical, now)
            self.rounds += 1
            # Threads that vanished: close their files. Only threads with open files are looked at, so a
            # program that starts thousands of threads does not pay for all of them every round.
            for ident in [i for i in self.open if i not in current]:
                gone = self.open.pop(ident)
                gone.probe.close()
                gone.probe = None
                self.threads.pop(ident, None)

    @staticmethod
    def _deltas(th, now, reading):
        """Wall seconds since the thread's last sample, and how much of it the thread ran or was runnable."""
        dwall = now - th.last_wall
        th.last_wall = now
        if reading is not None and reading[0] >= 0 and th.last_cpu >= 0:
            on_cpu, runq, os_state, call, slices = reading
            dcpu = min(dwall, (on_cpu - th.last_cpu) / 1e9)
            drun = min(dwall - dcpu, max(0.0, (runq - th.last_runq) / 1e9))
            wakeups = max(0, slices - th.last_slices)
            th.last_cpu, th.last_runq, th.last_slices = on_cpu, runq, slices
        else:
            os_state, call = ("?", "") if reading is None else (reading[2], reading[3])
            dcpu, drun, wakeups = 0.0, 0.0, 0
        return dwall, dcpu, drun, os_state, call, wakeups

    def _observe(self, th, frame, now, reading):
        dwall, dcpu, drun, os_state, call, wakeups = self._deltas(th, now, reading)
        if dwall <= 0:
            return None
        # Walk the stack once: frame indexes, the innermost user frame's line, and context flags.
        key = []
        line = 0
        inner = frame
        code_index = self.code_index
        f = frame
        depth = 0
        handle = None
        seen_flags = 0
        while f is not None and depth < MAX_DEPTH:
            code = f.f_code
            entry = code_index.get(code)
            if entry is None:
                entry = self._register(code)
            key.append(entry[0])
            flags = entry[1]
            seen_flags |= flags
            if flags & (USER | HANDLE_RUN):
                if not line and flags & USER:
                    line = f.f_lineno or 0
                if flags & HANDLE_RUN and handle is None:
                    handle = f
            f = f.f_back
            depth += 1
        inner_flags = code_index[inner.f_code][1]
        running_share = dcpu + drun
        if os_state == "R" and self.gil_enabled:
            run_state = "native"          # running right now although this sampler holds the GIL
        else:
            run_state = "cpu"
        off_state, blocker = self._why_blocked(call, inner, inner_flags | (seen_flags & LOOP), os_state)
        if running_share >= dwall * 0.5 or dcpu < 0:
            state = run_state
        else:
            state = off_state
        if handle is not None:
            self._track_stall(th, (id(handle.f_locals.get("self")), tuple(key)), state, dwall, now)
        elif th.stall_key is not None:
            self._close_stall(th)
        th.last = (tuple(key), line, off_state, blocker)
        th.has_user = bool(seen_flags & USER)
        return tuple(key), line, dwall, state, blocker, running_share, (off_state, run_state, wakeups)

    def finish_thread(self, ident, thread=None) -> None:
        """Book a thread's time since its last sample; called as the thread exits (and for all at stop)."""
        with self._lock:
            now = time.perf_counter()
            th = self.threads.pop(ident, None)   # a new thread reusing the ident gets a record of its own
            if thread is not None:
                self.ended.add(ident)
            if th is None:
                if thread is None:
                    return
                th = self._new_thread(ident, thread, self.t0)
                self.threads.pop(ident, None)
            self.open.pop(ident, None)
            if th.probe is None:
                return
            try:
                self._book_last_interval(th, thread, now)
            finally:
                th.probe.close()
                th.probe = None

    def _book_last_interval(self, th, thread, now) -> None:
        reading = th.probe.read()
        dwall, dcpu, drun, os_state, call, wakeups = self._deltas(th, now, reading)
        if dwall <= 0:
            return
        if th.last is not None:
            key, line, off_state, blocker = th.last
        else:
            code = getattr(getattr(thread, "_target", None), "__code__", None)
            key = (self._register(code)[0],) if code is not None else ()
            line, off_state, blocker = 0, ("gil" if self.gil_enabled else "lock"), "GIL"
            th.critical_ratio = 1.0 if not th.is_main else 0.0
        running = dcpu + drun
        state = "cpu" if running >= dwall * 0.5 else off_state
        self._add(th, key, line, dwall, state, blocker, running, (off_state, "cpu", wakeups),
                  dwall * th.critical_ratio, now)

    def _why_blocked(self, call, inner, inner_flags, os_state):
        """The state and blocking call of a thread that is off the CPU now."""
        if not call and os_state in ("S", "D"):
            call = _guess_syscall(called_name(inner.f_code, inner.f_lasti)[0])
        if call == "futex" or call == "futex_waitv":
            name, lockish = called_name(inner.f_code, inner.f_lasti)
            if inner_flags & SYNC or lockish:
                return "lock", name or "lock"
            if not self.gil_enabled:
                return "lock", name or "futex"
            return "gil", "GIL"
        if call in _SLEEP_CALLS:
            return "io", called_name(inner.f_code, inner.f_lasti)[0] or "sleep"
        if call in _POLL_CALLS:
            if inner_flags & SELECTOR and inner_flags & LOOP:
                return "io", "idle"
            return "io", called_name(inner.f_code, inner.f_lasti)[0] or call
        if call:
            name = called_name(inner.f_code, inner.f_lasti)[0]
            return "io", (f"{name} ({call})" if name else call)
        return "gil", "GIL"

    def _register(self, code):
        flags = code_flags(code)
        entry = (len(self.frames), flags)
        self.frames.append([qualname(code), code.co_filename, code.co_firstlineno, bool(flags & USER)])
        self.code_index[code] = entry
        return entry

    # ---- aggregation --------------------------------------------------------------------------------
    def _add(self, th, frames_key, line, dwall, state, blocker, running_s, off_run, critical, now):
        off_state, run_state, wakeups = off_run
        run_s = min(running_s, dwall)
        off_s = dwall - run_s
        cpu_s = run_s
        # Split the interval: its running part and its blocked part are booked separately.
        parts = []
        if run_s > 0:
            parts.append((run_state, None if run_state != "native" else "native code", run_s, cpu_s))
        if off_s > 0:
            parts.append((off_state, blocker, off_s, 0.0))
        if not parts:
            parts.append((state, blocker, dwall, 0.0))
        for part_state, part_blocker, seconds, cpu in parts:
            k = (th.index, frames_key, line, part_state, part_blocker)
            agg = self.stacks.get(k)
            if agg is None:
                agg = self.stacks[k] = [0, 0.0, 0.0, 0.0, 0.0]
            if part_state in ("io", "lock") and cpu == 0.0:
                # Each time a blocked thread was scheduled in again, one wait ended. An interval that also ran
                # was scheduled in for other reasons too (preemption, the GIL): keep the blocked part's share.
                agg[4] += wakeups * (seconds / dwall)
            agg[0] += 1 if part_state == state else 0
            agg[1] += seconds
            agg[2] += cpu
            agg[3] += critical * (seconds / dwall)
            th.states[part_state] = th.states.get(part_state, 0.0) + seconds
        th.wall += dwall
        th.cpu += cpu_s
        start = now - dwall - self.t0
        segs = th.segments
        if segs and segs[-1][2] == state and abs(segs[-1][1] - start) < 1e-3 + dwall:
            segs[-1][1] = now - self.t0
        else:
            segs.append([start, now - self.t0, state])
            if len(segs) > MAX_SEGMENTS:
                th.segments = _coarsen(segs)

    def _track_stall(self, th, stall_key, state, dwall, now):
        """Consecutive samples inside one asyncio callback that blocks (I/O) or computes are one stall."""
        if state not in ("io", "cpu", "native"):
            if th.stall_key is not None:
                self._close_stall(th)
            return
        if th.stall_key == stall_key:
            th.stall_end = now
            return
        if th.stall_key is not None:
            self._close_stall(th)
        th.stall_key, th.stall_start, th.stall_end, th.stall_state = stall_key, now - dwall, now, state

    def _close_stall(self, th):
        duration = th.stall_end - th.stall_start
        agg = self.stalls.setdefault((th.index, th.stall_key[1], th.stall_state), [0, 0.0, 0.0])
        agg[0] += 1
        agg[1] += duration
        agg[2] = max(agg[2], duration)
        th.stall_key = None

    # ---- output -------------------------------------------------------------------------------------
    def snapshot(self) -> dict:
        with self._lock:
            for th in self.thread_list:
                if th.stall_key is not None:
                    self._close_stall(th)
            return {
                "frames": self.frames,
                "threads": [{
                    "tid": th.tid, "name": th.name, "is_main": th.is_main, "daemon": th.daemon,
                    "wall_s": th.wall, "cpu_s": th.cpu, "states": dict(th.states),
                    "segments": [list(s) for s in th.segments],
                } for th in self.thread_list],
                "stacks": [[k[0], list(reversed(k[1])), k[2], k[3], k[4], *v] for k, v in self.stacks.items()],
                "stalls": [[k[0], list(reversed(k[1])), k[2], *v] for k, v in self.stalls.items()],
                "samples": self.rounds,
                "gil_late_s": self.late_s,
                "gil_late_rounds": self.late_rounds,
                "sampler_cost_s": self.cost_s,
            }


def _coarsen(segments):
    """Halve a timeline by merging neighbours; the longer state of each pair wins."""
    out = []
    for i in range(0, len(segments) - 1, 2):
        a, b = segments[i], segments[i + 1]
        winner = a[2] if (a[1] - a[0]) >= (b[1] - b[0]) else b[2]
        if out and out[-1][2] == winner:
            out[-1][1] = b[1]
        else:
            out.append([a[0], b[1], winner])
    if len(segments) % 2:
        out.append(segments[-1])
    return out


_IO_NAMES = {"sleep": "nanosleep", "recv": "recvfrom", "recv_into": "recvfrom", "read": "read", "readline": "read",
             "accept": "accept", "connect": "connect", "select": "select", "poll": "poll", "communicate": "wait4",
             "wait": "wait4", "sendall": "sendto", "send": "sendto", "urlopen": "recvfrom", "getresponse": "recvfrom"}


def _guess_syscall(name: str) -> str:
    """Without /proc/<tid>/syscall, guess the blocking call from the name the Python code is calling."""
    return _IO_NAMES.get(name.rsplit(".", 1)[-1], "futex")
