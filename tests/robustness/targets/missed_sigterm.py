"""A SIGTERM the main thread misses: a helper thread takes it while the main thread is blocked on a lock, the
way a signal that lands just before a blocking call is missed. Under plain python the default action ends the
process; a Python handler (gilscope's) would never run without sigterm_rescue.
With `fork` a forked child does this, and the parent reports how the child ended."""

import os
import signal
import sys
import threading
import time


def miss_a_sigterm():
    lock = threading.Lock()
    lock.acquire()

    def poke():
        time.sleep(0.3)
        signal.pthread_kill(threading.get_ident(), signal.SIGTERM)

    threading.Thread(target=poke).start()
    lock.acquire()
    print("never", flush=True)


if "fork" in sys.argv:
    pid = os.fork()
    if pid == 0:
        miss_a_sigterm()
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    print("child ended by signal", os.WTERMSIG(status) if os.WIFSIGNALED(status) else None, flush=True)
    time.sleep(0.2)  # the parent must live on: its rescue must not act on its child's signal
    print("parent done", flush=True)
else:
    miss_a_sigterm()
