"""After-version of pool_tiny_tasks.py: chunksize=1 replaced by a big chunksize.

Same output; each message to a worker now carries thousands of numbers.
"""
import multiprocessing


def square(x):
    return x * x


def sum_squares(n):
    with multiprocessing.Pool(processes=2) as pool:
        return sum(pool.map(square, range(n), chunksize=10_000))


if __name__ == "__main__":
    print(sum_squares(70_000))
