"""`gilscope attach PID` against real running processes: python -m http.server under a small threaded load client
(loopback only, bounded in time), a process pool, a process that exits during the attach, a PID that is not
Python, and a user who may not trace the process. The remote_exec path (PEP 768) needs CPython 3.14+: Debian
sid's, run through its own loader (see test_other_pythons.py); it is marked skipped where that is absent."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from gilscope.collect.attach import permission_problem
from tests.integration.conftest import _env, hotspots
from tests.integration.test_other_pythons import SID, _sid_wrapper


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
        r.read()
        return r.status


class Load:
    """Four threads requesting the server's page for at most `seconds` (loopback only)."""

    def __init__(self, port: int, seconds: float):
        self.port, self.end, self.count = port, time.monotonic() + seconds, 0
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(4)]

    def _run(self):
        while time.monotonic() < self.end:
            try:
                _get(self.port)
                self.count += 1
            except OSError:
                time.sleep(0.05)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.end = 0
        for t in self.threads:
            t.join(10)


def _start(cmd, tmp_path, env=None, ready_port=None, ready_file=None):
    # files, not pipes: an http.server logs every request to stderr and would block on a full pipe
    proc = subprocess.Popen(
        cmd,
        cwd=tmp_path,
        stdout=open(tmp_path / "out.txt", "w"),
        stderr=open(tmp_path / "err.txt", "w"),
        text=True,
        env={**_env(), **(env or {})},
        start_new_session=True,  # its own process group: _stop ends what it started too (pool workers)
    )
    proc.tmp = tmp_path
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if ready_port is not None:
                _get(ready_port)
            elif ready_file is not None and not ready_file.exists():
                raise OSError
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    pytest.fail(f"{cmd} did not start: {proc.communicate()}")


def _attach(pid, tmp_path, *options, timeout=120, user=None):
    out = tmp_path / "attach.json"
    cmd = [sys.executable, "-m", "gilscope", "attach", str(pid), "-q", "--json", str(out), *options]
    if user is not None:
        cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *cmd]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=_env(), cwd=tmp_path)
    report = json.loads(out.read_text()) if out.exists() else None
    return done, report


def _stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    try:  # a pool's workers outlive a parent ended by SIGTERM, waiting for work forever
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return _output(proc)


def _output(proc):
    return (proc.tmp / "out.txt").read_text(), (proc.tmp / "err.txt").read_text()


@pytest.mark.skipif(
    sys.version_info >= (3, 14),
    reason="on 3.14+ attach starts the agent with sys.remote_exec "
    "(the remote_exec tests cover it) and py-spy 0.4.3 cannot read 3.14+",
)
def test_http_server_under_load_through_py_spy(tmp_path):
    port = _free_port()
    server = _start(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"], tmp_path, ready_port=port
    )
    try:
        with Load(port, 8) as load:
            done, report = _attach(server.pid, tmp_path, "--duration", "2")
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
        assert load.count > 0 and _get(port) == 200  # it kept serving, and still does
        assert report["run"]["engine"] == "pyspy"
        assert report["run"]["python_version"].startswith(f"{sys.version_info[0]}.{sys.version_info[1]}")
        assert any(c.startswith("attached with py-spy from outside") for c in report["caveats"])
        assert any("/task:" in c for c in report["caveats"])  # the outside /proc readings
        assert hotspots(report), report["caveats"]  # `-m http.server`: that module's code
        assert all("http/" in h["file"] or "socketserver" in h["file"] for h in report["hotspots"])
    finally:
        _stop(server)


DETACH = """
import http.server, signal, sys, threading

def report(signum, frame):
    # the server's request threads come and go (the ready probe's may still be ending): only the others count
    names = sorted(t.name for t in threading.enumerate() if "process_request_thread" not in t.name)
    print("threads", names, "handler", signal.getsignal(signal.SIGUSR1).__name__, flush=True)

signal.signal(signal.SIGUSR1, report)
server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), http.server.SimpleHTTPRequestHandler)
print("serving", flush=True)
server.serve_forever()
"""


def _py314(tmp_path_factory, version="3.15"):
    wrapper = _sid_wrapper(tmp_path_factory, version)
    if wrapper is None:
        pytest.skip(f"CPython {version} is not installed here ({SID}: ../shared/tools/pythons.sh setup sid)")
    return str(wrapper)


def test_remote_exec_attach_leaves_threads_signal_handlers_and_stdout_as_they_were(
    tmp_path, tmp_path_factory
):
    python = _py314(tmp_path_factory)
    (tmp_path / "server.py").write_text(DETACH)
    port = _free_port()
    server = _start([python, "server.py", str(port)], tmp_path, ready_port=port)
    try:
        server.send_signal(signal.SIGUSR1)
        with Load(port, 8):
            done, report = _attach(server.pid, tmp_path, "--duration", "2")
        assert done.returncode == 0, done.stderr
        assert report["run"]["engine"] == "sampler" and report["run"]["python_version"].startswith("3.15.")
        assert "remote_exec" not in " ".join(report["caveats"]) and "py-spy" not in " ".join(
            report["caveats"]
        )
        names = {t["name"] for t in report["profile"]["threads"]}
        assert "MainThread" in names and not any(n.startswith("gilscope") for n in names), names
        assert any(h["file"].endswith("server.py") for h in report["hotspots"]), report["hotspots"]
        time.sleep(0.3)
        tasks = {
            open(f"/proc/{server.pid}/task/{t}/comm").read().strip()
            for t in os.listdir(f"/proc/{server.pid}/task")
        }
        assert not any("gilscope" in t for t in tasks), tasks  # no thread of ours outlives the attach
        server.send_signal(signal.SIGUSR1)
        assert _get(port) == 200
    finally:
        out, err = _stop(server)
    lines = [line for line in out.splitlines()]
    assert lines[0] == "serving"
    before, after = [line for line in lines if line.startswith("threads")][:2]
    assert before == after == "threads ['MainThread'] handler report", lines  # nothing printed by gilscope
    assert "gilscope" not in err and "Traceback" not in err


POOL = """
import sys, time
from concurrent.futures import ProcessPoolExecutor

def crunch(n):
    return sum(i * i % 7 for i in range(n))

if __name__ == "__main__":
    with ProcessPoolExecutor(2) as pool:
        open(sys.argv[1], "w").close()
        end = time.monotonic() + 20
        while time.monotonic() < end:
            list(pool.map(crunch, [300_000] * 4))
"""


def test_process_pool_workers_are_followed_with_subprocesses(tmp_path):
    (tmp_path / "pool.py").write_text(POOL)
    ready = tmp_path / "ready"
    proc = _start([sys.executable, "pool.py", str(ready)], tmp_path, ready_file=ready)
    try:
        time.sleep(0.5)
        done, report = _attach(proc.pid, tmp_path, "--duration", "3", "--subprocesses")
        assert done.returncode == 0, done.stderr
        roles = [p["role"] for p in report["profile"]["processes"]]
        assert roles.count("pool worker") >= 1, roles
        spots = hotspots(report)
        assert "crunch" in spots and spots["crunch"]["role"] == "pool worker", report["hotspots"]
        assert spots["crunch"]["kind"] in ("cpu", "mixed")
    finally:
        _stop(proc)


def test_a_process_that_exits_during_the_attach_gives_a_partial_report(tmp_path):
    (tmp_path / "short.py").write_text(
        "import sys, time\nopen(sys.argv[1], 'w').close()\n"
        "def work():\n    end = time.monotonic() + 2\n"
        "    while time.monotonic() < end:\n        sum(range(1000))\nwork()\n"
    )
    ready = tmp_path / "ready"
    proc = _start([sys.executable, "short.py", str(ready)], tmp_path, ready_file=ready)
    done, report = _attach(proc.pid, tmp_path, "--duration", "30")
    proc.wait(10)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and proc.returncode == 0
    assert any("exited during the attach" in c and "partial" in c for c in report["caveats"])
    assert "work" in hotspots(report)


def test_remote_exec_attach_to_a_process_that_exits_gives_a_partial_report(tmp_path, tmp_path_factory):
    python = _py314(tmp_path_factory)
    (tmp_path / "short.py").write_text(
        "import sys, time\nopen(sys.argv[1], 'w').close()\n"
        "def work():\n    end = time.monotonic() + 3\n"
        "    while time.monotonic() < end:\n        sum(range(1000))\nwork()\n"
    )
    ready = tmp_path / "ready"
    proc = _start([python, "short.py", str(ready)], tmp_path, ready_file=ready)
    done, report = _attach(proc.pid, tmp_path, "--duration", "30")
    proc.wait(timeout=10)
    out, err = _output(proc)
    assert done.returncode == 0, done.stderr
    assert proc.returncode == 0 and out == "" and err == ""
    assert report["run"]["engine"] == "sampler"
    assert any("exited during the attach" in c for c in report["caveats"])
    assert "work" in hotspots(report)


def test_remote_debugging_disabled_falls_back_to_py_spy_or_says_why_in_one_line(tmp_path, tmp_path_factory):
    python = _py314(tmp_path_factory, "3.14")
    (tmp_path / "spin.py").write_text("import sys, time\nopen(sys.argv[1], 'w').close()\ntime.sleep(30)\n")
    ready = tmp_path / "ready"
    proc = _start([python, "-X", "disable-remote-debug", "spin.py", str(ready)], tmp_path, ready_file=ready)
    try:
        done, report = _attach(proc.pid, tmp_path, "--duration", "1")
        if done.returncode == 0:
            assert any("remote debugging is disabled" in c for c in report["caveats"])
        else:  # py-spy 0.4.3 (this machine's) cannot read 3.14
            assert done.returncode == 2 and report is None
            lines = done.stderr.strip().splitlines()
            assert (
                len(lines) == 1
                and "remote debugging is disabled in the target (it runs with -X "
                "disable-remote-debug), and py-spy could not read it"
                in lines[0]
            ), lines
        assert proc.poll() is None  # it keeps running
    finally:
        _stop(proc)


def test_a_pid_that_is_not_python_is_refused_in_one_line(tmp_path):
    proc = subprocess.Popen(["sleep", "30"])
    try:
        done, report = _attach(proc.pid, tmp_path, "--duration", "1")
        assert done.returncode == 2 and report is None
        assert done.stderr.strip() == f"gilscope: error: PID {proc.pid} (sleep) is not a Python process"
    finally:
        proc.kill()
        proc.wait()


def test_a_pid_that_does_not_exist_is_refused_in_one_line(tmp_path):
    done, report = _attach(2**22 + 12345, tmp_path, "--duration", "1")
    assert (
        done.returncode == 2
        and done.stderr.strip() == f"gilscope: error: no process with PID {2**22 + 12345}"
    )


@pytest.mark.skipif(
    os.geteuid() != 0 or not os.path.exists("/usr/bin/python3"),
    reason="needs root (setpriv) and a system python3 another user can run",
)
def test_another_users_process_without_cap_sys_ptrace_says_what_to_change(tmp_path):
    """Root without CAP_SYS_PTRACE (as in a default container) against a process of uid 65534."""
    proc = subprocess.Popen(
        [
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "/usr/bin/python3",
            "-c",
            "import time; time.sleep(30)",
        ]
    )
    try:
        time.sleep(0.3)
        out = tmp_path / "attach.json"
        done = subprocess.run(
            [
                "setpriv",
                "--bounding-set=-sys_ptrace",
                sys.executable,
                "-m",
                "gilscope",
                "attach",
                str(proc.pid),
                "-q",
                "--duration",
                "1",
                "--json",
                str(out),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env=_env(),
        )
        assert done.returncode == 2 and not out.exists(), done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "runs as uid 65534" in lines[0] and "--cap-add SYS_PTRACE" in lines[0], (
            lines
        )
    finally:
        proc.kill()
        proc.wait()


STATUS = "Uid:\t{uid}\t{uid}\t{uid}\t{uid}\nCapEff:\t{cap}\n"


@pytest.mark.parametrize(
    "scope, euid, uid, cap, expected",
    [
        (0, 1000, 1000, "0000000000000000", None),
        (3, 0, 0, "000001ffffffffff", "kernel.yama.ptrace_scope=3"),
        (0, 0, 1000, "0000000000000000", "add CAP_SYS_PTRACE to the container"),  # root in a container
        (1, 1000, 1000, "0000000000000000", "sysctl kernel.yama.ptrace_scope=0"),
        (2, 1000, 1000, "0000000000000000", "kernel.yama.ptrace_scope=2"),
        (1, 0, 1000, "000001ffffffffff", None),  # root with CAP_SYS_PTRACE
    ],
)
def test_simulated_ptrace_permission_problems_name_the_fix(scope, euid, uid, cap, expected):
    """SIMULATION: /proc status and Yama's scope are given, not read (this machine has no Yama)."""
    problem = permission_problem(
        1,
        euid=euid,
        status=STATUS.format(uid=uid, cap="0"),
        self_status=STATUS.format(uid=euid, cap=cap),
        scope=scope,
    )
    assert (problem is None) if expected is None else (expected in problem), problem
