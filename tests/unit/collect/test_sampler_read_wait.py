"""Time a thread loses to gilscope's own stack read is the sampler's cost, not the program's.

- Free-threaded builds: each read stops the world, and a running thread stands parked while it lasts (tens of
  ms on a busy machine). It was booked as an untraced wait (I/O): a CPU-and-sleep function came out io.
- GIL builds: a thread that waits only for the GIL the sampler holds. It was booked as CPU time: gzip, whose
  Python holds the GIL ~3% of the time, came out cpu on a busy machine (the sampler's holds grow there).

Either way it is booked apart (read_wait_s) in the running state, and the hotspot's shares leave it out."""

import sys
import threading
import time

import pytest

from gilscope.agent.sampler import Sampler
from gilscope.agent.wire import StackRow
from gilscope.analysis.classify import classify
from gilscope.collect.merge import merge

MS = 1_000_000  # ns


def _observed(os_state: str, call: str, stop_world_s: float, gil_enabled: bool = False):
    sampler = Sampler(0.005, gil_enabled=gil_enabled)
    now = time.perf_counter()
    th = sampler._thread_for(threading.get_ident(), now)
    th.last_cpu = th.last_runq = th.last_slices = 0
    th.last_wall = now - 0.030
    sampler.stop_world_s = stop_world_s
    # 30 ms since the last read: 10 ms on a core, 2 ms in the run queue, 18 ms off the CPU
    reading = (10 * MS, 2 * MS, os_state, call, 3)
    rec = sampler._observe(th, sys._getframe(), now, reading, held=True)
    assert rec is not None
    return sampler, th, rec


def test_a_running_thread_parked_by_the_read_was_held_up_for_the_stop():
    _, th, _ = _observed("R", "", stop_world_s=0.012)
    assert th.read_wait_s == pytest.approx(0.012)


def test_the_hold_up_is_at_most_the_intervals_time_off_the_cpu():
    _, th, _ = _observed("R", "", stop_world_s=0.050)
    assert th.read_wait_s == pytest.approx(0.018)


def test_a_thread_blocked_in_a_call_was_not_parked():
    _, th, _ = _observed("S", "clock_nanosleep", stop_world_s=0.012)
    assert th.read_wait_s == 0.0


def test_gil_builds_read_stacks_without_stopping_the_world():
    _, th, _ = _observed("R", "", stop_world_s=0.012, gil_enabled=True)
    assert th.read_wait_s == 0.0


def test_the_hold_up_is_booked_apart_in_the_running_state():
    sampler, th, (key, line, dwall, state, blocker, running, off_run) = _observed("R", "", stop_world_s=0.012)
    sampler._add(th, key, line, dwall, state, blocker, running, off_run, 0.0, time.perf_counter())
    rows = [
        StackRow(k[0], list(k[1]), k[2], k[3], k[4], *v[:5], k[5], v[5], v[6])
        for k, v in sampler.stacks.items()
    ]
    (running,) = [r for r in rows if r.state == "cpu"]
    # 10 ms on a core, 2 ms queued for one, 12 ms held up by the read: no CPU time
    assert running.wall_s == pytest.approx(0.024) and running.cpu_s == pytest.approx(0.010)
    assert running.core_wait_s == pytest.approx(0.002) and running.read_wait_s == pytest.approx(0.012)
    off = [r for r in rows if r.state == "io"]
    assert sum(r.wall_s for r in off) == pytest.approx(0.006)  # the rest of the time off the CPU
    assert sum(r.wall_s for r in rows) == pytest.approx(0.030) and th.read_wait_s == 0.0


def _hotspot_split(read_wait_s: float):
    # handle: 0.6 s on CPU and up to 0.4 s held up by the reads (booked running), 0.6 s asleep
    data = {
        "pid": 1,
        "frames": [["main", "/app/job.py", 1, True], ["handle", "/app/job.py", 10, True]],
        "threads": [
            {"tid": 1, "name": "MainThread", "is_main": True, "daemon": False, "wall_s": 1.6, "cpu_s": 0.6}
        ],
        "stacks": [
            [0, [0, 1], 12, "cpu", None, 100, 1.0, 0.6, 1.0, 0, None, 0.0, read_wait_s],
            [0, [0, 1], 13, "io", "time.sleep", 60, 0.6, 0.0, 0.6, 30, None, 0.0],
        ],
        "wall_s": 1.6,
        "cpu_s": 0.6,
        "interval_s": 0.01,
    }
    (handle,) = [h for h in classify(merge([data], engine="sampler")) if h.function == "handle"]
    return handle


def test_the_hotspots_shares_leave_the_hold_up_out():
    assert _hotspot_split(0.0).kind == "cpu"  # 1.0 of 1.6 s running
    held_up = _hotspot_split(0.4)
    assert held_up.kind == "mixed" and held_up.split.cpu_s == pytest.approx(0.6)  # 0.6 of 1.2 s
