"""At stop the sampler books every live thread, including one no round saw (it started after the last round,
or the sampler was starved of the GIL): the report must still list it. Its own thread is left out."""

import threading
import time

import pytest

from gilscope.agent import procfs
from gilscope.agent.sampler import Sampler


@pytest.fixture
def spinning_thread():
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            sum(range(1000))

    thread = threading.Thread(target=spin, name="never-sampled", daemon=True)
    thread.start()
    time.sleep(0.05)
    yield thread
    stop.set()
    thread.join()


def test_a_live_thread_no_round_saw_is_booked_at_stop(spinning_thread):
    sampler = Sampler(0.005, gil_enabled=True)  # never started: no round ever ran
    main = sampler._thread_for(threading.get_ident(), time.perf_counter())
    sampler.finish_all()
    names = [th.name for th in sampler.thread_list]
    assert names.count("never-sampled") == 1 and main in sampler.thread_list
    assert "gilscope-sampler" not in names
    booked = next(th for th in sampler.thread_list if th.name == "never-sampled")
    assert booked.daemon
    if procfs.AVAILABLE:  # its whole life's CPU time, from schedstat
        assert booked.cpu > 0.01
        rows = [k for k in sampler.stacks if k[0] == booked.index]
        assert rows and sampler.frames[rows[0][1][0]].function.endswith("spin")
    assert not sampler.threads  # everything booked and closed


def test_a_thread_past_its_exit_hook_is_not_booked_again():
    sampler = Sampler(0.005, gil_enabled=True)
    done = threading.Thread(target=lambda: None, name="ended")
    done.start()
    done.join()
    sampler.ended.add(done.ident)
    sampler.finish_all()
    assert "ended" not in [th.name for th in sampler.thread_list]
