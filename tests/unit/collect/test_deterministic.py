"""The deterministic engines (cProfile, yappi): exact call counts, waits booked on the user's caller with the
blocking call's state, and the call-graph attribution itself on hand-built graphs."""

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from gilscope.agent.callgraph import Graph, build_thread, fill_critical, graph_to_stacks
from gilscope.agent.calls import builtin_name, wait_kind
from gilscope.agent.deterministic import MIXED_THREADS_NOTE, CProfileCollector, YappiCollector, new_data

ROOT = Path(__file__).resolve().parents[3]
STDLIB = os.path.dirname(os.__file__)
HERE = __file__


# ---- tiny workloads (this file is user code: not stdlib, not site-packages, not gilscope) -------------
def tiny(x):
    return x + 1


def caller_of_tiny(n):
    for i in range(n):
        tiny(i)


def napper():
    time.sleep(0.05)


def lock_waiter():
    lock = threading.Lock()
    lock.acquire()
    threading.Timer(0.05, lock.release).start()
    lock.acquire()  # waits until the timer thread releases it


def uses_stdlib():
    import json as json_mod

    json_mod.dumps([{"k": i} for i in range(2000)], indent=1)  # indent: the pure-Python encoder


def frame_index(data, name):
    return next(i for i, f in enumerate(data["frames"]) if f[0] == name and f[3])


def stacks_of(data, name):
    index = frame_index(data, name)
    return [s for s in data["stacks"] if s[1] and s[1][0] == index]


def run(collector, *funcs):
    collector.start()
    try:
        for func in funcs:
            func()
    finally:
        data = collector.stop_and_collect()
    json.dumps(data)  # the session writes it as JSON
    return data


@pytest.fixture(params=["cprofile", "yappi"])
def make(request):
    if request.param == "yappi":
        pytest.importorskip("yappi")
        return lambda: YappiCollector({}, True)
    return lambda: CProfileCollector({}, True)


# ---- live collectors ------------------------------------------------------------------------------------
def test_call_counts_are_exact(make):
    data = run(make(), lambda: caller_of_tiny(1234), lambda: caller_of_tiny(10))
    assert data["calls"][str(frame_index(data, "tiny"))] == 1244
    assert data["calls"][str(frame_index(data, "caller_of_tiny"))] == 2
    assert data["interval_s"] == 0 and data["gil_measured"] is False and data["notes"]


def test_sleep_is_io_on_the_user_caller(make):
    data = run(make(), napper)
    (stack,) = [s for s in stacks_of(data, "napper") if s[3] == "io"]
    assert data["frames"][stack[1][-1]][0] == "time.sleep"
    assert stack[4] == "time.sleep" and stack[5] == 1
    assert 0.04 <= stack[6] < 1.0 and stack[7] == 0.0


def test_lock_wait_is_lock_on_the_user_caller(make, request):
    data = run(make(), lock_waiter)
    if "cprofile" in request.node.name and sys.version_info >= (3, 12):
        # cProfile mixes threads there: the timer thread's calls nest under the main thread's acquire
        assert MIXED_THREADS_NOTE in data["notes"]
        return
    assert MIXED_THREADS_NOTE not in data["notes"]
    waits = [s for s in stacks_of(data, "lock_waiter") if s[3] == "lock"]
    assert [s[4] for s in waits] == ["lock.acquire"]
    assert waits[0][6] >= 0.04


def test_library_python_time_goes_to_the_user_caller(make):
    data = run(make(), uses_stdlib)
    user_time = sum(s[6] for s in stacks_of(data, "uses_stdlib"))
    library_first = [s for s in data["stacks"] if data["frames"][s[1][0]][1].startswith(STDLIB)]
    assert user_time > 0
    assert sum(s[6] for s in library_first) < user_time


def test_main_thread_record(make):
    data = run(make(), napper)
    main = [t for t in data["threads"] if t["is_main"]]
    assert len(main) == 1 and main[0]["tid"] == threading.get_native_id()
    assert main[0]["wall_s"] == pytest.approx(sum(main[0]["states"].values()))
    for stack in data["stacks"]:
        assert stack[3] in ("cpu", "native", "io", "gil", "lock")
        assert 0 <= stack[7] <= stack[6] + 1e-9 and 0 <= stack[8] <= stack[6] + 1e-9


def test_yappi_sees_every_thread_by_name():
    pytest.importorskip("yappi")

    def in_threads():
        workers = [threading.Thread(target=napper, name=f"napper-{i}") for i in range(2)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()

    data = run(YappiCollector({}, True), in_threads)
    names = {t["name"] for t in data["threads"]}
    assert {"napper-0", "napper-1"} <= names
    assert data["calls"][str(frame_index(data, "napper"))] == 2
    sleeps = [s for s in stacks_of(data, "napper") if s[3] == "io"]
    assert sorted(data["threads"][s[0]]["name"] for s in sleeps) == ["napper-0", "napper-1"]
    join = [s for s in data["stacks"] if data["threads"][s[0]]["is_main"] and s[3] == "lock"]
    assert join, "the main thread's join is a lock wait"


def test_cprofile_keeps_multiprocessing_pool_working(tmp_path):
    script = tmp_path / "pool_script.py"
    script.write_text(
        textwrap.dedent("""
        import multiprocessing
        def square(x):
            return x * x
        if __name__ == "__main__":
            with multiprocessing.Pool(2) as pool:
                print(sum(pool.map(square, range(20))))
    """)
    )
    out = tmp_path / "data.json"
    env = dict(
        os.environ, PYTHONPATH=str(ROOT), GILSCOPE_AGENT=json.dumps({"out": str(out), "engine": "cprofile"})
    )
    proc = subprocess.run(
        [sys.executable, "-m", "gilscope.agent", str(script)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "2470"
    data = json.loads(out.read_text())
    if CPROFILE_UNSAFE:
        # 3.13t: cProfile segfaults in getstats() here (CPython gh-116738, fixed in 3.14): the sampler runs instead
        assert data["engine"] == "sampler" and any("gh-116738" in n for n in data["notes"])
    else:
        assert data["engine"] == "cprofile"


# a free-threaded build before 3.14 with the GIL off: cProfile is not thread-safe there (CPython gh-116738)
CPROFILE_UNSAFE = sys.version_info < (3, 14) and not getattr(sys, "_is_gil_enabled", lambda: True)()


# ---- attribution on hand-built graphs (no timing) -------------------------------------------------------
def graph_with(nodes, edges):
    graph = Graph()
    for key, (name, file, builtin, calls, own) in nodes.items():
        graph.node(key, name, file, 1, builtin, calls, own)
    for caller, callee, calls, seconds in edges:
        graph.edge(caller, callee, calls, seconds)
    return graph


def named_stacks(graph):
    data = new_data([])
    stacks = graph_to_stacks(graph, data, {})
    return data, {tuple(data["frames"][i][0] for i in k): v for k, v in stacks.items()}


def test_library_waits_are_split_between_user_callers_by_edge_time():
    lib = os.path.join(STDLIB, "threading.py")
    graph = graph_with(
        {
            "a": ("a", HERE, False, 1, 0.1),
            "b": ("b", HERE, False, 1, 0.0),
            "wait": ("Event.wait", lib, False, 4, 0.0),
            "acq": ("<method 'acquire' of '_thread.lock' objects>", "", True, 4, 2.0),
        },
        [("a", "wait", 3, 0.5), ("b", "wait", 1, 1.5), ("wait", "acq", 4, 2.0)],
    )
    data, stacks = named_stacks(graph)
    assert stacks[("a", "lock.acquire")][:2] == ["lock", "lock.acquire"]
    assert stacks[("a", "lock.acquire")][2] == pytest.approx(0.5)
    assert stacks[("b", "lock.acquire")][2] == pytest.approx(1.5)
    assert stacks[("a",)][:3] == ["cpu", None, 0.1]
    assert data["calls"][str(frame_index(data, "a"))] == 1


def test_library_code_without_user_caller_keeps_its_own_stack():
    lib = os.path.join(STDLIB, "selectors.py")
    graph = graph_with(
        {
            "sel": ("EpollSelector.select", lib, False, 1, 0.01),
            "poll": ("<method 'poll' of 'select.epoll' objects>", "", True, 1, 0.3),
        },
        [("sel", "poll", 1, 0.3)],
    )
    _, stacks = named_stacks(graph)
    assert stacks[("EpollSelector.select", "select.epoll.poll")][:3] == ["io", "select.epoll.poll", 0.3]


def test_python_time_beyond_measured_cpu_is_a_gil_wait_when_threads_ran():
    graph = graph_with({"spin": ("spin", HERE, False, 1, 1.0)}, [])
    data = new_data([])
    stacks = graph_to_stacks(graph, data, {})
    build_thread(data, {"tid": 1, "name": "w", "is_main": False, "daemon": False}, 0.25, stacks, True)
    states = data["threads"][0]["states"]
    assert states["cpu"] == pytest.approx(0.25) and states["gil"] == pytest.approx(0.75)
    data2 = new_data([])
    build_thread(
        data2,
        {"tid": 1, "name": "w", "is_main": True, "daemon": False},
        0.25,
        graph_to_stacks(graph, data2, {}),
        False,
    )
    assert data2["threads"][0]["states"]["io"] == pytest.approx(0.75)


def test_critical_path_goes_to_workers_only_while_main_waits():
    data = new_data([])
    data["frames"] = [
        ["main", HERE, 1, True],
        ["work", HERE, 5, True],
        ["Thread.run", "/lib/threading.py", 9, False],
    ]
    data["threads"] = [{"is_main": True}, {"is_main": False}, {"is_main": False}]
    data["stacks"] = [
        [0, [0], 1, "cpu", None, 1, 1.0, 1.0, 0.0],
        [0, [0], 1, "lock", "t.join", 1, 2.0, 0.0, 0.0],
        [1, [1], 5, "cpu", None, 1, 3.0, 3.0, 0.0],
        [2, [2], 9, "io", "os.read", 1, 3.0, 0.0, 0.0],  # library plumbing: never critical
    ]
    fill_critical(data)
    assert [s[8] for s in data["stacks"]] == [1.0, 0.0, 2.0, 0.0]
    del data["stacks"][2]  # nothing it waits on runs user code: the wait stays on the path
    fill_critical(data)
    assert [s[8] for s in data["stacks"]] == [1.0, 2.0, 0.0]


@pytest.mark.parametrize(
    "label, name",
    [
        ("<built-in method time.sleep>", "time.sleep"),
        ("<method 'acquire' of '_thread.lock' objects>", "lock.acquire"),
        ("<method 'recv' of '_socket.socket' objects>", "socket.recv"),
        ("<built-in method zlib.compress>", "zlib.compress"),
        ("<method 'get' of 'dict' objects>", "dict.get"),
        ("<method 'get' of '_queue.SimpleQueue' objects>", "queue.SimpleQueue.get"),
        ("posix.waitpid", "os.waitpid"),
        ("time.sleep", "time.sleep"),
    ],
)
def test_builtin_names(label, name):
    assert builtin_name(label) == name


@pytest.mark.parametrize(
    "name, kind",
    [
        ("time.sleep", "io"),
        ("socket.recv", "io"),
        ("select.epoll.poll", "io"),
        ("os.waitpid", "io"),
        ("proc.wait", "io"),
        ("lock.acquire", "lock"),
        ("t.join", "lock"),
        ("event.wait", "lock"),
        ("queue.SimpleQueue.get", "lock"),
        ("q.get", "lock"),
        ("zlib.compress", "native"),
        ("hashlib.openssl_sha256", "native"),
        ("hashlib.HASH.update", "native"),
        ("dict.get", None),
        ("str.join", None),
        ("os.path.join", None),
        ("builtins.sorted", None),
        ("len", None),
    ],
)
def test_wait_kinds(name, kind):
    assert wait_kind(name) == kind


def test_source_names_need_a_receiver_for_join():
    assert wait_kind("join", receiver_needed=True) is None
    assert wait_kind("worker.join", receiver_needed=True) == "lock"
