"""multiprocessing.Pool.map over many tiny tasks with chunksize=1: the overhead between processes dominates.

Each task (squaring one number) takes well under a microsecond, but sending it to a
worker and getting the answer back costs tens of microseconds of pickling, pipe writes
and wake-ups, in the parent's handler threads and in the workers alike.
Expected: hotspot sum_squares -> lock (the parent waits for the results), io or mixed; advice
batching (a big chunksize, see after/pool_tiny_tasks.py).
"""
import multiprocessing


def square(x):
    return x * x


def sum_squares(n):
    with multiprocessing.Pool(processes=2) as pool:
        return sum(pool.map(square, range(n), chunksize=1))


if __name__ == "__main__":
    print(sum_squares(70_000))
