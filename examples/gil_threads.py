"""A thread pool of pure-Python work: four threads, but the GIL lets only one run bytecode at a time.

The threads take turns on the GIL, so the process uses about one core however many
threads it has, and each thread spends most of its time queuing for the GIL.
Expected: hotspot checksum -> gil (or cpu); advice multiprocessing (a ProcessPoolExecutor,
see after/gil_threads.py) or free-threading.
"""
from concurrent.futures import ThreadPoolExecutor


def checksum(seed, n=4_000_000):
    h = seed
    for i in range(n):
        h = (h * 31 + i) % 1_000_003
    return h


def checksum_all(seeds):
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(checksum, seeds))


if __name__ == "__main__":
    print(checksum_all(range(1, 9)))
