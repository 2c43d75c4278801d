"""Worker processes are profiled and merged, whatever the start method."""

import pytest

from tests.integration.conftest import hotspots

POOL = """
import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor


def simulate(n):
    t = 0
    for i in range(n):
        t += i * i % 7
    return t


if __name__ == "__main__":
    with ProcessPoolExecutor(2, mp_context=mp.get_context("{method}")) as ex:
        print(sum(ex.map(simulate, [600_000] * 6)))
"""


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_pool_workers_hot_code_is_found_in_the_workers(profile, method):
    proc, report = profile(POOL.format(method=method))
    assert proc.returncode == 0, proc.stderr
    spots = hotspots(report)
    assert "simulate" in spots, report["hotspots"]
    assert spots["simulate"]["role"] == "pool worker"
    assert spots["simulate"]["kind"] == "cpu"
    roles = [p["role"] for p in report["profile"]["processes"]]
    assert roles.count("pool worker") >= 2


def test_python_subprocess_is_profiled_as_a_child(profile, tmp_path):
    (tmp_path / "child.py").write_text(
        "def grind():\n    return sum(i * i for i in range(3_000_000))\nprint(grind())\n"
    )
    proc, report = profile(
        "import subprocess, sys\nsubprocess.run([sys.executable, 'child.py'], check=True)\n"
    )
    assert proc.returncode == 0, proc.stderr
    children = [p for p in report["profile"]["processes"] if p["role"] == "child"]
    assert children and any("child.py" in " ".join(p["argv"]) for p in children)
    assert "grind" in hotspots(report)


def test_threads_that_reuse_an_ended_threads_ident_get_records_of_their_own(profile):
    """pthread idents are recycled: each of these sequential threads usually gets its predecessor's."""
    proc, report = profile(
        "import threading, time\n"
        "for i in range(20):\n"
        "    t = threading.Thread(target=time.sleep, args=(0.03,), name=f'w{i}')\n"
        "    t.start()\n"
        "    t.join()\n"
    )
    assert proc.returncode == 0, proc.stderr
    names = [t["name"] for t in report["profile"]["threads"]]
    assert sorted(n for n in names if n.startswith("w")) == sorted(f"w{i}" for i in range(20)), names
