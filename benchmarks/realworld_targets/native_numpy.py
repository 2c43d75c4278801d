"""Thin harness around a library call: numpy matrix products and FFTs in 4 threads.

numpy releases the GIL inside its kernels (BLAS matmul, pocketfft). Used by benchmarks/realworld.py;
prints rounded checksums so a patched copy can be checked.
"""
from concurrent.futures import ThreadPoolExecutor
import numpy as np


def work(seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((700, 700))
    total = 0.0
    for _ in range(6):
        a = a @ a.T
        a /= np.abs(a).max()
        total += float(np.abs(np.fft.fft2(a)).sum())
    return round(total, 3)


with ThreadPoolExecutor(max_workers=4) as pool:
    for value in pool.map(work, range(8)):
        print(value)
