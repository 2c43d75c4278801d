"""The pure parts of benchmarks/tachyon.py: Tachyon's --collapsed output and summary lines, the shares and the
ratio math, and the kind a user would infer. The fixtures are lines of a real run on CPython 3.15.2
(`python3.15 -m profiling.sampling run -a --mode wall|gil --collapsed -o F examples/gil_threads.py`, two runs,
so their thread ids differ), cut to the main thread's first lines and the workers'. Nothing is run."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))
import tachyon as t

FIXTURES = Path(__file__).resolve().parent / "fixtures"
WALL = t.parse_collapsed((FIXTURES / "tachyon_gil_threads_wall.txt").read_text())
GIL = t.parse_collapsed((FIXTURES / "tachyon_gil_threads_gil.txt").read_text())
# What Tachyon printed on stdout after those two runs (the target's own line first).
WALL_STDOUT = """[11953, 653195, 294434, 935676, 576915, 218154, 859396, 500635]
Captured 1522 samples in 1.52 seconds
Sample rate: 1000.00 samples/sec
Error rate: 3.88
Collapsed stack output written to /tmp/tach/wall.txt
"""
GIL_STDOUT = WALL_STDOUT.replace("1522 samples in 1.52", "1315 samples in 1.32").replace("3.88", "1.22")


def test_parse_collapsed_reads_thread_frames_and_count():
    s = WALL[0]
    assert (s.thread, s.count) == ("15289", 1390)
    assert s.frames[0] == ("<frozen runpy>", "_run_module_as_main", 201)
    assert s.frames[2] == ("gil_threads.py", "<module>", 24)
    assert s.frames[-1] == ("threading.py", "Condition.wait", 363)
    assert WALL[1].frames[-1] == ("gil_threads.py", "checksum", 14)
    assert len(WALL) == 13 and len(GIL) == 9


def test_parse_collapsed_line_special_frames_and_no_thread():
    s = t.parse_collapsed_line("tid:7;a.py:f:3;<GC> 5")
    assert s.frames == (("a.py", "f", 3), ("", "<GC>", None)) and s.count == 5
    s = t.parse_collapsed_line("a.py:Outer.<locals>.g:12 2")
    assert (s.thread, s.frames, s.count) == ("", (("a.py", "Outer.<locals>.g", 12),), 2)


def test_parse_summary():
    assert t.parse_summary(WALL_STDOUT) == {"rounds": 1522, "seconds": 1.52, "error_rate_pct": 3.88}
    assert t.parse_summary("Captured 1,522 samples in 1.52 seconds") == {"rounds": 1522, "seconds": 1.52}
    assert t.parse_summary("nothing") == {}


def test_inclusive_samples_top_and_threads():
    assert (
        t.inclusive_samples(WALL, "gil_threads.py", "checksum")
        == 1316 + 1315 + 1235 + 1219 + 101 + 91 + 78 + 69
    )
    assert t.inclusive_samples(GIL, "gil_threads.py", "checksum") == 251 + 240 + 240 + 232 + 88 + 86 + 71 + 67
    assert t.inclusive_samples(WALL, "other.py", "checksum") == 0
    assert t.threads_seen(WALL, "gil_threads.py", "checksum") == 4
    assert t.top_self(WALL) == ("gil_threads.py:checksum", 5424)  # summed over threads and lines
    assert t.top_self(WALL, "gil_threads.py")[0] == "gil_threads.py:checksum"
    # the main thread's innermost frame in the script is checksum_all (waiting in Future.result)
    assert t.top_self(WALL[:1], "gil_threads.py") == ("gil_threads.py:checksum_all", 1390)


def test_shares_and_the_inferred_kind_of_gil_threads():
    wall_rounds = t.parse_summary(WALL_STDOUT)["rounds"]
    gil_rounds = t.parse_summary(GIL_STDOUT)["rounds"]
    share = t.rate_share(1275, gil_rounds, 5424, wall_rounds)
    assert share == pytest.approx((1275 / 1315) / (5424 / 1522))
    assert 0.25 < share < 0.3  # each of the 4 threads holds the GIL ~1/4 of the time
    held = 1275 / gil_rounds  # and together they hold it in ~97% of the rounds
    assert t.infer_kind(share, 0.47, threads=4, held_rate=held) == "gil"
    assert t.infer_kind(share, 0.47, threads=1, held_rate=held) == "unclear"
    assert t.rate_share(5, 0, 10, 10) is None and t.rate_share(5, 10, 0, 10) is None


@pytest.mark.parametrize(
    "gil,cpu,kind",
    [
        (0.95, 0.97, "cpu"),
        (0.05, 0.9, "native"),
        (0.0, 0.0, "waiting"),
        (0.5, 0.5, "unclear"),
        (None, None, "not seen"),
    ],
)
def test_infer_kind(gil, cpu, kind):
    assert t.infer_kind(gil, cpu) == kind


def test_inferable():
    assert t.inferable("cpu", ["cpu"]) == "yes"
    assert t.inferable("gil", ["gil", "cpu"]) == "yes"
    assert t.inferable("waiting", ["io"]) == "partly"
    assert t.inferable("waiting", ["lock"]) == "partly"
    assert t.inferable("unclear", ["mixed"]) == "yes"
    assert t.inferable("waiting", ["cpu"]) == "no"
    assert t.inferable("not seen", ["cpu"]) == "no"


def test_ratio_cell_is_median_min_max_of_per_pair_ratios():
    pairs = [
        {"bare": {"wall_s": b}, "profiled": {"wall_s": p}} for b, p in ((1.0, 1.1), (2.0, 2.0), (1.0, 1.3))
    ]
    cell = t.ratio_cell(pairs)
    assert cell["median"] == pytest.approx(1.1) and cell["min"] == pytest.approx(1.0)
    assert cell["max"] == pytest.approx(1.3) and cell["n"] == 3
    assert t.fmt_cell(cell) == "1.10 (1.00-1.30)"
    assert t.ratio_cell([]) is None and t.fmt_cell(None) == "failed"


def test_views_on_the_fixture():
    expects = [{"function": "checksum", "kind": ["gil", "cpu"], "strategy": ["multiprocessing"]}]
    view = t.tachyon_view(
        {"wall": (WALL, t.parse_summary(WALL_STDOUT)), "gil": (GIL, t.parse_summary(GIL_STDOUT))},
        "gil_threads.py",
        expects,
    )
    row = view["functions"]["checksum"]
    assert (row["wall_threads"], row["inferred"], row["inferable"]) == (4, "gil", "yes")
    assert view["top"].startswith("gil_threads.py:checksum (")
    report = {
        "run": {"exit_code": 0},
        "caveats": [],
        "hotspots": [{"function": "checksum", "kind": "gil", "share": 0.9, "split": {}}],
        "findings": [
            {"rule": "GS301", "strategy": "multiprocessing", "severity": "warning", "function": "checksum"}
        ],
    }
    g = t.gilscope_view(report, expects)
    assert g["top"] == "checksum (gil, 90%)"
    assert g["functions"]["checksum"]["kind_ok"] and g["functions"]["checksum"]["strategy_ok"]
    assert g["functions"]["checksum"]["findings"] == ["GS301 multiprocessing (warning)"]
