"""The sampling thread: every interval it reads each thread's Python stack (sys._current_frames) and its OS
state (/proc), and sorts the interval's time into cpu, native, io, gil and lock.

How one interval of one thread is classified (GIL builds):
- on-CPU time (schedstat) and run-queue wait count as running. While this thread samples it holds the GIL,
  so a thread the OS shows running at that moment runs without the GIL: native. Otherwise it ran holding it.
- off-CPU time goes to what the thread is blocked in right now: a futex inside threading/queue/futures code
  or a call to acquire/join/wait is a lock; a futex anywhere else is a wait for the GIL; sleep, select,
  read, recv and waitpid are I/O.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
import time
import weakref

from gilscope.agent import gcwatch, procfs, sigterm_rescue
from gilscope.agent.calls import POLL_SYSCALLS, SLEEP_SYSCALLS, SYSCALL_OF_CALL, wait_kind
from gilscope.agent.ftsafe import lookup
from gilscope.agent.procfs import cpu_ns
from gilscope.agent.stacks import (
    HANDLE_RUN,
    LOOP,
    NO_LOOPS,
    SELECTOR,
    SYNC,
    USER,
    c_code_at,
    call_at,
    called_name,
    code_flags,
    library_folders,
    qualname,
)
from gilscope.agent.wire import GC_FUNCTION, OBJECT_LOCK, FrameRow, StackRow, StallRow

MAX_DEPTH = 128  # innermost frames kept per stack; deeper recursion is cut at the root side
MAX_SEGMENTS = 4000  # timeline segments per thread before they are coarsened
HELD_S = 0.001  # the sampler waited this long for the GIL after its sleep: some thread held it
HELD_LONG_S = 0.002  # ... this long beyond the switch interval: held by code that could not be interrupted
HELD_EXCESS_S = 0.0005  # a wait past the switch interval counted as uninterruptible C code (below it: noise)
FT_STOP_BUDGET = 20  # free-threaded builds: an interval at least 20x the latest stop-the-world stack read
FT_MAX_INTERVAL_S = 0.05  # ... and at most this long
RUN_FOLDER_CHECK_S = 1.0  # how often the sampler looks whether gilscope's run folder is still there
RUN_OVER_INTERVAL_S = 0.02  # once the run is over: the SIGTERM check's pace alone (sigterm_rescue.GRACE_S)
UNTRACED = "untraced wait"  # off the CPU, not in a call we can name, and longer than any thread held the GIL
# Free-threaded builds: a thread that loses a PyMutex (an object's internal lock, a threading.Lock) spins on
# sched_yield, then parks on a futex, and is scheduled in again each time: thousands of times a second (80k-190k
# for 4 threads sharing one dict, 2 cores), against ~130 for free-running threads.
CONTENDED_SWITCHES_PER_S = 2000


class _Thread:
    __slots__ = (
        "index",
        "ident",
        "tid",
        "name",
        "is_main",
        "daemon",
        "probe",
        "last_cpu",
        "last_runq",
        "last_slices",
        "last_wall",
        "wall",
        "cpu",
        "states",
        "segments",
        "stall_key",
        "stall_start",
        "stall_end",
        "stall_state",
        "last",
        "critical_ratio",
        "target",
        "has_user",
        "frame_ids",
        "lastis",
        "gc_s",
        "stall_ref",
        "stall_seen",
        "stall_gc",
        "clock",
        "read_wait_s",
    )

    def __init__(self, index, ident, tid, name, is_main, daemon, now):
        self.index, self.ident, self.tid, self.name = index, ident, tid, name
        self.is_main, self.daemon = is_main, daemon
        self.probe = procfs.ThreadProbe(tid) if (procfs.AVAILABLE and tid) else None
        reading = self.probe.read() if self.probe else None
        self.last_cpu: int = reading[0] if reading else -1
        self.last_runq: int = reading[1] if reading else -1
        self.last_slices: int = reading[4] if reading else -1
        self.last_wall = now
        self.wall = self.cpu = 0.0
        self.states: dict[str, float] = {}
        self.segments: list = []
        self.stall_key = None
        self.stall_start = self.stall_end = 0.0
        self.stall_state = ""
        self.last = None  # (frames key, line, off_state, blocker) of the latest sample
        self.critical_ratio = 0.0  # share of its latest interval that was on the program's critical path
        self.target = None  # the Thread's target function, to book a thread never sampled
        self.has_user = False  # the latest sample had user code on the stack
        self.clock = procfs.cpu_clock(tid) if tid else 0  # its CPU-time clock (up to date, unlike schedstat)
        self.frame_ids: list = []  # id() of each frame of the latest sample, innermost first (new calls)
        self.lastis: list = []  # their f_lasti
        self.gc_s = 0.0  # seconds this thread had spent collecting garbage at its latest sample
        self.stall_ref = None  # weak reference to the asyncio Handle of the callback being watched
        self.stall_seen = 0  # consecutive samples inside it
        self.stall_gc = 0.0  # collecting garbage at its first sighting (gc_s), to take out of the stall
        self.read_wait_s = 0.0  # of its latest interval, the time it was held up by this sampler's read


class Sampler(threading.Thread):
    def __init__(self, interval: float, gil_enabled: bool, run_folder: str | None = None):
        super().__init__(name="gilscope-sampler", daemon=True)
        # gilscope's folder for this run's data: it removes it once it has reported the run. A process that
        # outlives that (a pool's worker orphaned by a crash, a daemon the program started) stops sampling,
        # rather than keep costing CPU and memory for data that nobody will read.
        self.run_folder = run_folder
        self.run_over = False
        self.last_round_s = 0.0  # wall time of the latest round (it holds the GIL throughout on GIL builds)
        library_folders()  # here, before the target runs: see there
        self.interval = interval
        self.gil_enabled = gil_enabled
        self.t0 = time.perf_counter()
        # Thread.native_id of the thread that forked a process is the parent's (CPython keeps it after fork):
        # the thread creating the sampler (a fork's only thread) gives its own.
        self._native_ids = {threading.get_ident(): threading.get_native_id()}
        self._stop_event = threading.Event()
        self.warm = threading.Event()  # set after the first round (free-threaded builds: see run())
        self._lock = threading.Lock()  # guards the aggregates against a concurrent snapshot
        self.threads: dict[int, _Thread] = {}  # live threads by ident (an ended thread's ident may be reused)
        self.ended: set[int] = set()  # idents whose thread ran its exit hook but may still show
        self.open: dict[int, _Thread] = {}  # threads whose /proc files are open (alive, as far as we know)
        self.thread_list: list[_Thread] = []
        self.code_index: dict = {}  # code object -> (frame index, flags)
        self.frames: list[FrameRow] = []
        self.frame_flags: list = []  # stacks.py flags of each frame's code
        # (thread, frames, line, state, blocker) -> [samples, wall, cpu, critical, waits]
        self.stacks: dict = {}
        self.stalls: dict = {}  # (thread, frames, state) -> [count, total_s, max_s]
        self.rounds = 0
        self.slots = 0  # sampling intervals covered: what the report counts as samples
        self.last_round = self.t0
        self.invocations: dict = {}  # frame index -> separate calls of it seen running
        self.switch_s = sys.getswitchinterval()
        self.gil_wait_s = 0.0  # time the sampler waited for the GIL after its sleeps
        self.held_rounds = 0  # rounds in which it waited HELD_S or more
        self.held_long_s = 0.0  # waits beyond the switch interval: uninterruptible holds
        self.gc = gcwatch.WATCH
        self.late_s = 0.0  # total delay in getting the GIL back after each sleep
        self.late_rounds = 0  # rounds that waited more than 1 ms for it
        self.cost_s = 0.0  # time spent sampling, i.e. gilscope's own overhead
        # The process's CPU time and this sampler's own at the last round: what else the process ran in an
        # interval, besides its Python threads, was C code's own threads (a BLAS pool, a codec's workers).
        self.process_cpu: float | None = None
        self.own_cpu = 0.0
        self.stop_world_s = 0.0  # wall time of the latest sys._current_frames()
        self.register_s = 0.0  # CPU time this round spent on code objects seen for the first time

    # ---- thread bookkeeping -------------------------------------------------------------------------
    def _thread_for(self, ident, now):
        th = lookup(self.threads, ident)
        if th is None:
            obj = lookup(threading._active, ident)  # the only map from ident to native id and name
            if obj is None and ident in self.ended:
                return None  # past its exit hook (its time is booked), not yet gone
            self.ended.discard(ident)
            th = self._new_thread(ident, obj, now)
        return th

    def _new_thread(self, ident, obj, now):
        tid = lookup(self._native_ids, ident) or getattr(obj, "native_id", None) or 0
        name = obj.name if obj is not None else f"thread-{ident}"
        is_main = obj is threading.main_thread() if obj is not None else False
        th = _Thread(
            len(self.thread_list), ident, tid, name, is_main, bool(getattr(obj, "daemon", False)), now
        )
        self.threads[ident] = th
        if th.probe is not None:
            self.open[ident] = th
        self.thread_list.append(th)
        return th

    def stop(self) -> None:
        self._stop_event.set()

    def run(self) -> None:
        procfs.block_signals()
        if not self.gil_enabled:
            # Free-threaded builds (3.13t): a thread's first look-up in a dict another thread created waits while
            # that thread runs (60 ms and more, once per dict; writes, lists, sets and attributes do not): one
            # stack read in a whole run was seen. This thread reads its own dicts; other threads only write them.
            with self._lock:
                self._native_ids, self.threads, self.open = (
                    dict(self._native_ids),
                    dict(self.threads),
                    dict(self.open),
                )
                self.code_index, self.stacks, self.stalls = (
                    dict(self.code_index),
                    dict(self.stacks),
                    dict(self.stalls),
                )
                self.invocations = dict(self.invocations)
                # gc.callbacks only write these from the collecting thread; this thread reads them every round
                self.gc.by_thread, self.gc._started = dict(self.gc.by_thread), dict(self.gc._started)
            # The first look-up of a dict by a thread other than its owner marks it shared, and waits (60 ms and
            # more, 3.13t) while the owner thread runs. Collectors wait for this thread's first round, so that it
            # meets the module-level dicts it reads while the main thread is still blocked, not running the target.
            lookup(procfs.SYSCALLS, 0), lookup(SYSCALL_OF_CALL, ""), lookup(threading._active, 0)
        me = threading.get_ident()
        interval = self.interval
        perf, own_cpu = time.perf_counter, time.thread_time
        # The sampler's own voluntary context switches tell whether it waited for the GIL at all after its sleep
        # (a round has one for the sleep, more when it blocked on the GIL): "some thread held the GIL when the
        # sampler asked", an unbiased point sample however short the wait. (The sampler gets the GIL only when a
        # thread lets go of it, so what it sees then is biased towards release points: a thread writing many
        # small chunks is found in write() every time, though it held the GIL nearly all of the time.)
        # Its schedstat says how long: of the time its sleep overran, what it spent runnable or running is the
        # machine's doing; the rest it spent blocked, waiting for the GIL.
        own = procfs.ThreadProbe(threading.get_native_id()) if procfs.AVAILABLE and self.gil_enabled else None
        switches = procfs.SwitchCounter(threading.get_native_id()) if own is not None else None
        mark = own.read() if own is not None else None
        blocked = switches.read() if switches is not None else -1
        last_cost = 0.0
        next_check = perf() + RUN_FOLDER_CHECK_S
        while not self._stop_event.is_set():
            before = perf()
            time.sleep(interval)
            if self.run_folder is not None and before >= next_check and not self.run_over:
                next_check = before + RUN_FOLDER_CHECK_S
                if not os.path.isdir(self.run_folder):
                    self._drop_data()
            if self.run_over:
                sigterm_rescue.check()
                interval = RUN_OVER_INTERVAL_S
                continue
            # CPU time now, as this thread has the GIL: a thread that gains CPU time before the round's readings
            # ran without the GIL (it is this sampler's), whatever it is doing by then.
            early = (
                ({ident: cpu_ns(th.clock) for ident, th in self.open.items()}, perf())
                if own is not None
                else None
            )
            late = perf() - before - interval
            if switches is not None:
                now_blocked = switches.read()
                waited = blocked >= 0 and now_blocked - blocked >= 2
                blocked = now_blocked
            else:
                waited = None
            gil_wait = 0.0
            if late > 0:
                self.late_s += late
                if late > 0.001:
                    self.late_rounds += 1
                now_mark = own.read() if own is not None else None
                if now_mark is not None and mark is not None and now_mark[0] >= 0:
                    scheduled = (now_mark[0] - mark[0] + now_mark[1] - mark[1]) / 1e9
                    gil_wait = max(0.0, late - max(0.0, scheduled))
                mark = now_mark
            if waited is not None:
                gil_wait = max(gil_wait, HELD_S) if waited else 0.0
            cpu_before = own_cpu()
            sigterm_rescue.check()
            round_start = perf()
            self.sample(me, gil_wait, early)
            self.last_round_s = perf() - round_start
            if not self.warm.is_set():
                self.warm.set()
            spent = own_cpu() - cpu_before
            self.cost_s += spent
            # Keep the sampler below ~5% of one core, whatever the thread count. CPU time, not wall time:
            # the wall time of a round includes waits for the GIL, which cost the target nothing. Reading
            # the bytecode of code objects seen for the first time is a one-off, not the round's running cost.
            # So is one dear round (new threads' files to open, a collection's aftermath): the cheaper of the
            # last two rounds sets the pace, or one 50 ms round would stop the reads for a second.
            cost = spent - self.register_s
            interval = max(self.interval, min(cost, last_cost) * 20)
            last_cost = cost
            self.register_s = 0.0
            if not self.gil_enabled:
                # Without a GIL, sys._current_frames() stops the world: every thread halts at its next safe
                # point until the last one (perhaps preempted by the OS) gets there, 3-6 ms with 4 busy
                # threads on 2 cores. Stop it no more than 5% of the time, but read stacks 20 times a second
                # at least (a short run would get none); /proc still splits each interval.
                interval = max(interval, min(self.stop_world_s * FT_STOP_BUDGET, FT_MAX_INTERVAL_S))
            if own is not None:
                mark = own.read()
        if own is not None:
            own.close()
        if switches is not None:
            switches.close()

    def _drop_data(self) -> None:
        """The run is over (its folder is gone): stop sampling and let go of what was gathered."""
        with self._lock:
            self.run_over = True
            self.stacks, self.stalls, self.invocations = {}, {}, {}
            for th in self.open.values():
                if th.probe is not None:
                    th.probe.close()
                    th.probe = None
                th.segments = []
            self.open = {}

    # ---- one round ----------------------------------------------------------------------------------
    def sample(self, me: int, gil_wait: float = 0.0, early=None) -> None:
        """One round. `gil_wait`: how long this thread waited for the GIL after its sleep (0 when it got it
        at once: at that moment no thread held it, so threads that ran then ran without it). `early`: each
        thread's on-CPU ns read as soon as this thread had the GIL back."""
        early, early_at = early or ({}, 0.0)
        # No collection in this thread while it holds its lock: a collection runs the program's finalizers here
        # (multiprocessing's Finalize joins threads, whose exit hook waits for this lock: the run hung). The
        # round's allocations are collected later, in whichever thread allocates next.
        collecting = gc.isenabled()
        if collecting:
            gc.disable()
        try:
            self._sample(me, gil_wait, early, early_at)
        finally:
            if collecting:
                gc.enable()

    def _sample(self, me: int, gil_wait: float, early: dict, early_at: float) -> None:
        with self._lock:
            now = time.perf_counter()
            # Intervals covered since the start, not rounded round by round: the gaps between rounds are long on
            # free-threaded builds (see run()), and rounding each lost up to half an interval.
            self.slots = max(self.slots + 1, round((now - self.t0) / self.interval))
            self.last_round = now
            held = gil_wait >= HELD_S
            held_long = gil_wait - self.switch_s >= HELD_LONG_S
            if held:
                self.gil_wait_s += gil_wait
                self.held_rounds += 1
                if held_long:
                    self.held_long_s += gil_wait - self.switch_s
            before_frames = time.perf_counter()
            current = sys._current_frames()
            self.stop_world_s = time.perf_counter() - before_frames
            threads = [
                (th, frame)
                for ident, frame in current.items()
                if ident != me and (th := self._thread_for(ident, now)) is not None
            ]
            gap = time.perf_counter() - early_at
            ran = {th.ident: cpu_ns(th.clock) - early[th.ident] for th, _ in threads if th.ident in early}
            readings = procfs.settled_readings([th.probe for th, _ in threads], self.gil_enabled)
            seen = []
            main_waiting = False
            for (th, frame), reading in zip(threads, readings):
                ran_free = early.get(th.ident, -1) >= 0 and ran.get(th.ident, 0) >= 0.5e9 * gap > 0
                rec = self._observe(
                    th,
                    frame,
                    now,
                    reading,
                    held or not self.gil_enabled,
                    held_long,
                    ran_free,
                    max(0.0, gil_wait - self.switch_s) if held else 0.0,
                )
                if rec is not None:
                    seen.append((th, rec))
                    if th.is_main and rec[3] in ("lock", "gil"):
                        main_waiting = True
            if not any(th.is_main for th, _ in seen):
                main_waiting = True  # the main thread has returned: the interpreter is joining the others
            # Threads the main thread may be waiting on: busy, and running user code (a pool's own handler
            # threads are not: the main thread's wait is then the user's to act on, e.g. pool.map's chunksize).
            busy = [
                1
                for th, rec in seen
                if not th.is_main
                and (rec[3] != "lock" or rec[4] == OBJECT_LOCK)
                and rec[4] != "idle"
                and th.has_user
            ]
            share = 1.0 / len(busy) if busy else 0.0
            if not busy:
                main_waiting = (
                    False  # waiting on nothing we can see here (e.g. worker processes): its own wait
                )
            # With a single thread wanting the GIL, its waits for the GIL were waits for this sampler: gilscope's
            # own cost, not contention. Book them as the running they interrupted.
            contended = sum(1 for _, rec in seen if rec[3] in ("cpu", "gil")) > 1
            # The GIL was held this round by the threads that ran holding it (and by this sampler, briefly):
            # nobody waited for it longer than that. A longer futex wait was a wait on something else.
            runners = [rec for _, rec in seen if rec[5] >= 0.5 * rec[2]]
            if held and len(runners) == 1 and runners[0][6][1] == "native" and self.gil_enabled:
                # The sampler waited for the GIL and one thread ran: that thread held it, even if it still
                # shows runnable (on a busy machine it may wait for a core on its way to wait for the GIL).
                rec = runners[0]
                runners[0] = rec[:6] + ((rec[6][0], "cpu", rec[6][2], "", *rec[6][4:]),)
                seen = [(th, runners[0] if r is rec else r) for th, r in seen]
                if rec[3] == "native":
                    seen = [(th, r[:3] + ("cpu",) + r[4:] if r is runners[0] else r) for th, r in seen]
            held_by = {th.index: (rec[5] if rec[6][1] == "cpu" else 0.0) for th, rec in seen}
            held_total = sum(held_by.values()) + gil_wait + 0.001
            helpers_cpu = self._helper_threads_cpu(seen, readings)
            native_running = {th.index: max(0.0, r[5] - r[6][7]) for th, r in seen if r[6][1] == "native"}
            native_total = helpers_cpu + sum(native_running.values())
            for th, (frames_key, line, dwall, state, blocker, cpu_part, off_state) in seen:
                if contended:  # the sampler waited its turn among threads: that says nothing of C code
                    off_state = (*off_state[:5], 0.0, "", *off_state[7:])
                if not contended and off_state[0] == "gil":
                    # Off the CPU now only for the GIL this sampler holds. Blocked in a call at the last sample:
                    # the interval's off-CPU time was the end of that call (a sleep's tail). Else it was running.
                    resumed = off_state[8]
                    now_state, blocker = resumed if resumed is not None else ("cpu", None)
                    if resumed is None:
                        # Its wait for this sampler's GIL: gilscope's cost, not the program's. At most as long as
                        # the sampler held it (this round so far, and the last one's end): the rest of the time
                        # off the CPU was something the reads did not see (a whole short sleep), running as before.
                        held_s = self.last_round_s + (now - early_at if early_at else 0.0)
                        th.read_wait_s = min(dwall - min(cpu_part, dwall), held_s)
                    off_state = (now_state, *off_state[1:])
                    if state == "gil":
                        state = now_state
                elif off_state[0] == "gil" and self.gil_enabled:
                    waited = dwall - min(cpu_part, dwall)
                    if held_total - held_by[th.index] < 0.5 * waited:
                        native_elsewhere = native_total - native_running.get(th.index, 0.0)
                        if native_elsewhere >= 0.5 * waited > 0:
                            # Meanwhile the process ran C code without the GIL, in threads that run no Python
                            # or in others inside C calls: it waited in C code on that work (numpy's matmul
                            # on a BLAS pool, or on the library's lock while another thread's call runs).
                            # Native work, not I/O.
                            frame = next(f for t, f in threads if t is th)
                            call = call_at(frame.f_code, frame.f_lasti)
                            now_state, blocker = "native", call or "native code"
                        else:
                            now_state, blocker = "io", UNTRACED
                        off_state = (now_state, *off_state[1:])
                        if state == "gil":
                            state = now_state
                if th.is_main:
                    critical = 0.0 if main_waiting else dwall
                elif (
                    main_waiting
                    and (state != "lock" or blocker == OBJECT_LOCK)
                    and blocker != "idle"
                    and th.has_user
                ):
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
                if gone.probe is not None:
                    gone.probe.close()
                    gone.probe = None
                self.threads.pop(ident, None)

    def _helper_threads_cpu(self, seen, readings) -> float:
        """CPU seconds the process spent since the last round in threads that run no Python code: its CPU time
        less that of its Python threads (from their schedstat) and of this sampler. 0 when not measured."""
        process_cpu, own_cpu = time.process_time(), time.thread_time()
        last, self.process_cpu = self.process_cpu, process_cpu
        own_since, self.own_cpu = own_cpu - self.own_cpu, own_cpu
        if last is None or not procfs.AVAILABLE or any(r is None or r[0] < 0 for r in readings):
            return 0.0
        python_cpu = sum(max(0.0, rec[5] - rec[6][7]) for _, rec in seen)  # running less run-queue time
        return max(0.0, process_cpu - last - python_cpu - own_since)

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

    def _observe(self, th, frame, now, reading, held=True, held_long=False, ran_free=False, excess=0.0):
        """`excess`: how much longer than the switch interval the sampler waited for the GIL: the thread that
        held it then ran that long without passing a point where it could hand it over (C code)."""
        dwall, dcpu, drun, os_state, call, wakeups = self._deltas(th, now, reading)
        if dwall <= 0:
            return None
        if not self.gil_enabled and os_state == "R":
            # Running again after this read stopped the world: it stood parked while the read lasted (tens of
            # ms on a busy machine, waiting for the last thread to get a core). gilscope's cost, not a wait of
            # the program's own (an untraced wait, I/O).
            th.read_wait_s = max(0.0, min(self.stop_world_s, dwall - dcpu - drun))
        # Walk the stack once: frame indexes, the innermost user frame's line, and context flags.
        key = []
        ids = []
        lastis = []
        line = 0
        inner = frame
        code_index = self.code_index
        f = frame
        depth = 0
        handle = None
        user_frame = None
        seen_flags = 0
        if f.f_code is _GC_HOOK and f.f_back is not None:  # inside our gc.callbacks hook: not the program
            f = inner = f.f_back
        while f is not None and depth < MAX_DEPTH:
            code = f.f_code
            entry = code_index.get(code)  # (only this thread writes it: its values are this thread's own)
            if entry is None:
                entry = self._register(code)
            key.append(entry[0])
            ids.append(id(f))
            lastis.append(f.f_lasti)
            flags = entry[1]
            seen_flags |= flags
            if flags & (USER | HANDLE_RUN):
                if not line and flags & USER:
                    line = f.f_lineno or 0
                    user_frame = f
                if flags & HANDLE_RUN and handle is None:
                    handle = f
            f = f.f_back
            depth += 1
        inner_flags = code_index[inner.f_code][1]
        self._count_calls(th, key, ids, lastis)
        running_share = dcpu + drun
        off_state, blocker = self._why_blocked(call, inner, inner_flags | (seen_flags & LOOP), os_state)
        c_code = ""
        hold = (0.0, "")
        if self.gil_enabled and held and off_state == "gil":
            # Waiting for the GIL right after it let go: a call it stopped on has returned, and ran holding it.
            # A long hold by a thread that itself waited for a core says nothing about C code: the machine
            # was busy.
            c_code = c_code_at(inner.f_code, inner.f_lasti, False)
            if excess >= HELD_EXCESS_S and drun < 0.2 * dwall:  # (sample() drops it in a contended round)
                hold = (excess, c_code_at(inner.f_code, inner.f_lasti, True))
        elif not self.gil_enabled and running_share >= dwall * 0.5:
            # No GIL: the world stopped for this read with the thread in a C call (C code that would release the
            # GIL runs on, detached, and is found in it), or at a safe point of bytecode: a loop's jump, a call's
            # return. A call it is in is its C code; the bias, as with the GIL, is towards calls.
            c_code = c_code_at(inner.f_code, inner.f_lasti, False)
        if c_code and user_frame is not None and user_frame is not inner:
            # Named as the user's own code calls it: json.dumps, not the encoder's _iterencode under it.
            c_code = (
                call_at(user_frame.f_code, user_frame.f_lasti)
                or called_name(user_frame.f_code, user_frame.f_lasti)[0]
                or c_code
            )
        if not self.gil_enabled:
            run_state = "cpu"
        elif os_state == "R" or ran_free:
            run_state = "native"  # running (or it ran) while this sampler held the GIL: without it
        elif not held and off_state == "gil":
            # No thread held the GIL when the sampler woke (an unbiased moment): this one, which ran in the
            # interval and now waits for the GIL, was running without it then.
            run_state = "native"
        else:
            run_state = "cpu"
        if run_state == "native":  # the call it runs (or ran) without the GIL: zlib.compress, fp.write
            c_code = call_at(inner.f_code, inner.f_lasti) or "native code"
        gc_s = max(0.0, self.gc.seconds_in(th.ident, now) - th.gc_s)
        th.gc_s += gc_s
        if running_share >= dwall * 0.5 or dcpu < 0:
            state = run_state
        else:
            state = off_state
        if not self.gil_enabled and wakeups >= CONTENDED_SWITCHES_PER_S * dwall:
            # Scheduled in thousands of times a second: it queued on a mutex for the interval, spinning or
            # parked. Not in a blocking call (I/O wakes a thread as often), so on a lock: the threading lock
            # it acquires, or else the internal lock of an object its line uses.
            name, lockish = called_name(inner.f_code, inner.f_lasti)
            if (off_state != "io" or blocker == UNTRACED) and wait_kind(name) != "io":
                blocker = (name or "lock") if inner_flags & SYNC or lockish else OBJECT_LOCK
                state = off_state = run_state = "lock"
        key_now = tuple(key)
        if handle is not None:
            self._track_stall(th, lookup(handle.f_locals, "self"), key_now, state, dwall, now)
        elif th.stall_key is not None:
            self._close_stall(th)
        # Blocked in a call at the last sample, in the same function: if it is not now, that call ended in this
        # interval (see sample()). In another function it has run code since, and the call is not this one's.
        prev = th.last
        resumed = (
            (prev[2], prev[3])
            if prev is not None and prev[2] in ("io", "lock") and prev[0] == key_now
            else None
        )
        th.last = (key_now, line, off_state, blocker)
        th.has_user = bool(seen_flags & USER)
        return (
            key_now,
            line,
            dwall,
            state,
            blocker,
            running_share,
            (off_state, run_state, wakeups, c_code, gc_s, *hold, drun, resumed),
        )

    def _count_calls(self, th, key, ids, lastis) -> None:
        """Frames not on the thread's previous sample are new calls. A frame object's id can be reused by the
        next call at the same depth, so for code without loops an instruction pointer that went back counts
        too; calls missed either way make the count a lower bound."""
        prev_ids, prev_lastis = th.frame_ids, th.lastis
        prev_key = th.last[0] if th.last is not None else ()
        n, m = len(ids), len(prev_ids)
        if len(prev_key) != m:
            m = 0
        flags = self.frame_flags
        same = 0
        while (
            same < n
            and same < m
            and ids[n - 1 - same] == prev_ids[m - 1 - same]
            and key[n - 1 - same] == prev_key[m - 1 - same]
        ):
            i = n - 1 - same
            if lastis[i] < prev_lastis[m - 1 - same] and flags[key[i]] & NO_LOOPS:
                break
            same += 1
        invocations = self.invocations
        for i in range(n - same):
            invocations[key[i]] = invocations.get(key[i], 0) + 1
        th.frame_ids, th.lastis = ids, lastis

    def finish_all(self) -> None:
        """At stop: book every live thread's last interval, and the whole life of each live thread no round saw.
        A thread that started between the last two rounds, or while this sampler waited for the GIL for most
        of a short run (two threads in Python code starve it), would otherwise be missing from the report."""
        seen = list(self.threads)
        for ident in seen:
            self.finish_thread(ident)
        own = (self.ident, sigterm_rescue.watcher_ident())
        for thread in threading.enumerate():
            live = thread.ident
            if live is None or live in own or live in seen or live in self.ended:
                continue
            self.finish_thread(live, thread)

    def finish_thread(self, ident, thread=None) -> None:
        """Book a thread's time since its last sample; called as the thread exits (and for all at stop)."""
        with self._lock:
            now = time.perf_counter()
            th = self.threads.pop(ident, None)  # a new thread reusing the ident gets a record of its own
            if thread is not None:
                self.ended.add(ident)
            if th is None:
                if thread is None:
                    return
                # Never sampled: it lived between two rounds. Its whole life's CPU and run-queue time (schedstat
                # counts from its start) is what to book; when it started is not known, so nothing more.
                th = self._new_thread(ident, thread, now)
                self.threads.pop(ident, None)
                if th.last_cpu >= 0:
                    th.last_wall = now - (th.last_cpu + th.last_runq) / 1e9
                    th.last_cpu = th.last_runq = th.last_slices = 0
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
            target = getattr(thread, "_target", None)
            code = getattr(target, "__code__", None) or getattr(
                getattr(target, "__func__", None), "__code__", None
            )
            if code is None and thread is not None and type(thread).run is not threading.Thread.run:
                code = type(thread).run.__code__
            key = (self._register(code)[0],) if code is not None else ()
            line, off_state, blocker = 0, ("gil" if self.gil_enabled else "lock"), "GIL"
            th.critical_ratio = 1.0 if not th.is_main else 0.0
        running = dcpu + drun
        state = "cpu" if running >= dwall * 0.5 else off_state
        self._add(
            th,
            key,
            line,
            dwall,
            state,
            blocker,
            running,
            (off_state, "cpu", wakeups, "", 0.0, 0.0, "", drun, None),
            dwall * th.critical_ratio,
            now,
        )

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
        if call in SLEEP_SYSCALLS:
            return "io", called_name(inner.f_code, inner.f_lasti)[0] or "sleep"
        if call in POLL_SYSCALLS:
            if inner_flags & SELECTOR and inner_flags & LOOP:
                return "io", "idle"
            return "io", called_name(inner.f_code, inner.f_lasti)[0] or call
        if call:
            name = called_name(inner.f_code, inner.f_lasti)[0]
            return "io", (f"{name} ({call})" if name else call)
        if not self.gil_enabled:
            return "io", UNTRACED  # off the CPU in no call we could read: no GIL to have waited for
        return "gil", "GIL"

    def _register(self, code):
        started = time.thread_time()
        flags = code_flags(code)
        self.register_s += time.thread_time() - started
        entry = (len(self.frames), flags)
        self.frames.append(
            FrameRow(qualname(code), code.co_filename, code.co_firstlineno, bool(flags & USER))
        )
        self.frame_flags.append(flags)
        self.code_index[code] = entry
        return entry

    # ---- aggregation --------------------------------------------------------------------------------
    def _add(self, th, frames_key, line, dwall, state, blocker, running_s, off_run, critical, now):
        off_state, run_state, wakeups, c_code, gc_s, hold_s, hold_code, queued_s, _resumed = off_run
        run_s = min(running_s, dwall)
        off_s = dwall - run_s
        # Of the running time, the run-queue wait: runnable, waiting for a core. It is booked with the running
        # state (the thread wanted the CPU) but is no CPU time, and it is kept apart (queued) so that the kind
        # says what the code does when it has a core, not how busy the machine was.
        queued_s = min(queued_s, run_s) if run_s > 0 else 0.0
        on_cpu_share = 1.0 - queued_s / run_s if run_s > 0 else 1.0
        cpu_s = run_s - queued_s
        # Split the interval: its running part and its blocked part are booked separately; a collection's
        # time (it holds the GIL) apart from the code that triggered it.
        # Held up by this sampler's read: the running it interrupted, apart, so that the kind can leave it out.
        read_wait_s = min(th.read_wait_s, off_s)
        th.read_wait_s = 0.0
        off_s -= read_wait_s
        # (state, blocker, C code, seconds, running, held up by the read)
        parts: list[tuple[str, str | None, str | None, float, float, float]] = []
        gc_s = min(gc_s, run_s) if self.gil_enabled or run_state == "cpu" else 0.0
        if gc_s > 0:
            parts.append(("cpu", None, GC_FUNCTION, gc_s, gc_s, 0.0))
            run_s -= gc_s
        hold_s = min(hold_s, run_s) if run_state == "cpu" else 0.0
        if hold_s > 0:  # it could not hand the GIL over for this long: C code, not bytecode
            parts.append(("cpu", None, hold_code or "C code", hold_s, hold_s, 0.0))
            run_s -= hold_s
        if run_s > 0:
            native = run_state == "native"
            if run_state == "lock":  # spinning on a mutex: its CPU time bought no progress
                parts.append(("lock", blocker, None, run_s, run_s, 0.0))
            elif native:  # (blocker: the call it ran without the GIL; c_code: C code it ran holding it)
                parts.append((run_state, c_code or "native code", None, run_s, run_s, 0.0))
            else:
                parts.append((run_state, None, c_code or None, run_s, run_s, 0.0))
        if read_wait_s > 0:
            parts.append(("cpu", None, None, read_wait_s, 0.0, read_wait_s))
        if off_s > 0:
            parts.append((off_state, blocker, None, off_s, 0.0, 0.0))
        if not parts:
            parts.append((state, blocker, None, dwall, 0.0, 0.0))
        for part_state, part_blocker, part_c, seconds, running, held_up in parts:
            k = (th.index, frames_key, line, part_state, part_blocker, part_c)
            agg = lookup(self.stacks, k)
            if agg is None:
                agg = self.stacks[k] = [0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
            agg[6] += held_up
            cpu = running * on_cpu_share
            agg[5] += running - cpu
            if part_state in ("io", "lock") and running == 0.0:
                # Each time a blocked thread was scheduled in again, one wait ended. An interval that also ran
                # was scheduled in for other reasons too (preemption, the GIL): keep the blocked part's share.
                agg[4] += wakeups * (seconds / dwall)
            agg[0] += 1 if part_state == state else 0
            agg[1] += seconds
            agg[2] += cpu
            agg[3] += critical * (seconds / dwall)
            th.states[part_state] = lookup(th.states, part_state, 0.0) + seconds
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

    def _track_stall(self, th, handle, key, state, dwall, now):
        """Consecutive samples inside one asyncio callback that blocks (I/O) or computes are one stall.

        One callback is one Handle object (held weakly: an id could be reused by the next callback). A callback
        seen by one sample only may have lasted any time up to the interval, so a stall counts from its second
        sighting, for the time between the first and the last; garbage collection inside it is not its own."""
        if state not in ("io", "cpu", "native"):
            if th.stall_key is not None:
                self._close_stall(th)
            return
        if (
            th.stall_key == key
            and th.stall_ref is not None
            and handle is not None
            and th.stall_ref() is handle
        ):
            th.stall_end = now
            th.stall_seen += 1
            return
        if th.stall_key is not None:
            self._close_stall(th)
        try:
            ref = weakref.ref(handle)
        except TypeError:
            return
        th.stall_key, th.stall_ref, th.stall_seen = key, ref, 1
        th.stall_start = th.stall_end = now
        th.stall_state = state
        th.stall_gc = th.gc_s

    def _close_stall(self, th):
        seen, key = th.stall_seen, th.stall_key
        th.stall_key = th.stall_ref = None
        if seen < 2:
            return
        duration = max(0.0, th.stall_end - th.stall_start - (th.gc_s - th.stall_gc))
        if duration <= 0:
            return
        stall = (th.index, key, th.stall_state)
        agg = lookup(self.stalls, stall)
        if agg is None:
            agg = self.stalls[stall] = [0, 0.0, 0.0]
        agg[0] += 1
        agg[1] += duration
        agg[2] = max(agg[2], duration)

    # ---- output -------------------------------------------------------------------------------------
    def snapshot(self) -> dict:
        with self._lock:
            for th in self.thread_list:
                if th.stall_key is not None:
                    self._close_stall(th)
            return {
                "frames": self.frames,
                "threads": [
                    {
                        "tid": th.tid,
                        "name": th.name,
                        "is_main": th.is_main,
                        "daemon": th.daemon,
                        "wall_s": th.wall,
                        "cpu_s": th.cpu,
                        "states": dict(th.states),
                        "segments": [list(s) for s in th.segments],
                    }
                    for th in self.thread_list
                ],
                # keys (thread, frames innermost first, line, state, blocker, C code), values [samples, wall,
                # cpu, critical, waits, queued, held up by the read]
                "stacks": [
                    StackRow(
                        k[0],
                        list(reversed(k[1])),
                        k[2],
                        k[3],
                        k[4],
                        v[0],
                        v[1],
                        v[2],
                        v[3],
                        v[4],
                        k[5],
                        v[5],
                        v[6],
                    )
                    for k, v in self.stacks.items()
                ],
                "stalls": [StallRow(k[0], list(reversed(k[1])), k[2], *v) for k, v in self.stalls.items()],
                # the tail since the last round is booked too (finish_thread): count its intervals
                "samples": max(self.slots, round((time.perf_counter() - self.t0) / self.interval)),
                "rounds": self.rounds,
                "invocations": {str(k): v for k, v in self.invocations.items()},
                "gil_wait_s": self.gil_wait_s,
                "gil_held_rounds": self.held_rounds,
                "gil_held_long_s": self.held_long_s,
                "gil_late_s": self.late_s,
                "gil_late_rounds": self.late_rounds,
                "sampler_cost_s": self.cost_s,
            }


_GC_HOOK = gcwatch.GcWatch.__call__.__code__


def _coarsen(segments):
    """Halve a timeline by merging neighbours; the longer state of each pair wins."""
    out: list = []
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


def _guess_syscall(name: str) -> str:
    """Without /proc/<tid>/syscall, guess the blocking call from the name the Python code is calling."""
    return lookup(SYSCALL_OF_CALL, name.rsplit(".", 1)[-1], "futex")
