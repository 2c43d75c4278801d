"""A hotspot's kind says what its code does when it has a core: time it spent runnable in the run queue (a
busy machine) is part of its wall time, not of its shares."""

import pytest

from gilscope.analysis import classify
from gilscope.collect.merge import merge
from gilscope.model import Kind

FRAMES = [["<module>", "/p/app.py", 1, True], ["handle", "/p/app.py", 10, True]]


def _handle(core_wait_s: float):
    # handle: 0.9 s booked running (of it core_wait_s waiting for a core), 0.6 s asleep
    stacks = [
        [0, [0, 1], 12, "cpu", None, 90, 0.9, 0.9 - core_wait_s, 0.9, 0, None, core_wait_s],
        [0, [0, 1], 13, "io", "time.sleep", 60, 0.6, 0.0, 0.6, 60],
    ]
    profile = merge(
        [
            {
                "role": "main",
                "pid": 1,
                "frames": FRAMES,
                "threads": [{"tid": 10, "name": "MainThread", "is_main": True, "wall_s": 1.5, "cpu_s": 0.5}],
                "stacks": stacks,
                "wall_s": 1.5,
                "interval_s": 0.005,
                "gil_measured": True,
            }
        ],
        "sampler",
    )
    return next(h for h in classify(profile) if h.function == "handle")


def test_run_queue_wait_does_not_make_a_mixed_function_cpu():
    assert _handle(0.0).kind == Kind.cpu  # 0.9 of 1.5 s running: 0.6, cpu
    busy = _handle(0.4)  # the same run with 0.4 s of it in the run queue: 0.5 s cpu, 0.6 s io
    assert busy.kind == Kind.mixed
    assert busy.wall_s == 1.5 and busy.core_wait_s == 0.4
    assert busy.split.cpu_s == pytest.approx(0.5) and busy.split.io_s == pytest.approx(0.6)
    assert any(e.metric == "core_wait" and e.value == round(0.4 / 1.5, 3) for e in busy.evidence)


def test_no_core_wait_evidence_on_an_idle_machine():
    assert not any(e.metric == "core_wait" for e in _handle(0.0).evidence)
