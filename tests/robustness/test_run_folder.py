"""gilscope owns the run folder: it waits for the run's processes before it reads and removes it, and a
process that outlives even that grace drops its data quietly. Many short runs, back to back and in parallel,
never print "could not write profile data" and never lose a child that finished in time."""

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from tests.e2e.examples_support import child_env

LINGER = """import subprocess, sys
subprocess.Popen([sys.executable, "-c", "import time; time.sleep({delay})"])
print("parent done")
"""


def _profile(tmp_path, index: int, delay: float):
    script = tmp_path / f"linger_{index}.py"
    script.write_text(LINGER.format(delay=delay))
    out = tmp_path / f"report_{index}.json"
    proc = subprocess.run(
        [sys.executable, "-m", "gilscope", "profile", "-q", "--json", str(out), str(script)],
        cwd=tmp_path,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    return proc, json.loads(out.read_text())


def test_many_short_runs_back_to_back_and_in_parallel(tmp_path):
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda i: _profile(tmp_path, i, 0.05 + 0.02 * (i % 3)), range(12)))
    for proc, report in results:
        assert proc.returncode == 0, proc.stderr
        assert "could not write profile data" not in proc.stderr
        roles = [p["role"] for p in report["profile"]["processes"]]
        assert roles.count("child") == 1, roles  # the child that outlived its parent was waited for


def test_a_child_outliving_the_grace_period_stays_quiet(tmp_path):
    proc, report = _profile(tmp_path, 99, 2.0)
    assert proc.returncode == 0, proc.stderr
    assert "could not write" not in proc.stderr
    assert report["run"]["exit_code"] == 0
