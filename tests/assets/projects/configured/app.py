"""A short CPU-bound run that notes each time it runs (the tests check it ran exactly once)."""
import time

with open("runs.txt", "a", encoding="utf-8") as log:
    log.write("ran\n")


def spin(seconds: float) -> int:
    end, n = time.perf_counter() + seconds, 0
    while time.perf_counter() < end:
        n += 1
    return n


if __name__ == "__main__":
    spin(0.3)
