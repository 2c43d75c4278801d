"""End-to-end: on the examples, the finding's change_at points at the construct to change, with a diff.

Lines are found by searching the example's source for the construct's text, so editing an example's
docstring does not break the test. Nothing here asserts timings or speedups.
"""
import pytest

from examples_support import EXAMPLES, last, requires_cli

pytestmark = [pytest.mark.e2e, requires_cli]

# example -> (hotspot function, accepted strategies, text on the construct's line, text the diff adds)
CONSTRUCTS = {
    "gil_threads.py": ("checksum", {"multiprocessing"}, "ThreadPoolExecutor(max_workers=4)", "ProcessPoolExecutor"),
    "async_blocking.py": ("fetch_user", {"asyncio", "offload"}, "time.sleep(0.04)", "await asyncio.sleep(0.04)"),
    "lock_held.py": ("refresh", {"lock-scope"}, "with CACHE_LOCK:", "value = slow_lookup(key)"),
    "pool_tiny_tasks.py": ("sum_squares", {"batching"}, "pool.map(square, range(n), chunksize=1)", "chunksize="),
    "io_sleep.py": ("fetch_page", {"threads", "asyncio"}, "[fetch_page(i) for i in range(n)]", "ThreadPoolExecutor"),
}


def _line(script, text):
    lines = (EXAMPLES / script).read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


@pytest.mark.parametrize("script", list(CONSTRUCTS))
def test_finding_points_at_the_construct_and_shows_the_change(runs, script):
    function, strategies, construct, added = CONSTRUCTS[script]
    run = runs.profiled(script)
    assert run.report is not None, f"no report (exit {run.returncode}): {run.stderr[-800:]}"
    about = [f for f in run.report["findings"] if last(f.get("function")) == function
             and f.get("strategy") in strategies]
    assert about, f"no {sorted(strategies)} finding about {function}: " \
                  f"{[(f.get('function'), f.get('strategy')) for f in run.report['findings']]}"
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
