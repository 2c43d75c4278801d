"""Starts 1000 threads that each work and sleep a little, and joins them."""

import threading
import time


def task(i):
    time.sleep(0.05)
    sum(range(2000))


threads = [threading.Thread(target=task, args=(i,)) for i in range(1000)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("joined", len(threads), flush=True)
