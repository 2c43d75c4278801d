"""Four threads refresh a shared cache, and refresh() holds the cache lock across a slow lookup.

Only one thread can be inside the lock, and the one inside spends its time waiting on
I/O, so the other three queue on the lock: the lookups run one at a time although they
could overlap.
Expected: hotspot refresh -> lock; advice lock-scope (do the slow lookup outside the lock,
see after/lock_held.py).
"""
import threading
import time

CACHE = {}
CACHE_LOCK = threading.Lock()


def slow_lookup(key):
    time.sleep(0.05)                  # stands for a database or network call
    return key * key


def refresh(key):
    with CACHE_LOCK:
        CACHE[key] = slow_lookup(key)     # the lock is held during the whole lookup


def worker(keys):
    for key in keys:
        refresh(key)


def refresh_all(n_threads, n_keys):
    threads = [threading.Thread(target=worker, args=(range(t, n_keys, n_threads),))
               for t in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    refresh_all(4, 24)
    print(len(CACHE), sum(CACHE.values()))
