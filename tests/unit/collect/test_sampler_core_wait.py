"""An interval's run-queue wait (runnable, waiting for a core) is booked with the running state but as no CPU
time, and kept apart, so the hotspot's shares can leave it out (analysis/classify.py)."""

import threading
import time

import pytest

from gilscope.agent.sampler import Sampler
from gilscope.agent.wire import StackRow


def _booked(queued_s: float) -> tuple[Sampler, object]:
    sampler = Sampler(0.005, gil_enabled=True)
    now = time.perf_counter()
    th = sampler._thread_for(threading.get_ident(), now)
    # 10 ms: 8 ms running or runnable (of it `queued_s` in the run queue), 2 ms asleep
    off_run = ("io", "cpu", 0, "", 0.0, 0.0, "", queued_s, None)
    sampler._add(th, (0,), 5, 0.010, "cpu", "time.sleep", 0.008, off_run, 0.0, now)
    return sampler, th


def test_run_queue_wait_is_running_time_without_cpu():
    sampler, th = _booked(queued_s=0.003)
    running = next(v for k, v in sampler.stacks.items() if k[3] == "cpu")
    asleep = next(v for k, v in sampler.stacks.items() if k[3] == "io")
    assert running[1] == pytest.approx(0.008)  # wall: the thread wanted the CPU
    assert running[2] == pytest.approx(0.005)  # cpu: on a core
    assert running[5] == pytest.approx(0.003)  # core wait
    assert asleep[1] == pytest.approx(0.002) and asleep[2] == 0.0 and asleep[5] == 0.0
    assert th.cpu == pytest.approx(0.005) and th.wall == pytest.approx(0.010)


def test_no_run_queue_wait_books_all_running_time_as_cpu():
    sampler, th = _booked(queued_s=0.0)
    running = next(v for k, v in sampler.stacks.items() if k[3] == "cpu")
    assert running[2] == pytest.approx(0.008) and running[5] == 0.0
    assert th.cpu == pytest.approx(0.008)


def test_stack_rows_carry_the_core_wait():
    row = StackRow(0, [0], 5, "cpu", None, 1, 0.008, 0.005, 0.0, 0, None, 0.003)
    assert row.core_wait_s == 0.003
    assert StackRow(*row[:11]).core_wait_s == 0.0  # an older agent's row
