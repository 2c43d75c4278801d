"""After-version of gil_threads.py: ThreadPoolExecutor replaced by ProcessPoolExecutor.

Same output; each worker process has its own GIL, so the checksums run on all cores.
"""
from concurrent.futures import ProcessPoolExecutor


def checksum(seed, n=4_000_000):
    h = seed
    for i in range(n):
        h = (h * 31 + i) % 1_000_003
    return h


def checksum_all(seeds):
    with ProcessPoolExecutor(max_workers=4) as pool:
        return list(pool.map(checksum, seeds))


if __name__ == "__main__":
    print(checksum_all(range(1, 9)))
