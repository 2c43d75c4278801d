"""A ProcessPoolExecutor whose workers do all the CPU work; the main process only waits for results.

simulate() is pure Python and runs only in the worker processes, already in parallel on
all cores; the parent's run_all() just waits on the futures. A profiler has to follow the
workers to see the hot code, and must not tell the parent to fix its waiting.
Expected: hotspot simulate (in the workers) -> cpu; run_all gets no warning.
"""
import os
from concurrent.futures import ProcessPoolExecutor


def simulate(seed, steps=5_000_000):
    x = seed
    hits = 0
    for _ in range(steps):
        x = (x * 1_103_515_245 + 12_345) % 2_147_483_648
        if x < 1_073_741_824:
            hits += 1
    return hits


def run_all(seeds):
    with ProcessPoolExecutor(max_workers=os.cpu_count()) as pool:
        return list(pool.map(simulate, seeds))


if __name__ == "__main__":
    print(run_all(range(4)))
