"""Loads rows from a slow source, then dies with an uncaught ValueError while parsing them.

A profiler must still write its report, record exit status 1 and the exception, and keep
the hotspot found before the crash; the traceback goes to stderr as usual.
Expected: hotspot load_rows -> io; run.exit_code 1.
"""
import time


def load_rows(n):
    rows = []
    for i in range(n):
        time.sleep(0.04)              # stands for a slow read
        rows.append("%d,%s" % (i, "x" if i == 13 else i * 10))
    return rows


def parse(rows):
    return [(int(a), int(b)) for a, b in (row.split(",") for row in rows)]


if __name__ == "__main__":
    rows = load_rows(25)
    print(f"loaded {len(rows)} rows")
    print(sum(b for _, b in parse(rows)))
