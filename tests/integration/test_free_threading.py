"""Free-threaded CPython: detection, no GIL metrics, advice that threads scale, and the module that turned the
GIL back on. A real 3.13t/3.14t is used where one is installed; the rest is a SIMULATION of such a build
(models and hooks fed what a free-threaded run produces), marked as such in each test's name."""

import shutil
import subprocess
import sys
import warnings
from dataclasses import replace

import pytest

from gilscope.agent import session as agent_session
from gilscope.engine import load_rules
from gilscope.model import Frame, Profile, RunInfo, StackCount, ThreadProfile
from gilscope.pipeline import analyse
from tests.integration.conftest import ROOT, _env

FREE_THREADED = next((p for p in (shutil.which("python3.14t"), shutil.which("python3.13t")) if p), None)
MESSAGE = (
    "The global interpreter lock (GIL) has been enabled to load module 'yaml._yaml', which has not "
    "declared that it can run safely without the GIL. To override this behavior and keep the GIL "
    "disabled (at your own risk), run with PYTHON_GIL=0 or -Xgil=0."
)


def _free_threaded_run(threads: int = 4) -> tuple[Profile, RunInfo]:
    frames = [
        Frame(function="<module>", file="/app/t.py", line=1, user=True),
        Frame(function="spin", file="/app/t.py", line=3, user=True),
    ]
    thread_profiles = [
        ThreadProfile(tid=1, name="MainThread", is_main=True, wall_s=1.0, cpu_s=0.0, states={"lock": 1.0})
    ]
    stacks = [
        StackCount(
            thread=0,
            frames=(0,),
            state="lock",
            blocker="lock.acquire",
            samples=200,
            wall_s=1.0,
            cpu_s=0.0,
            critical_s=0.0,
        )
    ]
    for t in range(1, threads + 1):
        thread_profiles.append(
            ThreadProfile(tid=t + 1, name=f"Thread-{t}", wall_s=1.0, cpu_s=0.98, states={"cpu": 1.0})
        )
        stacks.append(
            StackCount(
                thread=t,
                frames=(1,),
                state="cpu",
                samples=200,
                wall_s=1.0,
                cpu_s=0.98,
                critical_s=1.0 / threads,
            )
        )
    profile = Profile(
        engine="sampler",
        interval_s=0.005,
        wall_s=1.0,
        cpu_s=3.9,
        samples=200,
        gil_measured=False,
        frames=frames,
        threads=thread_profiles,
        stacks=stacks,
    )
    run = RunInfo(
        argv=["/app/t.py"],
        python_version="3.13.0",
        gil_enabled=False,
        free_threaded_build=True,
        cpu_count=8,
        wall_s=1.0,
        cpu_s=3.9,
        exit_code=0,
        engine="sampler",
        samples=200,
        interval_s=0.005,
    )
    return profile, run


def test_simulated_free_threaded_run_reports_no_gil_and_advises_threads():
    report = analyse(*_free_threaded_run(threads=1), load_rules())
    spin = next(h for h in report.hotspots if h.function == "spin")
    assert spin.kind.value == "cpu"
    assert all(t.gil_held is None and t.gil_wait is None for t in report.threads)
    strategies = {f.strategy.value for f in report.findings if f.function == "spin"}
    assert "free-threading" in strategies
    assert not any(f.rule == "GS301" for f in report.findings)
    assert any("no GIL" in c for c in report.caveats)


def test_simulated_gil_reenabling_warning_is_caught_and_reported(tmp_path):
    session = agent_session.Session({"out": str(tmp_path / "d.json")}, ["t.py"])
    original = warnings.showwarning
    try:
        session._watch_gil_warnings()
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            warnings.showwarning = warnings.showwarning  # keep the hook installed inside the context
            warnings.warn(MESSAGE, RuntimeWarning, stacklevel=1)
    finally:
        warnings.showwarning = original
    assert session.gil_reenabled_by == ["yaml._yaml"]
    profile, run = _free_threaded_run(threads=1)
    profile = replace(profile, gil_reenabled_by=["yaml._yaml"])
    run = replace(run, gil_enabled=True)
    report = analyse(profile, run, load_rules())
    assert any(f.rule == "GS801" and "yaml._yaml" in f.message for f in report.findings)


def test_agent_loads_no_third_party_module_into_the_target(tmp_path):
    """On a free-threaded build any C extension without Py_mod_gil would turn the GIL back on: the agent
    must bring only the standard library (and itself) into the target."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import sys\n"
        "std = set(sys.stdlib_module_names)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] not in std and not m.startswith('gilscope')\n"
        "             and not m.startswith('_sysconfigdata') and m not in ('__main__', 'sitecustomize')))\n"
    )
    bare = subprocess.run(
        [sys.executable, str(probe)], cwd=tmp_path, capture_output=True, text=True, env=_env()
    )
    out = tmp_path / "r.json"
    proc = subprocess.run(
        [sys.executable, "-m", "gilscope", "profile", "-q", "--json", str(out), str(probe)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=_env(),
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == bare.stdout  # nothing beyond what site.py itself loads under plain python


@pytest.mark.skipif(FREE_THREADED is None, reason="no free-threaded CPython (3.13t/3.14t) installed here")
def test_real_free_threaded_interpreter(tmp_path):
    script = tmp_path / "t.py"
    script.write_text(
        "import threading\n"
        "def spin():\n    return sum(i % 7 for i in range(2_000_000))\n"
        "ts = [threading.Thread(target=spin) for _ in range(4)]\n"
        "[t.start() for t in ts]; [t.join() for t in ts]\n"
    )
    out = tmp_path / "r.json"
    subprocess.run([FREE_THREADED, "-m", "pip", "install", "-q", "-e", str(ROOT)], check=True)
    subprocess.run(
        [FREE_THREADED, "-m", "gilscope", "profile", "-q", "--json", str(out), str(script)],
        cwd=tmp_path,
        check=True,
    )
    import json

    report = json.loads(out.read_text())
    assert report["run"]["free_threaded_build"] is True
    assert report["run"]["gil_enabled"] is False
    assert all(t["gil_held"] is None for t in report["threads"])
