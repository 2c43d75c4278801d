"""Recurses 5000 frames deep and spends a while at the bottom."""

import sys
import time

sys.setrecursionlimit(20_000)


def down(n):
    if n == 0:
        end = time.perf_counter() + 0.5
        while time.perf_counter() < end:
            sum(range(500))
        return 0
    return down(n - 1) + 1


print("depth", down(5000), flush=True)
