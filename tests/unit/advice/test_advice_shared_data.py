"""Per-thread data (GS303/GS304): the shared-object update on the line the threads queued at, rewritten to a
part per thread merged under a lock, only for the shapes whose merge gives the same result; every other shape
is refused with what must hold. Each applied diff is run, single- and multi-threaded, against the original."""

import runpy
import textwrap

import pytest
from advice_support import finding, write

from gilscope.advice import NoRewrite, clues_for, locate, propose
from gilscope.advice.change import rewrite
from gilscope.advice.constructs import site_at
from gilscope.advice.rewrite import apply
from gilscope.advice.source import load
from gilscope.analysis.shared_state import shared_update_at
from gilscope.model import Hotspot, Kind, Strategy, TimeSplit

COUNTER = """
import threading

counts = {}


def count(words):
    for word in words:
        counts[word] = counts.get(word, 0) + 1


def main():
    words = [f"w{i % 7}" for i in range(700)]
    threads = [threading.Thread(target=count, args=(words[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(sorted(counts.items()))


if __name__ == "__main__":
    main()
"""


def _hotspot(file, function, line):
    return Hotspot(
        function=function,
        file=file,
        line=1,
        kind=Kind.lock,
        wall_s=4.0,
        cpu_s=2.0,
        share=0.9,
        split=TimeSplit(lock_s=4.0),
        blockers={"shared object": 4.0},
        shared_object_line=line,
    )


def _propose(file, function, text, ctx=None):
    line = next(i for i, row in enumerate(open(file), 1) if text in row)
    f = finding(file, function, Strategy.per_thread_data, threads=4)
    h = _hotspot(file, function, line)
    where = locate(f, h)
    assert where is not None and where.line == line
    return propose(f, where, open(file).read().splitlines(keepends=True), clues_for(f, h), ctx)


def _refused(file, function, text, ctx=None):
    with pytest.raises(NoRewrite) as info:
        _propose(file, function, text, ctx)
    assert info.value.requires
    return " | ".join(info.value.requires)


def _run(path, capsys):
    runpy.run_path(str(path), run_name="__main__")
    return capsys.readouterr().out


def test_a_counter_gets_a_part_per_thread_and_the_same_result(tmp_path, capsys):
    file = write(tmp_path, COUNTER)
    before, after, diff = _propose(file, "count", "counts[word] = counts.get(word, 0) + 1")
    assert "+    counts_part = {}" in diff
    assert "+counts_lock = threading.Lock()" in diff
    assert "+            counts[key] = counts.get(key, 0) + value" in diff
    patched = tmp_path / "patched.py"
    lines = open(file).read().splitlines(keepends=True)
    src = load(file)
    f = finding(file, "count", Strategy.per_thread_data, threads=4)
    line = next(i for i, row in enumerate(lines, 1) if "counts.get" in row)
    site = site_at(src, clues_for(f, _hotspot(file, "count", line)), line)
    patched.write_text("".join(apply(lines, rewrite(src, site, {}))))
    assert _run(file, capsys) == _run(patched, capsys)


def test_append_and_add_merge_with_extend_and_update(tmp_path):
    appends = write(
        tmp_path,
        """
        import threading

        results = []


        def work(n):
            for i in range(n):
                results.append(i * i)
        """,
        "appends.py",
    )
    assert "+        results.extend(results_part)" in _propose(appends, "work", "results.append")[2]
    adds = write(
        tmp_path,
        """
        seen = set()


        def work(items):
            for item in items:
                seen.add(item)
        """,
        "adds.py",
    )
    diff = _propose(adds, "work", "seen.add")[2]
    assert "+        seen.update(seen_part)" in diff and "+import threading" in diff


def test_plus_equals_only_on_a_counter_that_adds_missing_keys(tmp_path):
    counter = write(
        tmp_path,
        """
        from collections import Counter

        counts = Counter()


        def count(words):
            for word in words:
                counts[word] += 1
        """,
        "counter.py",
    )
    assert "+    counts_part = Counter()" in _propose(counter, "count", "counts[word] += 1")[2]
    plain = write(tmp_path, counter_text := open(counter).read().replace("Counter()", "{}"), "plain.py")
    assert "{}" in counter_text
    assert "Counter or defaultdict(int)" in _refused(plain, "count", "counts[word] += 1")


@pytest.mark.parametrize(
    "code, why",
    [
        (  # the function reads the shared dict elsewhere: it would see only its own part at the end
            """
            counts = {}

            def count(words):
                for word in words:
                    counts[word] = counts.get(word, 0) + 1
                return len(counts)
            """,
            "elsewhere",
        ),
        (  # one update per call: the part per call would be merged per call
            """
            counts = {}

            def count(word):
                counts[word] = counts.get(word, 0) + 1
            """,
            "not in a loop",
        ),
        (  # a parameter: which object it is, and whether it starts empty, is not in this file
            """
            def count(counts, words):
                for word in words:
                    counts[word] = counts.get(word, 0) + 1
            """,
            "module-level",
        ),
        (  # overwriting a value is not a counter: the merge could not tell which write wins
            """
            latest = {}

            def record(events):
                for key, value in events:
                    latest[key] = value
            """,
            "merge other updates by hand",
        ),
        (  # an exception caught inside: the merge must run on every way out
            """
            counts = {}

            def count(words):
                for word in words:
                    try:
                        counts[word] = counts.get(word, 0) + 1
                    except TypeError:
                        pass
            """,
            "every way out",
        ),
    ],
)
def test_unsafe_shapes_get_no_diff(tmp_path, code, why):
    file = write(tmp_path, code)
    text = next(t for t in ("counts[word] =", "latest[key] =") if t in textwrap.dedent(code))
    function = "record" if "record" in code else "count"
    assert why in _refused(file, function, text)


def test_a_function_called_per_item_is_refused_from_measured_calls(tmp_path):
    file = write(tmp_path, COUNTER)
    why = _refused(file, "count", "counts.get", {"measured": {"count": (4000, False)}, "threads": 4})
    assert "4000 times in 4 threads" in why


def test_shared_update_at_names_the_object_and_the_read_modify_write(tmp_path):
    file = write(
        tmp_path,
        """
        import threading

        counts = {}
        lock = threading.Lock()
        total = 0


        def count(words, out):
            global total
            mine = {}
            for word in words:
                counts[word] = counts.get(word, 0) + 1
                mine[word] = mine.get(word, 0) + 1
                out.append(word)
                total += 1
                with lock:
                    counts[word] += 1
        """,
    )
    lines = open(file).read().splitlines()

    def at(text):
        return shared_update_at(file, next(i for i, row in enumerate(lines, 1) if text in row))

    shared = at("counts[word] = counts.get")
    assert (shared.name, shared.scope, shared.read_modify_write, shared.under_lock) == (
        "counts",
        "global",
        True,
        False,
    )
    local = at("mine[word] =")
    assert (local.scope, local.read_modify_write) == ("local", True)
    appended = at("out.append")
    assert (appended.name, appended.scope, appended.read_modify_write) == ("out", "parameter", False)
    counter = at("total += 1")
    assert (counter.name, counter.scope, counter.read_modify_write) == ("total", "global", True)
    assert at("counts[word] += 1").under_lock
    assert shared_update_at(file, 1) is None  # an import changes nothing
    assert shared_update_at(str(tmp_path / "missing.py"), 3) is None
