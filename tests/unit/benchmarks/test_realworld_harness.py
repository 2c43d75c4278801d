"""The pure parts of benchmarks/realworld.py on hand-made data: py-spy raw lines, the reference rule, the
diff applier, the advice verdicts and the table. No program is run."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))
import realworld as rw

APP = "/home/u/app.py"
RAW_ALL = f"""\
process 10:"python app.py";thread (11): Thread-1 (work);Thread.run (/usr/lib/python3.11/threading.py:982);work ({APP}:7) 60
process 10:"python app.py";thread (12): Thread-2 (work);Thread.run (/usr/lib/python3.11/threading.py:982);work ({APP}:7) 40
process 10:"python app.py";thread (10);<module> ({APP}:12);Thread.join (/usr/lib/python3.11/threading.py:1112);Thread._wait_for_tstate_lock (/usr/lib/python3.11/threading.py:1132) 100
"""
RAW_ACTIVE = f"""\
process 10:"python app.py";thread (11): Thread-1 (work);Thread.run (/usr/lib/python3.11/threading.py:982);work ({APP}:7) 50
process 10:"python app.py";thread (12): Thread-2 (work);Thread.run (/usr/lib/python3.11/threading.py:982);work ({APP}:7) 40
"""
RAW_GIL = f"""\
process 10:"python app.py";thread (11): Thread-1 (work);Thread.run (/usr/lib/python3.11/threading.py:982);work ({APP}:7) 10
"""


def is_app(file):
    return file == APP


def test_parse_raw_line_reads_process_thread_frames_and_count():
    s = rw.parse_raw_line(RAW_ALL.splitlines()[0])
    assert (s.process, s.thread, s.count) == ("10", "11", 60)
    assert s.frames[-1] == rw.Frame("work", APP, 7)
    assert s.frames[0] == rw.Frame("Thread.run", "/usr/lib/python3.11/threading.py", 982)


def test_parse_raw_line_without_pseudo_frames_and_odd_names():
    s = rw.parse_raw_line(
        "<module> (x.py:1);_check_name.<locals>._wrapper (<frozen importlib._bootstrap_external>:605) 3"
    )
    assert (s.process, s.thread, s.count) == ("", "", 3)
    assert s.frames[1] == rw.Frame(
        "_check_name.<locals>._wrapper", "<frozen importlib._bootstrap_external>", 605
    )
    assert rw.parse_raw_line("") is None
    assert rw.parse_raw_line("no count here") is None
    assert len(rw.parse_raw(RAW_ALL + "\n\n")) == 3


def shares_of(all_text, active_text, gil_text, func="work"):
    variants = {
        "all": rw.parse_raw(all_text),
        "active": rw.parse_raw(active_text),
        "gil": rw.parse_raw(gil_text),
    }
    funcs, totals, threads = rw.aggregate(variants, is_app)
    multithreaded = rw.busy_threads(threads) >= 2
    return rw.reference_shares(funcs[(func, APP)], multithreaded), funcs, totals


def test_native_threads_and_a_main_thread_joining_them():
    shares, funcs, totals = shares_of(RAW_ALL, RAW_ACTIVE, RAW_GIL)
    # work: 100 samples, 90 active, 10 holding the GIL -> 10% cpu, 80% native, 10% idle at a running line (gil)
    assert shares["cpu"] == pytest.approx(0.10)
    assert shares["native"] == pytest.approx(0.80)
    assert shares["gil"] == pytest.approx(0.10)
    assert rw.reference_kind(shares, 100) == ("native", False, "")
    main, _, _ = shares_of(RAW_ALL, RAW_ACTIVE, RAW_GIL, func="<module>")
    assert main["lock"] == pytest.approx(1.0)  # idle in threading.join: lock, not io
    assert totals == {"all": 200, "active": 90, "gil": 10}


def test_idle_at_a_line_never_seen_running_is_io_and_one_thread_never_waits_for_the_gil():
    idle = f"thread (1);main ({APP}:3) 80\nthread (1);main ({APP}:4) 20\n"
    active = f"thread (1);main ({APP}:4) 20\n"
    shares, _, _ = shares_of(idle, active, active, func="main")
    assert shares["io"] == pytest.approx(0.8) and shares["cpu"] == pytest.approx(0.2)
    assert rw.reference_kind(shares, 100)[0] == "io"
    # a single thread idle at a line it also runs on is io (nobody else can hold the GIL)
    shares, _, _ = shares_of(f"thread (1);main ({APP}:4) 100\n", active, active, func="main")
    assert shares["gil"] == 0 and shares["io"] == pytest.approx(0.8)


def test_idle_in_a_socket_leaf_is_io_even_in_threads():
    sock = "SocketIO.readinto (/usr/lib/python3.11/socket.py:705)"
    idle = "".join(f"thread ({t});fetch ({APP}:9);{sock} 50\n" for t in (1, 2))
    active = "".join(f"thread ({t});fetch ({APP}:9);{sock} 10\n" for t in (1, 2))
    shares, _, _ = shares_of(idle, active, "", func="fetch")
    assert (
        shares["io"] == pytest.approx(0.8) and shares["gil"] == 0 and shares["native"] == pytest.approx(0.2)
    )


def test_scaling_by_wall_time_and_the_dominance_rule():
    variants = {
        "all": rw.parse_raw(f"main ({APP}:1) 100"),
        "active": rw.parse_raw(f"main ({APP}:1) 200"),
        "gil": rw.parse_raw(f"main ({APP}:1) 50"),
    }
    funcs, _, _ = rw.aggregate(variants, is_app, {"all": 1.0, "active": 0.5, "gil": 1.0})
    assert funcs[("main", APP)]["active"] == 100
    kind, debatable, why = rw.reference_kind(
        {"cpu": 0.45, "native": 0.35, "gil": 0.2, "io": 0, "lock": 0}, 100
    )
    assert kind == "mixed" and debatable and "near the 50% line" in why
    assert rw.reference_kind({"cpu": 0.9, "native": 0.1, "gil": 0, "io": 0, "lock": 0}, 10)[1]  # few samples
    assert rw.judge_kind("cpu", "cpu", {}, False) == "yes"
    assert rw.judge_kind("native", "cpu", {}, False) == "no"
    assert rw.judge_kind("native", "cpu", {"cpu": 0.5, "native": 0.4, "io": 0.1}, True) == "~yes"
    assert rw.judge_kind("io", "cpu", {"cpu": 0.5, "native": 0.4, "io": 0.1}, True) == "~no"


SOURCE = (
    "import os\n\ndef f(xs):\n    out = []\n    for x in xs:\n        out.append(x * 2)\n    "
    "return out\n\nprint(f([1]))\n"
)
DIFF = """\
--- a/app.py
+++ b/app.py
@@ -2,6 +2,3 @@

 def f(xs):
-    out = []
-    for x in xs:
-        out.append(x * 2)
-    return out
+    return [x * 2 for x in xs]
"""


def test_apply_unified_diff_applies_and_rejects_a_mismatch():
    got = rw.apply_unified_diff(SOURCE, DIFF)
    assert got == "import os\n\ndef f(xs):\n    return [x * 2 for x in xs]\n\nprint(f([1]))\n"
    with pytest.raises(rw.PatchError, match="line 5"):
        rw.apply_unified_diff(SOURCE.replace("for x in xs", "for y in xs"), DIFF)
    with pytest.raises(rw.PatchError, match="unexpected diff line"):
        rw.apply_unified_diff(SOURCE, DIFF.replace("-    out = []", "?    out = []"))
    with pytest.raises(rw.PatchError, match="ends inside"):
        rw.apply_unified_diff(SOURCE, DIFF.rsplit("+", 1)[0])
    with pytest.raises(rw.PatchError, match="no hunk"):
        rw.apply_unified_diff(SOURCE, "--- a/x\n+++ b/x\n")


def test_apply_unified_diff_removed_line_that_looks_like_a_header():
    src = "a\n-- b\nc\n"
    assert rw.apply_unified_diff(src, "--- a/x\n+++ b/x\n@@ -1,3 +1,2 @@\n a\n--- b\n c\n") == "a\nc\n"


def test_apply_unified_diff_pure_insertion_and_two_hunks():
    diff = "@@ -0,0 +1 @@\n+import sys\n@@ -9 +10 @@\n-print(f([1]))\n+print(f([2]))\n"
    got = rw.apply_unified_diff(SOURCE, diff)
    assert got.startswith("import sys\nimport os\n") and got.endswith("print(f([2]))\n")


def test_patch_agrees_with_our_applier(tmp_path):
    path = tmp_path / "app.py"
    path.write_text(SOURCE)
    agrees = rw.patch_agrees(path, DIFF, rw.apply_unified_diff(SOURCE, DIFF))
    assert agrees in (None, True)  # None: `patch` not installed


def test_stdout_mask_only_for_pyperf_timings():
    assert rw.normalise_stdout("nbody: 108 ms\n", True) == "nbody: <time>\n"
    assert (
        rw.normalise_stdout("go: Mean +- std dev: 1.2 sec +- 0.1 sec\n", True)
        == "go: Mean +- std dev: <time>\n"
    )
    assert rw.normalise_stdout("nbody: 108 ms\n", False) == "nbody: 108 ms\n"


def test_advice_verdicts():
    mp = {"rule": "GS101", "strategy": "multiprocessing", "severity": "warning"}
    cy = {"rule": "GS102", "strategy": "cython", "severity": "info"}
    meta = {"rule": "GS901", "strategy": "none", "severity": "warning"}
    assert rw.judge_advice([mp], "native-threads", {})[0] == "wrong"  # forbidden for GIL-free C
    assert rw.judge_advice([mp], "c-gil-threads", {})[0] == "untimed"  # allowed, but no diff to time
    assert rw.judge_advice([cy], "py-cpu", {})[0] == "right"  # info only, nothing helps: right
    assert rw.judge_advice([meta], "gc-async", {})[0] == "none"  # a change would help: missed
    good = {"safe": True, "predicted": 2.0, "measured": 1.7}
    bad = {"safe": True, "predicted": 2.0, "measured": 1.2}
    broken = {"safe": False, "why": "stdout differs"}
    assert rw.judge_advice([mp], "c-gil-threads", {0: good})[0] == "right"
    assert rw.judge_advice([mp], "c-gil-threads", {0: bad})[0] == "wrong"
    assert rw.judge_advice([mp], "c-gil-threads", {0: broken})[0] == "wrong"


def test_table_and_summary():
    rows = [
        {
            "name": "nbody",
            "family": "pyperf",
            "gilscope": {"top_kind": "cpu", "top_function": "advance"},
            "reference": {"kind": "cpu", "shares": {"cpu": 1.0}, "debatable": False},
            "kind_right": "yes",
            "findings": [{"rule": "GS102", "strategy": "cython", "severity": "info"}],
            "advice": "right",
            "diff_trials": [{"applied": True, "safe": True, "predicted": 1.5, "measured": 1.0}],
        },
        {"name": "go", "family": "pyperf", "skipped": "calibration run failed"},
    ]
    table = rw.render_table(rows)
    assert (
        "| nbody | pyperf | cpu (advance) | cpu [100/0/0/0/0] | yes | GS102:cython:i | right | yes | 1.50x vs 1.00x |"
        in table
    )
    assert "| go | pyperf | skipped: calibration run failed |" in table
    s = rw.summarise(rows)
    assert (s["profiled"], s["kind_right"], s["advice_right"], s["diffs_safe"], s["skipped"]) == (
        1,
        1,
        1,
        1,
        1,
    )
    assert "kind right 1/1" in rw.summary_text(s)
