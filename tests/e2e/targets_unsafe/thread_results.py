"""GIL-bound threads whose target writes its result into a list of the parent.

As multiprocessing.Process the results would land in the children's copies: the parent's list stays empty.
"""

import threading

RESULTS = []


def crunch(seed):
    h = seed
    for i in range(600_000):
        h = (h * 31 + i) % 1_000_003
    RESULTS.append(h)


def run_all():
    threads = [
        threading.Thread(target=crunch, args=(s,)) for s in range(4)
    ]  # unsafe: crunch appends to RESULTS
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(sorted(RESULTS))


if __name__ == "__main__":
    run_all()
