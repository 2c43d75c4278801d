"""macOS and Windows, SIMULATED on Linux (sys.platform and /proc are patched; each test's name says so): the
default engine gives way to py-spy, else cProfile, with a caveat, and nothing crashes for want of /proc."""

import subprocess
import sys

import pytest

from gilscope.collect import launch
from gilscope.collect.attach import inspect
from gilscope.errors import UsageError
from tests.integration.conftest import ROOT, _env


@pytest.fixture(params=["darwin", "win32"])
def no_procfs(request, monkeypatch):
    monkeypatch.setattr(sys, "platform", request.param)
    return {"darwin": "macOS", "win32": "Windows"}[request.param]


def _without_pyspy(monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: None)
    real_exists = launch.os.path.exists
    monkeypatch.setattr(
        launch.os.path, "exists", lambda p: False if str(p).endswith("py-spy") else real_exists(p)
    )


def test_simulated_platform_without_proc_takes_py_spy_with_a_caveat(no_procfs, monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: "/usr/bin/py-spy")
    engine, notes = launch.platform_engine("auto")
    assert engine == "pyspy"
    assert len(notes) == 1 and notes[0].startswith(f"on {no_procfs} the default sampler cannot read /proc")


def test_simulated_platform_without_proc_or_py_spy_takes_cprofile(no_procfs, monkeypatch):
    _without_pyspy(monkeypatch)
    engine, notes = launch.platform_engine("sampler")
    assert engine == "cprofile" and "pip install py-spy" in notes[0]


def test_simulated_platform_keeps_an_engine_asked_for(no_procfs):
    assert launch.platform_engine("yappi") == ("yappi", [])
    assert launch.platform_engine("cprofile") == ("cprofile", [])


def test_linux_keeps_the_default_sampler():
    assert launch.platform_engine("auto") == ("auto", [])


def test_simulated_macos_run_falls_back_to_cprofile_and_still_profiles(tmp_path, monkeypatch):
    """A real run of a real script, with the platform decision simulated (py-spy absent too)."""
    script = tmp_path / "t.py"
    script.write_text("def spin():\n    return sum(i * i for i in range(300_000))\nspin()\nprint('done')\n")
    monkeypatch.setattr(sys, "platform", "darwin")
    _without_pyspy(monkeypatch)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    outcome = launch.run(launch.Launch(argv=[str(script)], engine="auto"))
    assert outcome.returncode == 0
    assert outcome.data and outcome.data[0]["engine"] == "cprofile"
    assert any(e.startswith("on macOS the default sampler cannot read /proc") for e in outcome.errors)


def test_simulated_windows_agent_imports_without_os_uname():
    """Windows has no os.uname: the agent (every engine imports procfs through the session) must still load."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os; del os.uname; import gilscope.agent.session, "
            "gilscope.agent.deterministic; print('ok')",
        ],
        capture_output=True,
        text=True,
        env=_env(),
        cwd=ROOT,
    )
    assert (done.returncode, done.stdout.strip()) == (0, "ok"), done.stderr


def test_simulated_platform_without_proc_refuses_attach_in_one_line(monkeypatch):
    real_isdir = launch.os.path.isdir
    monkeypatch.setattr("os.path.isdir", lambda p: False if str(p).startswith("/proc") else real_isdir(p))
    with pytest.raises(UsageError, match="gilscope attach needs Linux's /proc"):
        inspect(1)
