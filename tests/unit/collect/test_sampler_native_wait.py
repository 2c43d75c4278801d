"""A thread off the CPU in a futex that no GIL holder explains waited in C code on something else. When the
process ran C code without the GIL meanwhile (threads that run no Python, a BLAS pool; or other threads inside
C calls), that wait is native work (numpy's matmul in threads), not I/O; otherwise it stays an untraced wait."""

import threading

import pytest

from gilscope.agent import procfs
from gilscope.agent import sampler as sampler_module
from gilscope.agent.sampler import UNTRACED, Sampler

DWALL = 0.02


@pytest.fixture
def parked_threads():
    release = threading.Event()
    threads = [threading.Thread(target=release.wait, name=name) for name in ("waiter-1", "waiter-2", "other")]
    for thread in threads:
        thread.start()
    yield
    release.set()
    for thread in threads:
        thread.join()


def _record(state, run_state, running_s):
    off = (state if state != "native" else "gil", run_state, 0, "", 0.0, 0.0, "", 0.0, None)
    return ((0,), 1, DWALL, state, "GIL" if state == "gil" else None, running_s, off)


def _round(monkeypatch, other_runs_native: bool, helpers_cpu: float) -> dict:
    """One round with two threads waiting in a futex and a third running native code or waiting too."""
    sampler = Sampler(0.005, gil_enabled=True)

    def observe(th, frame, now, reading, *flags):
        if th.name.startswith("waiter"):
            return _record("gil", "native", 0.0)
        if th.name == "other":
            return _record("native", "native", DWALL) if other_runs_native else _record("gil", "native", 0.0)
        return None  # the test's own threads: not part of the round

    monkeypatch.setattr(sampler, "_observe", observe)
    monkeypatch.setattr(sampler, "_helper_threads_cpu", lambda seen, readings: helpers_cpu)
    monkeypatch.setattr(procfs, "settled_readings", lambda probes, gil: [(0, 0, "S", "", 0)] * len(probes))
    sampler._sample(threading.get_ident(), 0.0, {}, 0.0)
    by_name = {th.index: th.name for th in sampler.thread_list}
    booked: dict = {}
    for key, value in sampler.stacks.items():
        booked.setdefault(by_name[key[0]], {})[(key[3], key[4])] = value[1]
    return booked


def test_a_wait_while_another_thread_runs_native_code_is_native(monkeypatch, parked_threads):
    booked = _round(monkeypatch, other_runs_native=True, helpers_cpu=0.0)
    # named by the call the thread is in (here the Event's lock, as the real frame of the parked thread shows)
    assert booked["waiter-1"] == {("native", "waiter.acquire"): pytest.approx(DWALL)}
    assert booked["other"] == {("native", "native code"): pytest.approx(DWALL)}


def test_a_wait_while_threads_that_run_no_python_use_the_cpu_is_native(monkeypatch, parked_threads):
    booked = _round(monkeypatch, other_runs_native=False, helpers_cpu=0.015)
    assert set(booked["waiter-2"]) == {("native", "waiter.acquire")}


def test_a_wait_with_no_native_work_anywhere_stays_untraced(monkeypatch, parked_threads):
    booked = _round(monkeypatch, other_runs_native=False, helpers_cpu=0.0)
    assert booked["waiter-1"] == {("io", UNTRACED): pytest.approx(DWALL)}


def test_helper_threads_cpu_is_the_process_cpu_its_python_threads_and_the_sampler_did_not_use(monkeypatch):
    sampler = Sampler(0.005, gil_enabled=True)
    clock = {"process": 1.0, "thread": 0.1}
    monkeypatch.setattr(sampler_module.time, "process_time", lambda: clock["process"])
    monkeypatch.setattr(sampler_module.time, "thread_time", lambda: clock["thread"])
    monkeypatch.setattr(procfs, "AVAILABLE", True)
    reading = [(0, 0, "S", "", 0)]
    assert sampler._helper_threads_cpu([], reading) == 0.0  # the first round: nothing to compare with
    clock["process"], clock["thread"] = 1.05, 0.11  # 50 ms of process CPU, 10 of them the sampler's
    python_thread = (None, _record("native", "native", 0.015))  # 15 ms on a core
    assert sampler._helper_threads_cpu([python_thread], reading) == pytest.approx(0.025)
    clock["process"] += 0.01
    assert sampler._helper_threads_cpu([], [None]) == 0.0  # a thread's reading missing: not measured
