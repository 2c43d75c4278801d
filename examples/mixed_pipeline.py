"""A pipeline stage that alternates CPU work and waiting, roughly half and half.

handle() parses a batch with an inline pure-Python loop, then waits for a slow store to
accept the result (time.sleep). Neither half dominates: the function is mixed, and the
waits could overlap the next batch's parsing.
Expected: hotspot handle -> mixed; advice threads (overlap the waits with the CPU work),
asyncio or multiprocessing.
"""
import time


def handle(batch, size=400_000):
    total = 0
    for i in range(size):             # parse: about 20 ms of pure Python
        total = (total * 3 + i + batch) % 65_521
    time.sleep(0.02)                  # store: about 20 ms of waiting
    return total


def pipeline(n):
    return [handle(b) for b in range(n)]


if __name__ == "__main__":
    results = pipeline(30)
    print(len(results), sum(results))
