"""Thin harness around a library call (not a program we designed): hashlib.sha256 over large buffers in 4 threads.

hashlib releases the GIL for buffers over 2 KiB, so the threads run in parallel C code.
Used by benchmarks/realworld.py; prints the digests so a patched copy can be checked.
"""
from concurrent.futures import ThreadPoolExecutor
import hashlib

BUFFERS = [bytes([i]) * (24 * 1024 * 1024) for i in range(8)]


def digest(buf):
    h = hashlib.sha256()
    for _ in range(12):
        h.update(buf)
    return h.hexdigest()


with ThreadPoolExecutor(max_workers=4) as pool:
    for d in pool.map(digest, BUFFERS):
        print(d[:16])
