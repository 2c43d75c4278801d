"""A process that outlives its run (gilscope has reported it and removed the run folder: a pool worker orphaned
by a crash, a daemon the program started) stops sampling. Seen in CI: three orphaned 3.12 pool processes kept
sampling for the rest of the run, ~8% of a core each, one at 585 MB."""

import threading
import time

from gilscope.agent.collectors import SamplerCollector


def _busy(stop):
    while not stop.is_set():
        sum(range(1000))


def test_the_sampler_stops_and_lets_go_once_the_run_folder_is_gone(tmp_path):
    run = tmp_path / "gilscope-run"
    run.mkdir()
    collector = SamplerCollector({"out": str(run / "profile.json"), "interval": 0.005}, gil_enabled=True)
    sampler = collector.sampler
    stop = threading.Event()
    worker = threading.Thread(target=_busy, args=(stop,))
    worker.start()
    try:
        collector.start()
        time.sleep(0.3)
        assert sampler.stacks and not sampler.run_over
        run.rmdir()
        deadline = time.monotonic() + 5
        while not sampler.run_over and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sampler.run_over
        rounds = sampler.rounds
        time.sleep(0.3)
        assert sampler.rounds == rounds and not sampler.stacks and not sampler.open
        assert sampler.is_alive()  # still there for the SIGTERM check (sigterm_rescue)
        data = collector.stop_and_collect()
        assert data["stacks"] == []
    finally:
        stop.set()
        worker.join()


def test_the_sampler_keeps_sampling_while_the_run_folder_is_there(tmp_path):
    collector = SamplerCollector({"out": str(tmp_path / "profile.json"), "interval": 0.005}, gil_enabled=True)
    collector.start()
    try:
        time.sleep(1.3)  # past the first look at the folder
        assert not collector.sampler.run_over and collector.sampler.rounds > 20
    finally:
        collector.stop_and_collect()
