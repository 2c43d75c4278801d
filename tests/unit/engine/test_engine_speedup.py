"""speedup.estimate: Amdahl's law per strategy, with the numbers and assumptions stated."""

from dataclasses import replace

import pytest

from gilscope.engine.speedup import (
    IO_POOL_WORKERS,
    STARTUP_S,
    THREAD_POOL_S,
    amdahl,
    estimate,
    rounds,
)
from gilscope.model import Facts, Strategy

S = Strategy


def test_amdahl():
    assert amdahl(0.5, 2) == pytest.approx(1 / 0.75)
    assert amdahl(1.0, 4) == pytest.approx(4)
    assert amdahl(0.0, 8) == 1.0
    assert amdahl(0.5, 2, overhead=1.0) == 1.0  # never below 1


def test_multiprocessing_on_cpu_uses_all_cores():
    speedup = estimate(S.multiprocessing, Facts(kind="cpu", share_of_wall=0.62, cpu_count=8))
    assert speedup.factor == pytest.approx(1 / (0.38 + 0.62 / 8), abs=0.01)
    assert speedup.formula == "1 / ((1 - 0.62) + 0.62 / 8) = 2.19"
    assert any("62%" in a and "8 workers" in a for a in speedup.assumptions)
    assert any("pickling costs ignored" in a for a in speedup.assumptions)


def test_threads_already_running_cap_the_workers():
    speedup = estimate(S.multiprocessing, Facts(kind="gil", share_of_wall=0.8, cpu_count=16, threads=4))
    assert speedup.factor == pytest.approx(1 / (0.2 + 0.8 / 4), abs=0.01)
    assert "/ 4)" in speedup.formula


def test_per_task_cost_is_stated_and_subtracted():
    plain = estimate(S.multiprocessing, Facts(kind="cpu", share_of_wall=0.8, cpu_count=4))
    costly = estimate(
        S.multiprocessing, Facts(kind="cpu", share_of_wall=0.8, cpu_count=4, tasks=1000, run_wall_s=2.0)
    )
    assert costly.factor < plain.factor
    assert "+ 0.214" in costly.formula  # pool start 10 ms + 1 ms per worker + 1000 x 200 µs
    assert any("1000 tasks" in a and "200 µs" in a for a in costly.assumptions)


def test_one_core_gives_no_speedup_but_never_below_one():
    assert estimate(S.multiprocessing, Facts(kind="cpu", share_of_wall=0.9, cpu_count=1)).factor == 1.0


def test_free_threading_states_its_assumption():
    speedup = estimate(S.free_threading, Facts(kind="cpu", share_of_wall=0.5, cpu_count=2))
    assert speedup.factor == pytest.approx(1 / 0.75, abs=0.01)
    assert any("re-enables the GIL" in a for a in speedup.assumptions)


def test_threads_on_native_use_the_native_part():
    speedup = estimate(S.threads, Facts(kind="native", share_of_wall=0.8, native_share=0.5, cpu_count=4))
    assert speedup.factor == pytest.approx(1 / (0.6 + 0.4 / 4), abs=0.01)


def test_io_overlap_is_capped():
    few = estimate(S.threads, Facts(kind="io", share_of_wall=0.9, io_share=1.0, waits=5))
    many = estimate(S.asyncio, Facts(kind="io", share_of_wall=0.9, io_share=1.0, waits=10_000))
    assert few.factor == pytest.approx(1 / (0.1 + 0.9 / 5), abs=0.01)
    assert "/ 32)" in many.formula  # at most 32 waits at once
    unmeasured = estimate(S.threads, Facts(kind="io", share_of_wall=0.5, waits=2))
    assert any("not measured" in a for a in unmeasured.assumptions)


def test_io_waits_overlap_in_rounds_of_the_pool_size():
    assert rounds(30, 10) == (3, 10.0)
    assert rounds(34, 10) == (3, 10.0)  # a few extra wake-ups are not a new round
    assert rounds(24, 10) == (3, 8.0)
    assert rounds(7, 10) == (1, 7.0)
    assert rounds(0, 10) == (1, 1.0)
    facts = Facts(kind="io", share_of_wall=1.0, io_share=1.0, waits=30, run_wall_s=1.2)
    speedup = estimate(S.threads, facts)  # 10 threads: 3 rounds of 0.04 s
    before, after = 1.2 + STARTUP_S, STARTUP_S + 1.2 / IO_POOL_WORKERS + THREAD_POOL_S
    assert speedup.factor == pytest.approx(before / after, abs=0.01)
    assert estimate(S.threads, facts, concurrency=30).factor > speedup.factor
    assert any("3 round(s)" in a for a in speedup.assumptions)


def test_offload_uses_the_loop_stall():
    speedup = estimate(
        S.offload, Facts(kind="io", loop_stall_s=1.0, loop_stalls=10, run_wall_s=2.0, cpu_count=1)
    )
    # asyncio's default executor has min(32, 1 + 4) = 5 threads: 10 stalls take 2 rounds
    assert speedup.factor == pytest.approx((2.0 + STARTUP_S) / (2.0 + STARTUP_S - 1.0 + 1.0 / 5), abs=0.01)
    assert estimate(S.offload, Facts(kind="io", loop_stall_s=1.0)) is None  # no run time known


def test_lock_scope_with_a_measured_holder_overlaps_its_work():
    io = Facts(
        kind="lock",
        share_of_wall=0.5,
        lock_share=0.8,
        threads=4,
        lock_held_share=1.0,
        lock_held_kind="io",
        run_wall_s=1.2,
    )
    assert estimate(S.lock_scope, io).factor == pytest.approx((1.2 + STARTUP_S) / (STARTUP_S + 0.3), abs=0.01)
    cpu = replace(io, lock_held_kind="cpu")
    assert estimate(S.lock_scope, cpu).factor == 1.0


def test_busy_machine_shrinks_the_parallel_gain():
    quiet = estimate(
        S.multiprocessing, Facts(kind="cpu", share_of_wall=1.0, cpu_count=2, process_cpu_cores=0.99)
    )
    busy = estimate(
        S.multiprocessing, Facts(kind="cpu", share_of_wall=1.0, cpu_count=2, process_cpu_cores=0.5)
    )
    assert quiet.factor == pytest.approx(2.0)
    # the run got half a core: 3 other busy tasks on 2 cores, so 2 workers get 2 * 4 / 5 = 1.6 of what one had
    assert busy.factor == pytest.approx(1.6) and any("other processes" in a for a in busy.assumptions)


def test_cython_is_an_assumed_factor_on_the_python_part():
    speedup = estimate(S.cython, Facts(kind="cpu", share_of_wall=0.5, python_share=1.0))
    assert speedup.factor == pytest.approx(1 / (0.5 + 0.05), abs=0.01)
    assert any(a.startswith("assumption:") for a in speedup.assumptions)


def test_batching_removes_ipc_share_or_assumed_task_cost():
    assert estimate(S.batching, Facts(ipc_share=0.5)).formula == "1 / (1 - 0.50) = 2.00"
    assumed = estimate(S.batching, Facts(tasks=70_000, run_wall_s=1.0))
    assert assumed.factor == pytest.approx((1.0 + STARTUP_S) / (STARTUP_S + 0.01 + 0.011), abs=0.05)
    assert any("capped" in a for a in assumed.assumptions)
    assert estimate(S.batching, Facts()) is None


def test_lock_scope_assumes_half_the_waiting_goes():
    speedup = estimate(S.lock_scope, Facts(kind="lock", share_of_wall=0.8, lock_share=1.0))
    assert speedup.factor == pytest.approx(1 / 0.6, abs=0.01)


@pytest.mark.parametrize(
    ("strategy", "facts"),
    [
        (S.none, Facts(kind="cpu", share_of_wall=0.9)),
        (S.multiprocessing, Facts(kind="io", share_of_wall=0.9)),
        (S.threads, Facts(kind="cpu", share_of_wall=0.9)),
        (S.multiprocessing, Facts(kind="cpu", share_of_wall=0.0, cpu_count=8)),
    ],
)
def test_no_estimate_when_it_does_not_apply(strategy, facts):
    assert estimate(strategy, facts) is None
