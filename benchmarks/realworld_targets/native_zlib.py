"""Thin harness around a library call: zlib.compress of large buffers in 4 threads (zlib releases the GIL).

Used by benchmarks/realworld.py; prints sizes and CRCs so a patched copy can be checked.
"""
from concurrent.futures import ThreadPoolExecutor
import random
import zlib

rng = random.Random(12)
LETTERS = bytes.maketrans(bytes(range(256)), b"abcdefghijklmno " * 16)   # 16 symbols: compressible text
BUFFERS = [rng.randbytes(12 * 1024 * 1024).translate(LETTERS) for _ in range(4)]


def pack(buf):
    out = zlib.compress(buf, 6)
    return len(out), zlib.crc32(out)


with ThreadPoolExecutor(max_workers=4) as pool:
    for size, crc in pool.map(pack, BUFFERS):
        print(size, crc)
