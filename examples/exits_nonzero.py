"""Does some CPU work, then exits with status 3 through sys.exit, as a failing check would.

A profiler must still write its report, record the target's exit status (3) and keep
the hotspot found before the exit.
Expected: hotspot validate -> cpu; run.exit_code 3.
"""
import sys


def validate(n):
    bad = 0
    for i in range(n):
        if (i * 2_654_435_761) % 4_294_967_296 < 4_294_967:
            bad += 1
    return bad


if __name__ == "__main__":
    bad = validate(14_000_000)
    print(f"{bad} invalid records")
    sys.exit(3)
