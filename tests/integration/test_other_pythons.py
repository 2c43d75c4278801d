"""`gilscope profile --python PATH`: gilscope runs here (3.11), the target under another CPython. Real interpreters
only: each test is marked skipped, with the reason, where its interpreter is not installed on this machine."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.conftest import ROOT, _env, hotspots

PYENV = Path("/root/.pyenv/versions")
CACHE = Path.home() / ".cache" / "gilscope-pythons"
SID = CACHE / "sid"


def _pyenv(prefix: str) -> Path | None:
    found = sorted(PYENV.glob(f"{prefix}.*/bin/python"))
    return found[-1] if found else None


def _sid_wrapper(tmp_path_factory, version: str) -> Path | None:
    """Debian sid's CPython (newer glibc than this machine's) run by sid's own dynamic loader: no chroot, so the
    target sees the same files, /proc and /tmp as gilscope (see README, "Profile another venv")."""
    loader, exe = SID / "usr/lib64/ld-linux-x86-64.so.2", SID / f"usr/bin/python{version}"
    if not (loader.exists() and exe.exists()):
        return None
    wrapper = tmp_path_factory.mktemp("sid") / f"python{version}"
    wrapper.write_text(f'#!/bin/sh\nexec {loader} --library-path {SID}/usr/lib/x86_64-linux-gnu {exe} "$@"\n')
    wrapper.chmod(0o755)
    return wrapper


INTERPRETERS = {
    "3.9": lambda f: _pyenv("3.9"),
    "3.10": lambda f: _pyenv("3.10"),
    "3.12": lambda f: _pyenv("3.12"),
    "3.13": lambda f: _pyenv("3.13"),
    "3.13t": lambda f: (
        (CACHE / "3.13t/bin/python3.13t") if (CACHE / "3.13t/bin/python3.13t").exists() else None
    ),
    "3.15": lambda f: _sid_wrapper(f, "3.15"),
}


@pytest.fixture(params=list(INTERPRETERS))
def python(request, tmp_path_factory):
    path = INTERPRETERS[request.param](tmp_path_factory)
    if path is None:
        pytest.skip(f"CPython {request.param} is not installed here (pyenv, ../shared/tools/pythons.sh)")
    return request.param, str(path)


def _profile(tmp_path, source, *args, options=(), python=None, stdin=None, cwd=None):
    script = tmp_path / "target.py"
    script.write_text(source)
    out = tmp_path / "report.json"
    extra = ["--python", python] if python else []
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "gilscope",
            "profile",
            "-q",
            "--json",
            str(out),
            *extra,
            *options,
            str(script),
            *args,
        ],
        cwd=cwd or tmp_path,
        env=_env(),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=180,
    )
    report = json.loads(out.read_text()) if out.exists() else None
    return proc, report


KINDS = """
import threading, time

def crunch():
    total = 0
    for i in range(6_000_000):
        total += i * i % 7
    return total

def waits():
    time.sleep(0.4)

crunch()
waits()
"""


def test_kinds_under_another_python_match_a_local_run(tmp_path, python):
    """One retry: on this shared 2-core machine the GIL-held/native split of a busy core is noisy in either run."""
    version, path = python
    seen = []
    for _attempt in range(2):
        _, local = _profile(tmp_path, KINDS)
        proc, report = _profile(tmp_path, KINDS, python=path)
        assert proc.returncode == 0, proc.stderr
        ours = {name: h["kind"] for name, h in hotspots(report).items() if name in ("crunch", "waits")}
        theirs = {name: h["kind"] for name, h in hotspots(local).items() if name in ("crunch", "waits")}
        seen.append((ours, theirs))
        if ours == theirs == {"crunch": "cpu", "waits": "io"}:
            break
    else:
        pytest.fail(f"kinds under {version} vs local 3.11 differ: {seen}")
    run = report["run"]
    assert run["python_version"].startswith(version.rstrip("t") + ".")  # the target's, not gilscope's 3.11
    assert run["implementation"] == "CPython"
    assert run["free_threaded_build"] is version.endswith("t")
    assert run["gil_enabled"] is not version.endswith("t")


SEMANTICS = """
import os, sys
print(__name__, sys.argv, sys.path[0] == os.path.dirname(os.path.realpath(__file__)), os.getcwd())
print(sys.stdin.read().upper())
print(sorted(m for m in sys.modules if m.split(".")[0] in ("typer", "pydantic", "rich", "pydantic_core")))
print([p for p in sys.path if "agent-path" in p or "inject" in p])
sys.stdout.flush()
sys.exit(5)
"""


def test_the_target_runs_as_under_that_python_itself(tmp_path, python):
    _, path = python
    proc, report = _profile(tmp_path, SEMANTICS, "a b", "-c", stdin="hello", python=path)
    bare = subprocess.run(
        [path, str(tmp_path / "target.py"), "a b", "-c"],
        cwd=tmp_path,
        input="hello",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 3 and bare.returncode == 5  # exit 3: the target failed (status 5)
    assert report["run"]["exit_code"] == 5
    assert proc.stdout == bare.stdout, (proc.stdout, bare.stdout)
    assert "[]\n[]" in proc.stdout  # no typer/pydantic/rich; no gilscope folder left


def test_a_python2_child_of_the_target_notices_nothing(tmp_path, python):
    py2 = _pyenv("2.7")
    if py2 is None:
        pytest.skip("python2.7 is not installed here (pyenv)")
    _, path = python
    source = (
        "import subprocess\n"
        f"r = subprocess.run([{str(py2)!r}, '-c', 'import sys; sys.stdout.write(\"ok\")'], capture_output=True)\n"
        "print(r.returncode, r.stdout, r.stderr)\n"
    )
    proc, _ = _profile(tmp_path, source, python=path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "0 b'ok' b''"


def test_children_running_the_same_python_are_profiled(tmp_path):
    path = INTERPRETERS["3.13"](None)
    if path is None:
        pytest.skip("CPython 3.13 is not installed here (pyenv)")
    (tmp_path / "child.py").write_text(
        "def grind():\n    return sum(i * i for i in range(2_000_000))\nprint(grind())\n"
    )
    proc, report = _profile(
        tmp_path,
        "import subprocess, sys\nsubprocess.run([sys.executable, 'child.py'], check=True)\n",
        python=str(path),
    )
    assert proc.returncode == 0, proc.stderr
    children = [p for p in report["profile"]["processes"] if p["role"] == "child"]
    assert children and any("child.py" in " ".join(p["argv"]) for p in children)
    assert "grind" in hotspots(report)


def test_python_from_tool_gilscope_config(tmp_path):
    path = INTERPRETERS["3.10"](None)
    if path is None:
        pytest.skip("CPython 3.10 is not installed here (pyenv)")
    (tmp_path / "pyproject.toml").write_text(f'[tool.gilscope]\npython = "{path}"\n')
    proc, report = _profile(tmp_path, "import sys\nprint(sys.version_info[:2])\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "(3, 10)"
    assert report["run"]["python_version"].startswith("3.10.")


@pytest.mark.parametrize("case", ["python2.7", "python3.8", "not python", "missing"])
def test_an_interpreter_the_agent_cannot_run_under_is_refused_in_one_line(tmp_path, case):
    path = {
        "python2.7": _pyenv("2.7"),
        "python3.8": _pyenv("3.8"),
        "not python": "/bin/ls",
        "missing": tmp_path / "nope" / "python",
    }[case]
    if path is None:
        pytest.skip(f"{case} is not installed here (pyenv)")
    proc, report = _profile(tmp_path, "print('ran')\n", python=str(path))
    assert proc.returncode == 2 and report is None and "ran" not in proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gilscope: error: --python"), proc.stderr
    if case.startswith("python"):
        assert "needs CPython 3.9 or newer" in lines[0]


def test_sitecustomize_parses_on_python2():
    """The injected sitecustomize is read by every Python a target starts (a python2.7 child too)."""
    py2 = _pyenv("2.7")
    if py2 is None:
        pytest.skip("python2.7 is not installed here (pyenv)")
    inject = ROOT / "gilscope" / "agent" / "inject"
    done = subprocess.run(
        [str(py2), "-c", "import sys; print('ok')"],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(inject), GILSCOPE_AGENT='{"out": "/nonexistent"}'),
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "ok\n", "")
