"""A pure-Python loop that keeps one core busy while holding the GIL.

collatz_len() counts Collatz steps for every number below a limit, one bytecode at a
time: the whole run is CPU-bound interpreter work in the user's own function.
Expected: hotspot collatz_len -> cpu; advice multiprocessing (split the range over
processes, see after/cpu_python.py) or cython.
"""


def collatz_len(n):
    steps = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps


def longest_chain(lo, hi):
    best = max(range(lo, hi), key=collatz_len)
    return best, collatz_len(best)


if __name__ == "__main__":
    print("longest chain below 250000: n=%d, %d steps" % longest_chain(1, 250_000))
