"""Compresses large in-memory buffers with zlib in one thread; zlib releases the GIL while it works.

The time is spent inside zlib's C code with the GIL released, so the process could run
several compressions at once on several cores, yet it runs them one after another.
Expected: hotspot compress_all -> native; advice threads (a ThreadPoolExecutor of zlib
calls, see after/native_zlib.py).
"""
import random
import zlib

# 16 letters: compressible, but not trivially (about 2:1)
TABLE = bytes(b"abcdefghijklmnop"[i % 16] for i in range(256))


def make_blobs(count, size):
    return [random.Random(i).randbytes(size).translate(TABLE) for i in range(count)]


def compress_all(blobs):
    return [zlib.compress(b, 6) for b in blobs]


if __name__ == "__main__":
    packed = compress_all(make_blobs(12, 4_000_000))
    print(len(packed), sum(len(p) for p in packed), zlib.crc32(b"".join(packed)))
