"""Thin harness around a library call: C pickle dumps / loads of big objects in 4 threads.

_pickle holds the GIL, so the threads take turns. Used by benchmarks/realworld.py; prints lengths so a
patched copy can be checked.
"""
from concurrent.futures import ThreadPoolExecutor
import pickle

DATA = [{"id": i, "name": f"row-{i}", "values": list(range(i % 50)), "ratio": i / 7} for i in range(120_000)]


def roundtrip(n):
    blob = pickle.dumps(DATA, protocol=pickle.HIGHEST_PROTOCOL)
    back = pickle.loads(blob)
    return len(blob) + len(back) + n


with ThreadPoolExecutor(max_workers=4) as pool:
    for value in pool.map(roundtrip, range(4)):
        print(value)
