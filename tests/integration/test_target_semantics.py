"""The target sees what it would see under plain `python`, and its output is untouched."""

import os

from tests.integration.conftest import ROOT, plain

PROBE = """
import os, sys
print(__name__)
print(sys.argv)
print(sys.path[0])
print(os.getcwd())
print(repr(sys.stdin.read()))
print("spec", __spec__)
print("file", os.path.basename(__file__))
print("gilscope on path", any("gilscope" in p for p in sys.path[1:] if "inject" in p))
print(sys.orig_argv)
print("dont_write_bytecode", sys.dont_write_bytecode)
print("gilscope's imports", sorted(m for m in ("typer", "rich", "pydantic", "gilscope.cli.app") if m in sys.modules))
"""


def test_script_sees_what_python_shows(tmp_path, profile):
    bare = plain(tmp_path, PROBE, "a", "--json", "x y", stdin="hello\n")
    proc, report = profile(PROBE, "a", "--json", "x y", stdin="hello\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == bare.stdout
    assert report["run"]["exit_code"] == 0
    assert report["run"]["argv"][-3:] == ["a", "--json", "x y"]


def test_module_mode_sees_what_python_m_shows(tmp_path):
    import subprocess
    import sys

    from tests.integration.conftest import _env

    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "tool.py").write_text(
        "import sys, os\nprint(__name__, sys.argv[1:], sys.path[0] == os.getcwd())\n"
    )
    bare = subprocess.run(
        [sys.executable, "-m", "pkg.tool", "--flag", "v"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=_env(),
    )
    out = tmp_path / "r.json"
    prof = subprocess.run(
        [
            sys.executable,
            "-m",
            "gilscope",
            "profile",
            "-q",
            "--json",
            str(out),
            "-m",
            "pkg.tool",
            "--flag",
            "v",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=_env(),
    )
    assert prof.returncode == 0, prof.stderr
    assert prof.stdout == bare.stdout == "__main__ ['--flag', 'v'] True\n"
    assert out.exists()


def test_exit_status_and_exception_are_recorded(profile):
    proc, report = profile("import sys\nsys.exit(7)\n")
    assert proc.returncode == 3
    assert report["run"]["exit_code"] == 7
    proc, report = profile("def f():\n    raise ValueError('boom')\nf()\n")
    assert proc.returncode == 3
    assert "ValueError: boom" in proc.stderr and "gilscope/agent" not in proc.stderr
    assert report["run"]["exit_code"] == 1
    assert report["run"]["exception"] == "ValueError"


EXIT_PROBE = """
import atexit, sys
log = open("log.txt", "w")          # never closed: the interpreter's shutdown flushes it
log.write("buffered")


class Noisy:
    def __del__(self):
        sys.stdout.write("finalised\\n")


keep = Noisy()
atexit.register(lambda: print("atexit ran"))
"""


def test_the_target_ends_through_pythons_own_shutdown(tmp_path, profile):
    """atexit handlers, finalisers and unflushed files behave as under plain python (the agent is a fork of
    gilscope, so nothing of gilscope's may run at the target's exit, and nothing of python's may be skipped)."""
    bare = plain(tmp_path, EXIT_PROBE)
    assert (tmp_path / "log.txt").read_text() == "buffered"
    (tmp_path / "log.txt").unlink()
    proc, report = profile(EXIT_PROBE)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == bare.stdout == "atexit ran\nfinalised\n"
    assert (tmp_path / "log.txt").read_text() == "buffered"
    assert report["run"]["exit_code"] == 0


def test_gilscope_caches_its_own_bytecode_but_not_the_targets(tmp_path, profile, monkeypatch):
    """Under PYTHONDONTWRITEBYTECODE gilscope still caches its own modules (compiling them each run costs tens
    of ms); the target's setting and its own modules are left alone."""
    import importlib.util
    import os

    import gilscope.agent.sampler as sampler

    cached = importlib.util.cache_from_source(sampler.__file__)
    if os.path.exists(cached):
        os.unlink(cached)
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    (tmp_path / "helper.py").write_text("VALUE = 1\n")
    proc, _report = profile("import sys, helper\nprint(sys.dont_write_bytecode, helper.VALUE)\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "True 1\n"
    assert not (tmp_path / "__pycache__").exists()
    assert os.path.exists(cached)
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE")
    proc, _report = profile("import sys\nprint(sys.dont_write_bytecode)\n")
    assert proc.stdout == "False\n"


def test_the_agent_is_spawned_when_gilscope_already_runs_a_thread(tmp_path, profile):
    """A thread started in gilscope's own process (here by a sitecustomize) makes a fork unsafe: the agent is
    then a fresh interpreter, and the target runs as usual."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "import threading, time\nthreading.Thread(target=time.sleep, args=(30,), daemon=True).start()\n"
    )
    pythonpath = os.pathsep.join((str(site), str(ROOT), os.environ.get("PYTHONPATH", "")))
    proc, report = profile(
        "import sys\nprint('gilscope.agent' in sys.orig_argv)\n", env={"PYTHONPATH": pythonpath}
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "True\n"
    assert report["run"]["exit_code"] == 0
