"""After-version of lock_held.py: the slow lookup runs outside the lock; only the dict update is locked.

Same output; the four threads now wait on their lookups at the same time.
"""
import threading
import time

CACHE = {}
CACHE_LOCK = threading.Lock()


def slow_lookup(key):
    time.sleep(0.05)                  # stands for a database or network call
    return key * key


def refresh(key):
    value = slow_lookup(key)          # no lock held while waiting
    with CACHE_LOCK:
        CACHE[key] = value


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
