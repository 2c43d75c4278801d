"""No diff that changes what the program does: each unsafe pattern gets no diff and says what must hold.

Each test writes a small program, locates the construct as the pipeline does, and checks that propose()
refuses (NoRewrite with change_requires sentences), or, for the safe variants, that the diff applies and compiles.
"""

from dataclasses import replace

import pytest
from advice_support import advise, finding, hotspot, line_of, located, write

from gilscope.advice import NoRewrite, clues_for, enrich, propose
from gilscope.model import Frame, Kind, Profile, Strategy

S = Strategy


def refused(file, function, strategy, kind=Kind.cpu, blockers=None, ctx=None, **evidence):
    """The requirement sentences of a construct that is found but gets no diff."""
    f, h, where, lines = located(file, function, strategy, kind, blockers, **evidence)
    with pytest.raises(NoRewrite) as info:
        propose(f, where, lines, clues_for(f, h), ctx)
    assert info.value.requires, f"refused without saying what must hold: {info.value}"
    return " | ".join(info.value.requires)


# ---- processes ---------------------------------------------------------------------------------------------
def test_bound_method_mutating_self_is_not_sent_to_processes(tmp_path):  # pyperformance go
    file = write(
        tmp_path,
        """
        class Board:
            def __init__(self):
                self.stones = 0

            def move(self, pos):
                for i in range(pos * 1000):
                    pos = (pos * 7 + i) % 97
                self.stones += pos

            def replay(self, history):
                for pos in history:
                    self.move(pos)


        b = Board()
        b.replay(range(50))
        print(b.stones)
    """,
    )
    needs = refused(file, "Board.move", S.multiprocessing)
    assert "must not be a bound method" in needs and "never reaches the parent" in needs


def test_thread_target_appending_to_a_parent_list_stays_a_thread(tmp_path):
    file = write(
        tmp_path,
        """
        import threading

        RESULTS = []


        def crunch(n):
            total = 0
            for i in range(n):
                total += i * i
            RESULTS.append(total)


        def main():
            threads = [threading.Thread(target=crunch, args=(n,)) for n in (10**5, 2 * 10**5)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            print(sorted(RESULTS))


        main()
    """,
    )
    needs = refused(file, "crunch", S.multiprocessing, Kind.gil)
    assert "RESULTS" in needs and "another process" in needs


def test_lambda_nested_def_and_unpicklable_arguments_are_not_sent_to_processes(tmp_path):
    file = write(
        tmp_path,
        """
        import threading
        from concurrent.futures import ThreadPoolExecutor
        from functools import partial

        LOCK = threading.Lock()


        def work(lock, n):
            return sum(range(n))


        def run(ns):
            def inner(n):
                return work(None, n)
            with ThreadPoolExecutor(4) as pool:
                a = list(pool.map(lambda n: work(None, n), ns))
                b = list(pool.map(inner, ns))
                c = list(pool.map(partial(work, LOCK), ns))
            return a, b, c


        print(run([10, 20]))
    """,
    )
    needs = refused(file, "work", S.multiprocessing, Kind.gil)
    assert "not a lambda" in needs
    assert "not one defined inside run()" in needs
    assert "LOCK cannot be sent to another process" in needs


def test_worker_reading_a_global_set_under_the_main_guard_gets_no_process_pool(tmp_path):
    file = write(
        tmp_path,
        """
        from concurrent.futures import ThreadPoolExecutor


        def scale(n):
            return n * FACTOR


        def run(ns):
            with ThreadPoolExecutor(2) as pool:
                return list(pool.map(scale, ns))


        if __name__ == "__main__":
            FACTOR = 3
            print(run([1, 2]))
    """,
    )
    assert "FACTOR must be set at module level" in refused(file, "scale", S.multiprocessing, Kind.gil)


def test_thread_pool_whose_tasks_mutate_a_parameter_gets_no_process_pool(tmp_path):
    file = write(
        tmp_path,
        """
        from concurrent.futures import ThreadPoolExecutor


        def fill(row):
            for i in range(1000):
                row.append(i * i)


        def run(rows):
            with ThreadPoolExecutor(2) as pool:
                list(pool.map(fill, rows))
            return rows


        print(len(run([[], []])[0]))
    """,
    )
    assert "must not change row (append())" in refused(file, "fill", S.multiprocessing, Kind.gil)


# ---- the pool is created once ---------------------------------------------------------------------------
POOL_PER_CALL = """
    def square(x):
        return x * x


    def squares(n):
        return [square(i) for i in range(n)]


    def main():
        total = 0
        for k in range(2000):
            total += sum(squares(k % 50))
        print(total)


    main()
"""


def test_no_pool_inside_a_function_called_in_a_loop(tmp_path):
    file = write(tmp_path, POOL_PER_CALL)
    needs = refused(file, "square", S.multiprocessing)
    assert "must be created once" in needs and "squares()" in needs and "main()" in needs


SQUARES_ONCE = """
        def square(x):
            return x * x


        def squares(n):
            return [square(i) for i in range(n)]


        print(sum(squares(100)))
"""


def test_no_pool_inside_a_function_measured_to_run_many_times(tmp_path):
    file = write(tmp_path, SQUARES_ONCE)
    advise(file, "square", S.multiprocessing)  # statically called once: a diff
    needs = refused(file, "square", S.multiprocessing, ctx={"measured": {"squares": (40, False)}})
    assert "squares() ran 40 times in this run" in needs


def test_measured_invocations_reach_the_check_through_enrich(tmp_path):
    file = write(tmp_path, SQUARES_ONCE)
    frames = [Frame(function="squares", file=file, line=5, user=True)]
    profile = Profile(
        engine="auto", interval_s=0.005, wall_s=1.0, cpu_s=1.0, frames=frames, invocations={0: 7}
    )
    (out,) = enrich([finding(file, "square", S.multiprocessing)], [hotspot(file, "square")], profile)
    assert out.change_at is not None and not out.diff
    assert any("ran 7 times" in r for r in out.change_requires)


def test_thread_pool_created_per_call_is_not_made_a_process_pool(tmp_path):
    file = write(
        tmp_path,
        """
        from concurrent.futures import ThreadPoolExecutor


        def spin(n):
            return sum(i * i for i in range(n))


        def batch(ns):
            with ThreadPoolExecutor(2) as pool:
                return list(pool.map(spin, ns))


        for k in range(100):
            batch([k, k + 1])
    """,
    )
    needs = refused(file, "spin", S.multiprocessing, Kind.gil)
    assert "must be created once" in needs and "inside the loop at line" in needs


# ---- threads ------------------------------------------------------------------------------------------------
def test_thread_pool_loop_appending_to_a_shared_list_keeps_its_order(tmp_path):
    file = write(
        tmp_path,
        """
        import time


        def load(n):
            rows = []
            for i in range(n):
                time.sleep(0.001)
                rows.append(i * 10)
            return rows


        print(load(5))
    """,
    )
    assert "must not change rows (append())" in refused(file, "load", S.threads, Kind.io, {"time.sleep": 1.0})


def test_loop_carried_names_attributes_subscripts_and_exits_get_no_step_function(tmp_path):
    file = write(
        tmp_path,
        """
        import time


        class Stats:
            count = 0


        def carried(n, stats, seen):
            prev = 0
            for i in range(n):
                time.sleep(0.001)
                delta = i - prev
                prev = i
                stats.count = delta
                seen[i] = delta


        def leaves(n):
            for i in range(n):
                time.sleep(0.001)
                if i > 2:
                    break


        carried(5, Stats(), {})
        leaves(5)
    """,
    )
    needs = refused(file, "carried", S.threads, Kind.io, {"time.sleep": 1.0})
    assert "prev must not be carried from one iteration to the next" in needs
    assert "must not set stats.count" in needs and "must not set seen[i]" in needs
    assert "must not break" in refused(file, "leaves", S.threads, Kind.io, {"time.sleep": 1.0})


def test_global_declarations_and_unknown_library_calls_get_no_diff(tmp_path):
    file = write(
        tmp_path,
        """
        import subprocess

        DONE = 0


        def run_job(i):
            global DONE
            DONE += 1
            return subprocess.run(["true"]).returncode


        def run_all(n):
            return [run_job(i) for i in range(n)]


        print(run_all(3))
    """,
    )
    needs = refused(file, "run_job", S.threads, Kind.io, waits=3)
    assert "must not declare DONE global" in needs and "subprocess.run()" in needs


def test_pure_library_calls_on_fresh_objects_keep_their_diff(tmp_path):
    file = write(
        tmp_path,
        """
        import hashlib


        def digest(blob):
            h = hashlib.sha256()
            h.update(blob)
            return h.hexdigest().upper()


        def digest_all(blobs):
            out = []
            for b in blobs:
                out.append(digest(b))
            return out


        print(digest_all([b"a", b"b"]))
    """,
    )
    _, _, after, _, _ = advise(file, "digest", S.threads, Kind.io, waits=2)
    assert "out.extend(pool.map(digest, blobs))" in after


def test_condition_on_the_items_is_kept_before_the_pool(tmp_path):
    file = write(
        tmp_path,
        """
        import time


        def fetch(i):
            time.sleep(0.001)
            return 100 // i


        def run(n):
            return [fetch(i) for i in range(n) if i != 0]


        def run2(n):
            return [fetch(i) + 1 for i in range(n) if i != 0]


        print(run(5), run2(5))
    """,
    )
    _, _, after, _, _ = advise(file, "fetch", S.threads, Kind.io, waits=5)
    assert "pool.map(fetch, (i for i in range(n) if i != 0))" in after
    from gilscope.advice.constructs import site_at
    from gilscope.advice.source import load

    src = load(file)
    f, h = finding(file, "fetch", S.threads, waits=5), hotspot(file, "fetch", Kind.io)
    site = site_at(src, clues_for(f, h), line_of(file, "fetch(i) + 1"))
    from gilscope.advice.change import rewrite

    with pytest.raises(NoRewrite) as info:
        rewrite(src, site, {})
    assert "would run on the items the condition skips" in info.value.requires[0]


# ---- coroutines ------------------------------------------------------------------------------------------------
def test_coroutine_function_in_a_generator_expression_is_never_wrapped_in_to_thread(tmp_path):
    file = write(
        tmp_path,
        """
        import asyncio


        async def fetch(i):
            return sum(range(i * 1000))


        def crunch(i):
            return sum(range(i))


        async def main():
            got = await asyncio.gather(*(fetch(i) for i in range(3)))
            total = sum(crunch(i) for i in got)
            print(got, total)


        asyncio.run(main())
    """,
    )
    needs = refused(file, "fetch", S.offload, Kind.cpu)
    assert "not inside a comprehension or generator expression" in needs and "coroutine function" in needs
    assert "not inside a comprehension or generator expression" in refused(
        file, "crunch", S.offload, Kind.cpu
    )


def test_coroutine_function_called_directly_is_not_wrapped_in_to_thread(tmp_path):
    file = write(
        tmp_path,
        """
        import asyncio


        async def fetch(i):
            return i


        async def main():
            coro = fetch(1)
            print(await coro)


        asyncio.run(main())
    """,
    )
    assert "must not be a coroutine function" in refused(file, "fetch", S.offload, Kind.io)


def test_sleep_in_a_coroutine_that_changes_shared_state_is_not_made_awaitable(tmp_path):
    file = write(
        tmp_path,
        """
        import asyncio
        import time

        LOG = []


        async def step(i):
            time.sleep(0.001)
            LOG.append(i)


        async def main():
            await asyncio.gather(*(step(i) for i in range(3)))
            print(LOG)


        asyncio.run(main())
    """,
    )
    assert "must not change LOG (append())" in refused(file, "step", S.asyncio, Kind.io, {"time.sleep": 1.0})


def test_await_in_a_longer_expression_gets_parentheses(tmp_path):
    file = write(
        tmp_path,
        """
        import asyncio


        def lookup(i):
            return {"v": i}


        async def main():
            print(lookup(3)["v"])


        asyncio.run(main())
    """,
    )
    _, _, after, _, _ = advise(file, "lookup", S.offload, Kind.io)
    assert 'print((await asyncio.to_thread(lookup, 3))["v"])' in after


# ---- locks and chunks ------------------------------------------------------------------------------------------
def test_slow_call_that_changes_what_the_lock_guards_stays_under_it(tmp_path):
    file = write(
        tmp_path,
        """
        import threading
        import time

        LOCK = threading.Lock()
        CACHE = {}


        def slow(key):
            time.sleep(0.01)
            CACHE.clear()
            return key


        def refresh(key):
            with LOCK:
                CACHE[key] = slow(key)


        refresh(1)
    """,
    )
    needs = refused(file, "refresh", S.lock_scope, Kind.lock, lock_holder="slow")
    assert "must not change CACHE (clear())" in needs and "without the lock" in needs


def test_chunksize_from_len_of_an_iterator_is_not_offered(tmp_path):
    file = write(
        tmp_path,
        """
        from concurrent.futures import ProcessPoolExecutor


        def f(x):
            return x + 1


        def run(items):
            with ProcessPoolExecutor(4) as pool:
                return list(pool.map(f, items))


        if __name__ == "__main__":
            print(run(iter(range(10))))
    """,
    )
    assert "must be a list, tuple or range" in refused(file, "run", S.batching, Kind.lock)


# ---- one finding per change ---------------------------------------------------------------------------------
def test_hot_methods_under_one_loop_become_one_finding_with_the_summed_estimate(tmp_path):
    from gilscope.engine.speedup import estimate
    from gilscope.model import Facts

    file = write(
        tmp_path,
        """
        class Tracer:
            def intersect(self, x):
                return x * 3

            def shade(self, x):
                return x + 1

            def render(self, n):
                out = []
                for x in range(n):
                    out.append(self.shade(self.intersect(x)))
                return out


        Tracer().render(10)
    """,
    )
    facts = [
        Facts(
            function="Tracer.intersect",
            file=file,
            line=2,
            kind="cpu",
            share_of_wall=0.3,
            cpu_count=4,
            run_wall_s=2.0,
        ),
        Facts(
            function="Tracer.shade",
            file=file,
            line=5,
            kind="cpu",
            share_of_wall=0.2,
            cpu_count=4,
            run_wall_s=2.0,
        ),
    ]
    findings = [replace(finding(file, f.function, S.multiprocessing), line=f.line) for f in facts]
    hotspots = [replace(hotspot(file, f.function), line=f.line) for f in facts]
    out = enrich(findings, hotspots, None, facts)
    assert len(out) == 1, [(f.function, f.change_at) for f in out]
    (one,) = out
    assert one.function == "Tracer.intersect" and "Tracer.shade()" in one.message
    assert not one.diff and one.change_requires  # bound methods: no process pool
    want = estimate(S.multiprocessing, replace(facts[0], share_of_wall=0.5))
    assert one.estimated_speedup == want
