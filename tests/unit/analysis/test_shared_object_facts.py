"""Facts of a hotspot whose threads queued on a shared object (free-threaded builds), and GS303's estimate."""

from dataclasses import replace

from gilscope.agent.wire import OBJECT_LOCK
from gilscope.analysis.facts import shared_object_facts
from gilscope.engine.speedup import estimate
from gilscope.model import Facts, Hotspot, Kind, Strategy, TimeSplit

CODE = """import threading
counts = {}
lock = threading.Lock()
def count(words):
    for w in words:
        counts[w] = counts.get(w, 0) + 1
def count_locked(words):
    for w in words:
        with lock:
            counts[w] = counts.get(w, 0) + 1
"""


def _hotspot(file, line, queued=3.0):
    return Hotspot(
        function="count",
        file=file,
        line=4,
        kind=Kind.lock,
        wall_s=4.0,
        cpu_s=2.0,
        share=0.9,
        split=TimeSplit(cpu_s=1.0, lock_s=3.0),
        blockers={OBJECT_LOCK: queued} if queued else {},
        shared_object_line=line if queued else 0,
    )


def test_queued_on_an_unlocked_read_modify_write(tmp_path):
    file = tmp_path / "t.py"
    file.write_text(CODE)
    facts = shared_object_facts(_hotspot(str(file), 6))
    assert facts == {
        "object_lock_share": 0.75,
        "shared_line": 6,
        "shared_object": "counts",
        "shared_statement": "counts[w] = counts.get(w, 0) + 1",
        "shared_update_unlocked": True,
    }


def test_under_the_users_lock_the_queue_is_the_locks(tmp_path):
    file = tmp_path / "t.py"
    file.write_text(CODE)
    assert shared_object_facts(_hotspot(str(file), 10)) == {}


def test_nothing_queued_nothing_said(tmp_path):
    assert shared_object_facts(_hotspot(str(tmp_path / "t.py"), 6, queued=0.0)) == {}


def test_per_thread_data_removes_most_of_the_queue():
    facts = Facts(
        function="count",
        share_of_wall=0.9,
        object_lock_share=1.0,
        threads=4,
        shared_object="counts",
        run_wall_s=10.0,
    )
    speedup = estimate(Strategy.per_thread_data, facts)
    # 0.9 of the run, 90% of it removed: 10.02 / (10.02 - 8.1)
    assert 5.0 < speedup.factor < 5.5
    assert estimate(Strategy.per_thread_data, replace(facts, threads=1)) is None
