"""py-spy raw output: parsing, and three recordings of one run (`--idle`, default, `--gil`) combined."""

from pathlib import Path

import pytest

from gilscope.collect.pyspy_parse import Sample, combine, leaf_wait, parse_raw

RAW = Path(__file__).resolve().parents[2] / "fixtures" / "raw" / "pyspy"
THREADING = "/usr/lib/python3.11/threading.py"
SOURCE = {
    ("/app/app.py", 6): "s += i * i",
    ("/app/app.py", 11): "hashlib.sha256(block).hexdigest()",
    ("/app/app.py", 15): "time.sleep(0.05)",
    ("/app/app.py", 16): "total += 1",
    ("/app/app.py", 20): "main()",
    (THREADING, 1132): "if lock.acquire(block, timeout):",
}


def load(name: str) -> list[Sample]:
    return parse_raw((RAW / f"mixed_{name}.txt").read_text())


@pytest.fixture(scope="module")
def processes():
    return combine(
        load("idle"),
        load("active"),
        load("gil"),
        sample_s=0.01,
        root_pid=100,
        source_line=lambda f, n: SOURCE.get((f, n), ""),
        first_line=lambda fn, f, n: n,
        is_user=lambda f: f.startswith("/app/"),
    )


def thread(data, name):
    return next(t for t in data["threads"] if t["name"] == name)


def stacks(data, name):
    index = next(i for i, t in enumerate(data["threads"]) if t["name"] == name)
    return {(s[3], s[4]): s for s in data["stacks"] if s[0] == index}


# ---- parsing --------------------------------------------------------------------------------------------
def test_parse_process_chain_thread_and_frames():
    (sample,) = [s for s in load("idle") if s.pids == (100, 200)]
    assert sample.cmdline == "python3 -c import a;b gilscope.agent app.py"  # ';' inside the quotes
    assert (sample.tid, sample.thread, sample.count) == (200, "MainThread", 10)
    assert sample.frames[0] == ("<module>", "/app/app.py", 20)
    assert sample.frames[-1] == ("spin", "/app/app.py", 6)


def test_parse_variants():
    text = "\n".join(
        [
            'thread (0x7F01): "Old style";work (x.py:3) 4',
            "thread (12);<module> (<frozen runpy>:88);f (C:\\app\\y.py:7) 2",
            "thread (13) 5",  # a sample with no Python frame
            "fn (z.py) 1",  # no thread frame, no line number
            "not a sample line",
            "",
        ]
    )
    samples = parse_raw(text)
    assert [(s.tid, s.thread, s.count) for s in samples] == [
        (0x7F01, "Old style", 4),
        (12, "", 2),
        (13, "", 5),
        (0, "", 1),
    ]
    assert samples[1].frames == (("<module>", "<frozen runpy>", 88), ("f", "C:\\app\\y.py", 7))
    assert samples[2].frames == ()
    assert samples[3].frames == (("fn", "z.py", 0),)


@pytest.mark.parametrize(
    "function, filename, text, expected",
    [
        ("sleeper", "/app/a.py", "time.sleep(0.05)", ("io", "time.sleep")),
        ("handler", "/app/a.py", "data = conn.recv(4096)", ("io", "conn.recv")),
        ("run", "/app/a.py", "out = proc.wait()", ("io", "proc.wait")),
        ("worker", "/app/a.py", "item = q.get()", ("lock", "q.get")),
        ("main", "/app/a.py", "t.join()", ("lock", "t.join")),
        ("main", "/app/a.py", "with self.lock:", ("lock", "with self.lock")),
        ("main", "/app/a.py", "text = ', '.join(parts)", (None, None)),
        ("Condition.wait", THREADING, "waiter.acquire()", ("lock", "waiter.acquire")),
        (
            "Pool._handle_tasks",
            "/usr/lib/python3.11/multiprocessing/pool.py",
            "for taskseq, set_length in iter(taskqueue.get, None):",
            ("lock", "Pool._handle_tasks"),
        ),
        (
            "EpollSelector.select",
            "/usr/lib/python3.11/selectors.py",
            "fd_event_list = self._selector.poll(timeout)",
            ("io", "idle"),
        ),
        ("hash_many", "/app/a.py", "hashlib.sha256(block).hexdigest()", (None, "hashlib.sha256")),
        ("spin", "/app/a.py", "for i in range(n): s += i", (None, None)),
        ("query", "/app/a.py", "rows = cursor.execute(sql)", (None, "cursor.execute")),
    ],
)
def test_leaf_wait(function, filename, text, expected):
    assert leaf_wait(function, filename, text) == expected


# ---- combining the three recordings ---------------------------------------------------------------------
def test_processes_and_roles(processes):
    assert sorted(processes) == [100, 200]
    assert processes[100]["role"] == "main" and processes[200]["role"] == "pool worker"
    for data in processes.values():
        assert data["engine"] == "pyspy" and data["gil_measured"] is True and data["interval_s"] == 0.01


def test_own_sampler_thread_is_left_out(processes):
    assert "gilscope-sampler" not in {t["name"] for t in processes[100]["threads"]}
    assert not any("sampler.py" in f[1] for f in processes[100]["frames"])


def test_main_thread_join_is_a_lock_wait(processes):
    main = thread(processes[100], "MainThread")
    assert main["is_main"] and main["tid"] == 100
    waits = stacks(processes[100], "MainThread")
    assert waits[("lock", "lock.acquire")][6] == pytest.approx(0.50)
    assert waits[("lock", "lock.acquire")][8] == 0.0  # the main thread waiting is not on the path
    assert waits[("cpu", None)][6] == pytest.approx(0.03)  # seen only with --gil: still booked as cpu


def test_contending_threads_split_into_cpu_and_gil(processes):
    for name in ("Thread-1 (spin)", "Thread-2 (spin)"):
        assert thread(processes[100], name)["states"] == pytest.approx({"cpu": 0.2, "gil": 0.2})


def test_active_without_gil_on_a_native_call_is_native(processes):
    hasher = stacks(processes[100], "hasher")
    assert hasher[("native", "hashlib.sha256")][6] == pytest.approx(0.27)
    assert hasher[("cpu", None)][6] == pytest.approx(0.03)
    assert thread(processes[100], "hasher")["cpu_s"] == pytest.approx(0.30)


def test_idle_goes_to_the_blocking_line(processes):
    sleeper = stacks(processes[100], "sl")
    io = sleeper[("io", "time.sleep")]
    assert io[2] == 15 and io[6] == pytest.approx(0.30) and io[7] == 0.0 and io[5] == 30
    assert sleeper[("cpu", None)][2] == 16 and sleeper[("cpu", None)][6] == pytest.approx(0.02)


def test_frames_and_lines(processes):
    data = processes[100]
    frames = data["frames"]
    user = {f[0] for f in frames if f[3]}
    assert user == {"<module>", "spin", "hash_many", "sleeper"}
    for stack in data["stacks"]:
        innermost_user = [i for i in stack[1] if frames[i][3]]
        assert (stack[2] != 0) == bool(innermost_user)


def test_thread_totals_and_critical_path(processes):
    data = processes[100]
    for t in data["threads"]:
        assert t["wall_s"] == pytest.approx(sum(t["states"].values()))
    assert data["wall_s"] == pytest.approx(thread(data, "MainThread")["wall_s"])
    waited = sum(s[6] for s in data["stacks"] if s[0] == 0 and s[3] in ("lock", "gil"))
    critical_elsewhere = sum(s[8] for s in data["stacks"] if s[0] != 0)
    assert 0 < critical_elsewhere <= waited + 1e-9
    assert data["samples"] == sum(s[5] for s in data["stacks"])


def test_child_process_is_its_own_profile(processes):
    child = processes[200]
    assert [t["name"] for t in child["threads"]] == ["MainThread"]
    assert child["threads"][0]["states"] == pytest.approx({"cpu": 0.1})


# ---- the live recorder (skipped where py-spy cannot attach) ---------------------------------------------
def agent_env(tmp_path):
    import json
    import os

    root = Path(__file__).resolve().parents[3]
    return dict(
        os.environ,
        PYTHONPATH=str(root),
        GILSCOPE_AGENT=json.dumps({"out": str(tmp_path / "agent.json"), "engine": "pyspy"}),
    )


def test_record_live(tmp_path):
    import sys

    from gilscope.collect import pyspy_collector

    script = tmp_path / "nap.py"
    script.write_text("import sys, time\ndef nap():\n    time.sleep(0.3)\nnap()\nsys.exit(3)\n")
    try:
        code, processes = pyspy_collector.record(
            [sys.executable, "-m", "gilscope.agent", str(script)],
            agent_env(tmp_path),
            tmp_path / "spy",
            cwd=str(tmp_path),
        )
    except pyspy_collector.PySpyUnavailable as exc:
        pytest.skip(f"py-spy cannot attach here: {exc}")
    assert code == 3
    (main,) = processes
    assert main["role"] == "main" and main["exit_code"] == 3 and main["argv"] == [str(script)]
    naps = [s for s in main["stacks"] if s[3] == "io" and s[4] == "time.sleep"]
    assert naps and naps[0][2] == 3 and sum(s[6] for s in naps) > 0.15


def test_record_gives_up_before_the_target_runs(tmp_path, monkeypatch):
    import sys

    from gilscope.collect import pyspy_collector

    fake = tmp_path / "py-spy"
    fake.write_text("#!/bin/sh\necho 'Error: Failed to get process executable name.'\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setattr(pyspy_collector, "_pyspy_executable", lambda: str(fake))
    marker = tmp_path / "ran"
    script = tmp_path / "mark.py"
    script.write_text(f"open({str(marker)!r}, 'w').close()\n")
    with pytest.raises(pyspy_collector.PySpyUnavailable, match="executable name"):
        pyspy_collector.record(
            [sys.executable, "-m", "gilscope.agent", str(script)], agent_env(tmp_path), tmp_path / "spy"
        )
    assert not marker.exists()


def _one_path(idle: int, active: int, gil: int, text: str) -> dict:
    line = 'process 100:"python3 -m gzip big";thread (100): MainThread;write (/app/w.py:3) {n}'
    recordings = [parse_raw(line.format(n=n)) if n else [] for n in (idle, active, gil)]
    data = combine(
        *recordings,
        sample_s=0.01,
        root_pid=100,
        source_line=lambda f, n: text,
        first_line=lambda fn, f, n: n,
        is_user=lambda f: f.startswith("/app/"),
    )[100]
    return {(s[3], s[4]): round(s[6], 3) for s in data["stacks"]}


def test_active_without_gil_is_native_even_on_an_io_looking_or_plain_line():
    # gzip: zlib compresses under a write(...) call with the GIL released; py-spy sees it active, not holding it.
    # A thread waiting for the GIL sleeps in a futex, which py-spy reads as idle: active is never a GIL wait.
    assert _one_path(60, 60, 4, "self.fileobj.write(self.compress.compress(data))") == {
        ("cpu", None): 0.04,
        ("native", "self.fileobj.write"): 0.56,
    }
    assert _one_path(50, 50, 0, "total = crunch(block)") == {("native", "crunch"): 0.5}
    assert _one_path(50, 50, 0, "total += 1") == {("native", "native code"): 0.5}
