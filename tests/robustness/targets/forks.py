"""Forks twice: one child exits with sys.exit(0) after some work, one with os._exit(0); the parent waits."""

import os
import sys

from busy import work

children = []
for how in ("sys", "os"):
    pid = os.fork()
    if pid == 0:
        work()
        if how == "os":
            os._exit(0)
        sys.exit(0)
    children.append(pid)
work()
for pid in children:
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, status
print("parent done", flush=True)
