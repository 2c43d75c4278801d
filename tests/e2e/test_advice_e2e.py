"""End-to-end: on the examples, the finding's change_at points at the construct to change, with a diff, and
every diff gilscope prints, applied to a copy with `patch`, keeps the program's stdout and exit code. On the
adversarial targets in targets_unsafe/ (the real failures of issue 12 in miniature) the unsafe construct gets
no diff, only what must hold for the change to be safe.

Lines are found by searching the source for the construct's text (or a `# unsafe` mark), so editing a
docstring does not break the test. Nothing here asserts timings or speedups.
"""

import json
import subprocess
import sys
from pathlib import Path

import applied
import pytest
from applied import patched_copy, with_diffs
from examples_support import CASES, EXAMPLES, PROFILE_TIMEOUT_S, child_env, last, requires_cli

pytestmark = [pytest.mark.e2e, requires_cli]

# example -> (hotspot function, accepted strategies, text on the construct's line, text the diff adds)
CONSTRUCTS = {
    "gil_threads.py": (
        "checksum",
        {"multiprocessing"},
        "ThreadPoolExecutor(max_workers=4)",
        "ProcessPoolExecutor",
    ),
    "async_blocking.py": (
        "fetch_user",
        {"asyncio", "offload"},
        "time.sleep(0.04)",
        "await asyncio.sleep(0.04)",
    ),
    "lock_held.py": ("refresh", {"lock-scope"}, "with CACHE_LOCK:", "value = slow_lookup(key)"),
    "pool_tiny_tasks.py": (
        "sum_squares",
        {"batching"},
        "pool.map(square, range(n), chunksize=1)",
        "chunksize=",
    ),
    "ft_shared_dict.py": (
        "count",
        {"per-thread-data"},
        "counts[word] = counts.get(word, 0) + 1",
        "counts_part[word] = counts_part.get(word, 0) + 1",
    ),
    "io_sleep.py": (
        "fetch_page",
        {"threads", "asyncio"},
        "[fetch_page(i) for i in range(n)]",
        "ThreadPoolExecutor",
    ),
}


def _line(script, text):
    lines = (EXAMPLES / script).read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


@pytest.mark.parametrize("script", list(CONSTRUCTS))
def test_finding_points_at_the_construct_and_shows_the_change(runs, script):
    function, strategies, construct, added = CONSTRUCTS[script]
    run = runs.profiled(script)
    assert run.report is not None, f"no report (exit {run.returncode}): {run.stderr[-800:]}"
    about = [
        f
        for f in run.report["findings"]
        if last(f.get("function")) == function and f.get("strategy") in strategies
    ]
    assert about, (
        f"no {sorted(strategies)} finding about {function}: "
        f"{[(f.get('function'), f.get('strategy')) for f in run.report['findings']]}"
    )
    located = [f for f in about if f.get("change_at")]
    assert located, f"no change_at on {[(f['rule'], f['strategy']) for f in about]}"
    want = _line(script, construct)
    assert {f["change_at"]["line"] for f in located} == {want}
    assert all(f["change_at"]["file"].endswith(script) for f in located)
    assert any(construct.split("(")[0] in f["change_at"]["code"] for f in located)
    diffs = [f["diff"] for f in located if f.get("diff")]
    assert diffs, "no diff for the construct"
    for diff in diffs:
        assert diff.startswith("--- a/") and "+++ b/" in diff
        assert any(line.startswith("+") and added in line for line in diff.splitlines()), diff


# ---- every printed diff, applied, keeps the program's output ---------------------------------------------------
TARGETS_UNSAFE = Path(__file__).parent / "targets_unsafe"


def _same_output(script, finding, args, want, tmp_path, name):
    copy = patched_copy(script, finding, tmp_path / name)
    got = applied.run(copy, args, cwd=tmp_path, env=child_env())
    assert (got.returncode, got.stdout) == (want.returncode, want.stdout), (
        f"{finding['rule']} diff changed what {script.name} does:\n{finding['diff']}\nstderr: {got.stderr[-800:]}"
    )


@pytest.mark.parametrize("script", sorted(CASES))
def test_every_printed_diff_keeps_stdout_and_exit_code(runs, script, tmp_path):
    args = CASES[script].get("args", [])
    run = runs.profiled(script, args)
    assert run.report is not None, f"no report (exit {run.returncode}): {run.stderr[-800:]}"
    bare = runs.bare(script, args)
    for i, finding in enumerate(with_diffs(run.report)):
        _same_output(EXAMPLES / script, finding, args, bare, tmp_path, f"copy{i}")


def _unsafe_line(script):
    return next(i for i, line in enumerate(script.read_text().splitlines(), 1) if "# unsafe" in line)


@pytest.mark.parametrize("name", sorted(p.name for p in TARGETS_UNSAFE.glob("*.py")))
def test_unsafe_constructs_get_no_diff_and_any_other_diff_keeps_stdout(name, tmp_path):
    script = TARGETS_UNSAFE / name
    out = tmp_path / "report.json"
    proc = subprocess.run(
        [sys.executable, "-m", "gilscope", "profile", "-q", "--json", str(out), str(script)],
        cwd=tmp_path,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=PROFILE_TIMEOUT_S,
    )
    assert out.exists(), f"no report (exit {proc.returncode}): {proc.stderr[-800:]}"
    report = json.loads(out.read_text())
    line = _unsafe_line(script)
    at_line = [f for f in report["findings"] if (f.get("change_at") or {}).get("line") == line]
    assert not [f for f in at_line if f.get("diff")], [f["diff"] for f in at_line]
    assert all(f.get("change_requires") for f in at_line if f["strategy"] != "asyncio"), [
        (f["rule"], f["strategy"]) for f in at_line
    ]
    bare = applied.run(script, (), cwd=tmp_path, env=child_env())
    for i, finding in enumerate(with_diffs(report)):
        _same_output(script, finding, (), bare, tmp_path, f"copy{i}")
