"""Roles and pools from hand-built profiles: GS701 sees only worker processes, never a thread pool, and a
hotspot that only daemon threads ran is a daemon thread's (GS202 and GS203 skip it)."""

from gilscope.analysis import classify
from gilscope.analysis.facts import hotspot_facts, ipc_share, run_facts
from gilscope.analysis.threads import summarize_threads
from gilscope.collect.merge import merge
from gilscope.engine import evaluate_rules, load_rules
from gilscope.model import RunInfo
from gilscope.model.common import Role

POOL_PY = "/usr/lib/python3.11/multiprocessing/pool.py"
FRAMES = [
    ["<module>", "/p/app.py", 1, True],
    ["worker", POOL_PY, 100, False],
    ["square", "/p/app.py", 5, True],
    ["Pool.map", POOL_PY, 360, False],
    ["_bootstrap", "/usr/lib/python3.11/threading.py", 990, False],
]
# A task loop that spends most of its time outside the task (square): receiving, unpickling, waiting to be fed.
# The main thread waits on the pool all along, so the loop's time is on the critical path.
LOOP = [[[1], 0, "lock", "recv", 80, 0.8, 0.0, 0.8, 0], [[1, 2], 6, "cpu", None, 20, 0.2, 0.2, 0.2, 0]]
MAIN = [0, [0, 3], 2, "lock", "Pool.map", 100, 1.0, 0.0, 0.0, 0]


def _thread(tid, name, **flags):
    return {"tid": tid, "name": name, "wall_s": 1.0, "cpu_s": 0.2, **flags}


def _process_pool():
    main = {
        "role": "main",
        "pid": 1,
        "frames": FRAMES,
        "threads": [_thread(1, "MainThread", is_main=True)],
        "stacks": [MAIN],
        "wall_s": 1.0,
        "interval_s": 0.01,
        "gil_measured": True,
    }
    worker = {
        "role": "pool worker",
        "pid": 2,
        "frames": FRAMES,
        "threads": [_thread(2, "MainThread")],
        "stacks": [[0, *stack] for stack in LOOP],
        "wall_s": 1.0,
    }
    return merge([main, worker], "sampler")


def _thread_pool(in_a_worker_process: bool):
    """multiprocessing.pool.ThreadPool: the same task loop in daemon threads (here or in a child)."""
    threads = [_thread(1, "MainThread", is_main=True)] + [
        _thread(10 + i, f"Thread-{i + 1} (worker)", daemon=True) for i in range(2)
    ]
    loops = [[t, [4, *stack[0]], *stack[1:]] for t in (1, 2) for stack in LOOP]
    main = {
        "role": "main",
        "pid": 1,
        "frames": FRAMES,
        "threads": threads,
        "stacks": [MAIN] + loops,
        "wall_s": 1.0,
        "interval_s": 0.01,
        "gil_measured": True,
    }
    if not in_a_worker_process:
        return merge([main], "sampler")
    # A multiprocessing.Process child (which the agent calls a pool worker) running a ThreadPool
    child = {
        "role": "pool worker",
        "pid": 2,
        "frames": FRAMES,
        "threads": threads,
        "stacks": loops,
        "wall_s": 1.0,
    }
    return merge([{**main, "threads": threads[:1], "stacks": [MAIN]}, child], "sampler")


def _run():
    return RunInfo(
        argv=["app.py"],
        python_version="3.11.7",
        gil_enabled=True,
        free_threaded_build=False,
        cpu_count=4,
        wall_s=1.0,
        cpu_s=0.4,
        exit_code=0,
        engine="sampler",
        samples=200,
    )


def _gs701(profile):
    run, threads = _run(), summarize_threads(profile)
    facts = [run_facts(run, profile, threads)] + [
        hotspot_facts(h, run, profile, threads) for h in classify(profile)
    ]
    rule = [r for r in load_rules() if r.id == "GS701"]
    return evaluate_rules(rule, facts)


def test_a_process_pool_fed_tiny_tasks_fires_gs701_with_measured_numbers_only():
    profile = _process_pool()
    assert profile.processes[1].role is Role.pool_worker
    assert ipc_share(profile) == 0.8
    findings = _gs701(profile)
    assert findings and {f.message for f in findings} == {
        "worker processes spent 80% of their task loops receiving, unpickling and waiting for tasks instead of "
        "running them"
    }


def test_a_thread_pool_never_fires_gs701():
    for in_child in (False, True):
        profile = _thread_pool(in_child)
        assert ipc_share(profile) == 0.0
        assert _gs701(profile) == []


def test_a_hotspot_only_daemon_threads_ran_is_a_daemon_threads():
    profile = _thread_pool(False)
    roles = {h.function: h.role for h in classify(profile)}
    assert roles["square"] is Role.daemon_thread
    assert {t.name: t.role for t in summarize_threads(profile)}["Thread-1 (worker)"] is Role.daemon_thread
