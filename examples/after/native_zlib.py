"""After-version of native_zlib.py: the zlib calls run in a ThreadPoolExecutor.

Same output; zlib releases the GIL inside compress(), so the threads compress in parallel.
"""
import os
import random
import zlib
from concurrent.futures import ThreadPoolExecutor

TABLE = bytes(b"abcdefghijklmnop"[i % 16] for i in range(256))


def make_blobs(count, size):
    return [random.Random(i).randbytes(size).translate(TABLE) for i in range(count)]


def compress(blob):
    return zlib.compress(blob, 6)


def compress_all(blobs):
    with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        return list(pool.map(compress, blobs))


if __name__ == "__main__":
    packed = compress_all(make_blobs(12, 4_000_000))
    print(len(packed), sum(len(p) for p in packed), zlib.crc32(b"".join(packed)))
