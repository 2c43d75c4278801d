"""Starts daemon threads that never end (one spinning, one sleeping), works, then leaves the main thread."""

import threading
import time

from busy import work


def nap():
    while True:
        time.sleep(0.01)


threading.Thread(target=work, args=(3600,), daemon=True).start()
threading.Thread(target=nap, daemon=True).start()
work()
print("main done", flush=True)
