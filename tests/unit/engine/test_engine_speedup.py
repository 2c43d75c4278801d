"""speedup.estimate: Amdahl's law per strategy, with the numbers and assumptions stated."""
import pytest

from gilscope.engine.speedup import IO_OVERLAP_CAP, amdahl, estimate
from gilscope.model import Facts, Strategy

S = Strategy


def test_amdahl():
    assert amdahl(0.5, 2) == pytest.approx(1 / 0.75)
    assert amdahl(1.0, 4) == pytest.approx(4)
    assert amdahl(0.0, 8) == 1.0
    assert amdahl(0.5, 2, overhead=1.0) == 1.0      # never below 1


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
    costly = estimate(S.multiprocessing, Facts(kind="cpu", share_of_wall=0.8, cpu_count=4, tasks=1000, run_wall_s=2.0))
    assert costly.factor < plain.factor
    assert "+ 0.100" in costly.formula
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
    assert f"/ {IO_OVERLAP_CAP})" in many.formula
    unmeasured = estimate(S.threads, Facts(kind="io", share_of_wall=0.5, waits=2))
    assert any("not measured" in a for a in unmeasured.assumptions)


def test_offload_uses_the_loop_stall():
    speedup = estimate(S.offload, Facts(kind="io", loop_stall_s=1.0, loop_stalls=10, run_wall_s=2.0))
    assert speedup.factor == pytest.approx(1 / (0.5 + 0.5 / 10), abs=0.01)
    assert estimate(S.offload, Facts(kind="io", loop_stall_s=1.0)) is None      # no run time known


def test_cython_is_an_assumed_factor_on_the_python_part():
    speedup = estimate(S.cython, Facts(kind="cpu", share_of_wall=0.5, python_share=1.0))
    assert speedup.factor == pytest.approx(1 / (0.5 + 0.05), abs=0.01)
    assert any(a.startswith("assumption:") for a in speedup.assumptions)


def test_batching_removes_ipc_share_or_assumed_task_cost():
    assert estimate(S.batching, Facts(ipc_share=0.5)).formula == "1 / (1 - 0.50) = 2.00"
    assumed = estimate(S.batching, Facts(tasks=70_000, run_wall_s=1.0))
    assert assumed.factor == pytest.approx(10.0)
    assert any("capped" in a for a in assumed.assumptions)
    assert estimate(S.batching, Facts()) is None


def test_lock_scope_assumes_half_the_waiting_goes():
    speedup = estimate(S.lock_scope, Facts(kind="lock", share_of_wall=0.8, lock_share=1.0))
    assert speedup.factor == pytest.approx(1 / 0.6, abs=0.01)


@pytest.mark.parametrize(("strategy", "facts"), [
    (S.none, Facts(kind="cpu", share_of_wall=0.9)),
    (S.multiprocessing, Facts(kind="io", share_of_wall=0.9)),
    (S.threads, Facts(kind="cpu", share_of_wall=0.9)),
    (S.multiprocessing, Facts(kind="cpu", share_of_wall=0.0, cpu_count=8)),
])
def test_no_estimate_when_it_does_not_apply(strategy, facts):
    assert estimate(strategy, facts) is None
