"""After-version of cpu_python.py: the range is split into chunks scored in a ProcessPoolExecutor.

Same output; each process has its own GIL, so the chunks run on all cores.
"""
import os
from concurrent.futures import ProcessPoolExecutor


def collatz_len(n):
    steps = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps


def best_in(bounds):
    lo, hi = bounds
    best = max(range(lo, hi), key=collatz_len)
    return best, collatz_len(best)


def longest_chain(lo, hi, parts=8):
    step = -(-(hi - lo) // parts)
    chunks = [(a, min(a + step, hi)) for a in range(lo, hi, step)]
    with ProcessPoolExecutor(max_workers=os.cpu_count()) as pool:
        results = list(pool.map(best_in, chunks))
    return max(results, key=lambda r: r[1])     # first maximum, as max() over the whole range


if __name__ == "__main__":
    print("longest chain below 250000: n=%d, %d steps" % longest_chain(1, 250_000))
