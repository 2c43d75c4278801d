"""Report.parallelism: how many cores the threads with work used against how many they could, and what held them
back, from the per-thread summaries."""

from gilscope.analysis.threads import parallelism
from gilscope.model import RunInfo, ThreadSummary, TimeSplit
from gilscope.model.common import Role


def _run(cpu_s, wall_s=10.0, cores=2):
    return RunInfo(
        argv=["t.py"],
        python_version="3.13.0",
        gil_enabled=True,
        free_threaded_build=False,
        cpu_count=cores,
        wall_s=wall_s,
        cpu_s=cpu_s,
        exit_code=0,
        engine="sampler",
    )


def _thread(name, shared_s=0.0, **split):
    s = TimeSplit(**split)
    return ThreadSummary(
        name=name,
        tid=1,
        role=Role.worker_thread,
        wall_s=s.total_s,
        cpu_s=s.cpu_s,
        split=s,
        shared_object_s=shared_s,
    )


def test_threads_queuing_for_the_gil_use_one_core_of_two():
    threads = [_thread("main", io_s=10.0)] + [_thread(f"w{i}", cpu_s=2.5, gil_s=7.5) for i in range(4)]
    p = parallelism(threads, _run(cpu_s=10.0))
    assert (p.threads, p.cores_possible, p.cores_used, p.held_back_by) == (4, 2, 1.0, "gil")


def test_threads_on_a_shared_object_are_working_threads_held_back_by_it():
    threads = [_thread(f"w{i}", shared_s=9.0, cpu_s=1.0, lock_s=9.0) for i in range(4)]
    p = parallelism(threads, _run(cpu_s=11.0))
    assert (p.threads, p.held_back_by) == (4, "shared-object")


def test_threads_that_scale_are_not_held_back():
    threads = [_thread(f"w{i}", cpu_s=5.0) for i in range(4)]
    p = parallelism(threads, _run(cpu_s=19.0))
    assert (p.cores_possible, p.held_back_by) == (2, "")


def test_a_busy_machine_is_named_before_the_program():
    threads = [_thread(f"w{i}", cpu_s=2.5, gil_s=7.5) for i in range(4)]
    assert parallelism(threads, _run(cpu_s=8.0), machine_busy=True).held_back_by == "other-processes"


def test_idle_threads_have_no_work():
    threads = [_thread("main", cpu_s=9.0, io_s=1.0), _thread("watchdog", io_s=10.0)]
    p = parallelism(threads, _run(cpu_s=9.0))
    assert (p.threads, p.cores_possible, p.held_back_by) == (1, 1, "")
