"""Thin harness around a library call: json.dumps / json.loads of big objects in 4 threads.

The C encoder and decoder hold the GIL, so the threads take turns. Used by benchmarks/realworld.py;
prints lengths so a patched copy can be checked.
"""
from concurrent.futures import ThreadPoolExecutor
import json

DOC = {f"k{i}": {"id": i, "name": f"item-{i}", "tags": ["a", "b", str(i)], "score": i * 0.5}
       for i in range(60_000)}


def roundtrip(n):
    text = json.dumps(DOC)
    back = json.loads(text)
    return len(text) + len(back) + n


with ThreadPoolExecutor(max_workers=4) as pool:
    for value in pool.map(roundtrip, range(6)):
        print(value)
