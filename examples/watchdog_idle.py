"""Main-thread CPU work next to a daemon watchdog thread that sleeps in a loop.

watchdog() wakes every 50 ms to check that the main thread's heartbeat moved, for the
whole run, so it is "alive" as long as the program, but it is idle background work: a
profiler must not flag it. The real hotspot is crunch(), pure Python on the main thread.
Expected: hotspot crunch -> cpu, advice multiprocessing or cython; watchdog gets no warning.
"""
import threading
import time

HEARTBEAT = [0]
STALLS = [0]


def watchdog(interval=0.05):
    last = -1
    while True:
        time.sleep(interval)
        if HEARTBEAT[0] == last:
            STALLS[0] += 1            # counted, never printed: the count depends on timing
        last = HEARTBEAT[0]


def crunch(n):
    acc = 0
    for i in range(n):
        acc = (acc + i * i) % 999_983
        if i % 100_000 == 0:
            HEARTBEAT[0] += 1
    return acc


if __name__ == "__main__":
    threading.Thread(target=watchdog, name="watchdog", daemon=True).start()
    print(crunch(20_000_000))
