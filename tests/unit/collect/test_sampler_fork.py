"""The sampler reads the right thread's /proc files in a forked process (CPython leaves the forking thread's
Thread.native_id at the parent's value)."""

import os
import threading
import time

import pytest

from gilscope.agent import procfs
from gilscope.agent.sampler import Sampler


@pytest.mark.skipif(not (hasattr(os, "fork") and procfs.AVAILABLE), reason="needs fork and /proc")
def test_forked_main_thread_is_probed_as_itself():
    pid = os.fork()
    if pid == 0:  # the child reports through its exit status: 0 right, 1 wrong thread, 2 no reading
        code = 3
        try:
            sampler = Sampler(0.005, gil_enabled=True)
            th = sampler._thread_for(threading.get_ident(), time.perf_counter())
            code = 1 if th.tid != os.getpid() else 2 if th.probe is None or th.probe.read() is None else 0
        finally:
            os._exit(code)
    _pid, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
