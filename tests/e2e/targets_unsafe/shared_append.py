"""A loop of waits whose body appends to a list shared by every iteration.

Run as a thread pool's step function, the appends would land in whatever order the threads finish.
"""

import time


def load(n):
    rows = []
    for i in range(n):  # unsafe: the body appends to rows
        time.sleep(0.02 if i % 2 else 0.03)
        rows.append(i * 10)
    return rows


if __name__ == "__main__":
    print(load(30))
