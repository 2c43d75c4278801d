"""Programs nobody here wrote: stdlib tools under `-m`, profiled for real.

- gzip compresses with zlib, which releases the GIL while the Python around it is tiny: native, never
  multiprocessing or Cython advice (py-spy sees the GIL held in ~3% of its active samples).
- json.tool with indent encodes in pure Python and writes many small chunks: it holds the GIL nearly all the
  time, though the sampler only gets the GIL when a write lets go of it: cpu, never thread advice.
- The hotspots are the module's own functions, never gilscope's launcher; a --duration run exits 0.
"""

import json
import os
import random
import subprocess
import sys
import time

import pytest

from tests.e2e.examples_support import child_env


def _profile(tmp_path, *argv, timeout=120):
    out = tmp_path / "report.json"
    proc = subprocess.run(
        [sys.executable, "-m", "gilscope", "profile", "-q", "--json", str(out), *argv],
        cwd=tmp_path,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return proc, json.loads(out.read_text())


def _top(report):
    assert report["hotspots"], report["caveats"]
    return report["hotspots"][0]


def _strategies(report, function):
    return {f["strategy"] for f in report["findings"] if f["function"] == function}


def test_gzip_is_native_and_gets_no_cpu_advice(tmp_path):
    rng = random.Random(7)
    chunk = bytes(rng.getrandbits(8) for _ in range(1 << 15)) + b"a" * (1 << 15)
    (tmp_path / "data.bin").write_bytes(chunk * 600)  # 39 MB, half compressible
    proc, report = _profile(tmp_path, "-m", "gzip", "data.bin")
    assert proc.returncode == 0, proc.stderr
    top = _top(report)
    assert top["file"].replace("\\", "/").endswith("/gzip.py"), top
    assert top["kind"] == "native", top
    assert not _strategies(report, top["function"]) & {"multiprocessing", "cython"}
    assert any("`-m gzip` runs library code" in c for c in report["caveats"])


def test_json_tool_holds_the_gil_and_gets_no_thread_advice(tmp_path):
    doc = [{"id": i, "name": "x" * 20, "vals": list(range(20))} for i in range(60_000)]
    (tmp_path / "big.json").write_text(json.dumps(doc))
    proc, report = _profile(tmp_path, "-m", "json.tool", "big.json")
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout) > 10_000_000  # the tool's own output reached stdout
    dump = next(h for h in report["hotspots"] if h["function"] == "dump")
    # Into a file it mostly holds the GIL (cpu); into a pipe that the reader drains (as here) the writes
    # themselves take much of the time, GIL-free: native, but in write calls, which threads cannot spread.
    assert dump["kind"] in ("cpu", "mixed", "native"), dump
    if dump["kind"] == "native":
        assert max(dump["native_calls"], key=dump["native_calls"].get).endswith("write"), dump
    assert not _strategies(report, "dump") & {"threads", "cython"}


def test_duration_stop_is_planned(tmp_path):
    (tmp_path / "index.html").write_text("x" * 1000)
    proc, report = _profile(tmp_path, "--duration", "1.5", "-m", "http.server", "0", "--bind", "127.0.0.1")
    assert proc.returncode == 0, proc.stderr
    assert report["run"]["interrupted"] == "duration"
    assert "GS902" not in {f["rule"] for f in report["findings"]}
    assert not any(c.startswith("the target exited") for c in report["caveats"])
    assert all("bin/gilscope" not in h["file"] for h in report["hotspots"])


@pytest.mark.skipif(
    not os.path.exists("/proc/self/task"), reason="needs /proc (Linux): the sampler's GIL signals"
)
def test_samples_arrive_on_time_while_c_code_holds_the_gil(tmp_path):
    script = tmp_path / "holds.py"
    script.write_text(
        "import json\n"
        "doc = {str(i): [{'a': j, 'b': str(j) * 3} for j in range(40)] for i in range(4000)}\n"
        "for _ in range(4):\n"
        "    json.loads(json.dumps(doc))\n"
    )
    started = time.perf_counter()
    proc, report = _profile(tmp_path, str(script))
    assert proc.returncode == 0, proc.stderr
    run = report["run"]
    due = run["wall_s"] / run["interval_s"]
    assert abs(run["samples"] - due) <= 0.1 * due, (run["samples"], due, time.perf_counter() - started)
    assert report["profile"]["rounds"] < run["samples"]  # the sampler was held up, yet the count is right
