"""locate + propose on small snippets: each construct is found at its line, and the diff applies and compiles."""

from advice_support import advise, finding, hotspot, line_of, write

from gilscope.advice import enrich, locate
from gilscope.model import Kind, Strategy

S = Strategy


def test_thread_pool_feeding_cpu_work_becomes_a_process_pool_with_a_main_guard(tmp_path):
    file = write(
        tmp_path,
        """
        from concurrent.futures import ThreadPoolExecutor


        def score(row):
            return sum(i * i for i in range(row))


        def score_all(rows):
            with ThreadPoolExecutor(max_workers=4) as pool:
                return list(pool.map(score, rows))


        print(score_all(range(8)))
    """,
    )
    where, before, after, diff, new = advise(file, "score", S.multiprocessing, Kind.gil)
    assert where.line == line_of(file, "ThreadPoolExecutor(max_workers=4)")
    assert where.function == "score_all" and "ThreadPoolExecutor" in where.code
    assert "ProcessPoolExecutor(max_workers=4)" in after and "ThreadPoolExecutor" in before
    assert "from concurrent.futures import ProcessPoolExecutor" in new and "ThreadPoolExecutor" not in new
    assert 'if __name__ == "__main__":\n    print(score_all(range(8)))' in new
    assert diff.startswith(f"--- a/{file.lstrip('/')}") or diff.startswith("--- a/")


def test_pool_fed_through_a_wrapper_and_the_guard_kept_when_present(tmp_path):
    file = write(
        tmp_path,
        """
        import concurrent.futures


        def crunch(n):
            return sum(range(n))


        def job(n):
            return crunch(n) + 1


        def main():
            pool = concurrent.futures.ThreadPoolExecutor(8)
            futures = [pool.submit(job, n) for n in range(10)]
            return [f.result() for f in futures]


        if __name__ == "__main__":
            main()
    """,
    )
    where, _, _, _, new = advise(file, "crunch", S.multiprocessing)
    assert where.line == line_of(file, "ThreadPoolExecutor(8)")
    assert "concurrent.futures.ProcessPoolExecutor(8)" in new
    assert new.count("__main__") == 1


def test_threading_thread_becomes_a_process(tmp_path):
    file = write(
        tmp_path,
        """
        import threading


        def spin(n):
            total = 0
            for i in range(n):
                total += i % 3
            return total


        def run(k, n):
            threads = [threading.Thread(target=spin, args=(n,)) for _ in range(k)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()


        run(4, 1000)
    """,
    )
    where, _, after, _, new = advise(file, "spin", S.multiprocessing)
    assert where.line == line_of(file, "threading.Thread(")
    assert "multiprocessing.Process(target=spin, args=(n,))" in after
    assert "import multiprocessing\n" in new and 'if __name__ == "__main__":\n    run(4, 1000)' in new


def test_time_sleep_in_a_coroutine_becomes_await_asyncio_sleep(tmp_path):
    file = write(
        tmp_path,
        """
        import time


        async def fetch(i):
            time.sleep(0.05)            # blocks the loop
            return i
    """,
    )
    where, before, after, _, new = advise(file, "fetch", S.asyncio, Kind.io, {"time.sleep": 1.0})
    assert where.line == line_of(file, "time.sleep(0.05)")
    assert before == "time.sleep(0.05)            # blocks the loop"
    assert after == "await asyncio.sleep(0.05)   # blocks the loop"
    assert "import asyncio\n" in new.split("async def")[0]


def test_blocking_function_called_from_a_coroutine_goes_to_a_thread(tmp_path):
    file = write(
        tmp_path,
        """
        import asyncio
        import time


        def slow_query(i):
            time.sleep(0.05)
            return i


        async def worker(i):
            await asyncio.sleep(0)
            return slow_query(i)
    """,
    )
    where, _, after, _, _ = advise(file, "slow_query", S.offload, Kind.io, {"time.sleep": 1.0})
    assert (where.line, where.function) == (line_of(file, "return slow_query(i)"), "worker")
    assert after == "return await asyncio.to_thread(slow_query, i)"


def test_lock_held_across_the_holders_call_hoists_the_call(tmp_path):
    file = write(
        tmp_path,
        """
        import threading

        CACHE = {}
        GUARD = threading.Lock()


        def lookup(key):
            return key * 2


        def refresh(key):
            with GUARD:
                CACHE[key] = lookup(key)
                CACHE["n"] = len(CACHE)
    """,
    )
    where, _, _, _, new = advise(file, "refresh", S.lock_scope, Kind.lock, lock_holder="lookup")
    assert where.line == line_of(file, "with GUARD:")
    assert "    value = lookup(key)\n    with GUARD:\n        CACHE[key] = value\n" in new


def test_lock_whose_block_only_assigns_the_slow_result_moves_the_statement(tmp_path):
    file = write(
        tmp_path,
        """
        import threading
        import urllib.request

        lock = threading.RLock()


        def get(url, seen):
            with lock:
                body = urllib.request.urlopen(url).read()
                seen.add(url)
            return body
    """,
    )
    where, _, _, _, new = advise(file, "get", S.lock_scope, Kind.lock, {"urllib.request.urlopen": 1.0})
    assert where.line == line_of(file, "with lock:")
    assert "    body = urllib.request.urlopen(url).read()\n    with lock:\n        seen.add(url)\n" in new


def test_chunksize_one_gets_a_computed_chunksize(tmp_path):
    file = write(
        tmp_path,
        """
        import multiprocessing


        def square(x):
            return x * x


        def sum_squares():
            with multiprocessing.Pool(processes=2) as pool:
                return sum(pool.map(square, range(70_000), chunksize=1))
    """,
    )
    where, _, after, _, _ = advise(file, "sum_squares", S.batching, Kind.lock)
    assert where.line == line_of(file, "chunksize=1")
    assert "chunksize=8750" in after  # 70000 items / (4 chunks x 2 workers)


def test_imap_without_chunksize_gets_one_but_pool_map_does_not(tmp_path):
    file = write(
        tmp_path,
        """
        from concurrent.futures import ProcessPoolExecutor


        def f(x):
            return x + 1


        def run(n):
            items = [x * 2 for x in range(n)]
            with ProcessPoolExecutor(4) as pool:
                return list(pool.map(f, items))
    """,
    )
    where, _, after, _, _ = advise(file, "run", S.batching, Kind.lock)
    assert where.line == line_of(file, "pool.map(f, items)")
    assert "pool.map(f, items, chunksize=max(1, len(items) // (4 * 4)))" in after
    auto = write(
        tmp_path,
        """
        import multiprocessing


        def run(items):
            with multiprocessing.Pool() as pool:
                return pool.map(abs, items)
    """,
        "auto.py",
    )
    assert locate(finding(auto, "run", S.batching), hotspot(auto, "run", Kind.lock), None) is None


def test_sequential_comprehension_of_io_calls_becomes_a_thread_pool_map(tmp_path):
    file = write(
        tmp_path,
        """
        import time


        def fetch_page(i):
            time.sleep(0.04)
            return i


        def crawl(n):
            return [fetch_page(i) for i in range(n)]


        print(crawl(3))
    """,
    )
    where, _, after, _, new = advise(file, "fetch_page", S.threads, Kind.io, {"time.sleep": 1.0}, waits=30)
    assert (where.line, where.function) == (line_of(file, "return [fetch_page"), "crawl")
    assert (
        after
        == "with ThreadPoolExecutor(max_workers=10) as pool:\n    return list(pool.map(fetch_page, range(n)))"
    )
    assert "from concurrent.futures import ThreadPoolExecutor\n" in new


def test_for_loop_appending_results_becomes_extend_with_pool_map(tmp_path):
    file = write(
        tmp_path,
        """
        import time


        def run_job(i):
            time.sleep(0.01)
            return i * 2


        def run_all(n):
            codes = []
            for i in range(n):
                codes.append(run_job(i))
            return codes


        run_all(3)
    """,
    )
    where, _, after, _, _ = advise(file, "run_job", S.threads, Kind.io, waits=3)
    assert where.line == line_of(file, "for i in range(n):")
    assert (
        after
        == "with ThreadPoolExecutor(max_workers=3) as pool:\n    codes.extend(pool.map(run_job, range(n)))"
    )


def test_loop_of_blocking_calls_inside_the_hotspot_becomes_a_step_function(tmp_path):
    file = write(
        tmp_path,
        """
        import time


        def pauses(n):
            for i in range(n):
                delay = i / 1000
                time.sleep(delay)


        pauses(4)
    """,
    )
    where, _, after, _, _ = advise(file, "pauses", S.threads, Kind.io, {"time.sleep": 1.0}, waits=60)
    assert where.line == line_of(file, "for i in range(n):")
    assert (
        after.startswith("def step(i):\n    delay = i / 1000") and "list(pool.map(step, range(n)))" in after
    )


def test_native_loop_runs_in_threads_one_per_core(tmp_path):
    file = write(
        tmp_path,
        """
        import zlib


        def compress_all(blobs):
            return [zlib.compress(b, 6) for b in blobs]


        compress_all([b"x"])
    """,
    )
    where, _, after, _, new = advise(file, "compress_all", S.threads, Kind.native)
    assert where.line == line_of(file, "zlib.compress")
    assert "ThreadPoolExecutor(max_workers=os.cpu_count())" in after
    assert "pool.map(lambda b: zlib.compress(b, 6), blobs)" in after
    assert "import os\n" in new


def test_cpu_generator_with_a_condition_maps_over_processes(tmp_path):
    file = write(
        tmp_path,
        """
        def is_prime(n):
            return n > 1 and all(n % i for i in range(2, int(n ** 0.5) + 1))


        def count_primes(limit):
            return sum(1 for n in range(limit) if is_prime(n))


        print(count_primes(50))
    """,
    )
    where, _, after, _, new = advise(file, "is_prime", S.multiprocessing)
    assert where.line == line_of(file, "sum(1 for n")
    assert "zip(range(limit), pool.map(is_prime, range(limit), chunksize=" in after
    assert "from concurrent.futures import ProcessPoolExecutor" in new
    assert 'if __name__ == "__main__":\n    print(count_primes(50))' in new


def test_nothing_to_point_at_gives_no_location(tmp_path):
    file = write(
        tmp_path,
        """
        def crunch(n):
            return sum(i * i for i in range(n))
    """,
    )
    assert locate(finding(file, "crunch", S.cython), hotspot(file, "crunch"), None) is None
    assert locate(finding(file, "crunch", S.lock_scope), hotspot(file, "crunch", Kind.lock), None) is None
    assert locate(finding(str(tmp_path / "missing.py"), "x", S.threads), None, None) is None


def test_enrich_never_raises_and_leaves_unmatched_findings_alone(tmp_path):
    broken = write(tmp_path, "def f(:\n    pass\n", "broken.py")
    plain = finding(broken, "f", S.threads)
    assert enrich([plain], [], None) == [plain]
    file = write(
        tmp_path,
        """
        import time


        def fetch(i):
            time.sleep(0.01)


        def run():
            return [fetch(i) for i in range(5)]


        run()
    """,
    )
    (rich,) = enrich([finding(file, "fetch", S.threads, waits=5)], [hotspot(file, "fetch", Kind.io)], None)
    assert rich.change_at.line == line_of(file, "return [fetch(i)") and rich.diff.startswith("--- a/")
