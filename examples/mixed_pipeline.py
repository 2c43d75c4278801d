"""A pipeline stage that alternates CPU work and waiting, roughly half and half.

handle() parses a batch with an inline pure-Python loop, then waits for a slow store to
accept the result (time.sleep). Neither half dominates: the function is mixed, and the
waits could overlap the next batch's parsing.
Expected: hotspot handle -> mixed; advice threads (overlap the waits with the CPU work),
asyncio or multiprocessing.
"""
import time


def handle(batch, cpu_s=0.017):
    total, i = 0, 0
    start = time.thread_time()
    while time.thread_time() - start < cpu_s:   # parse: 17 ms of CPU, on any machine
        for _ in range(2_000):
            total = (total * 3 + i + batch) % 65_521
            i += 1
    time.sleep(0.023)                 # store: 23 ms of waiting
    return batch


def pipeline(n):
    return [handle(b) for b in range(n)]


if __name__ == "__main__":
    results = pipeline(30)
    print(len(results), sum(results))
