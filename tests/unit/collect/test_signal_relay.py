"""gilscope passes SIGINT/SIGTERM on to the target. The handler may run in the middle of any import, so it must
not import anything itself (a SIGINT during `import threading` once got a half-initialised module)."""

import signal
import sys
import time
import types

import pytest

from gilscope.collect import launch


class RunningTarget:
    def __init__(self):
        self.sent = []

    def poll(self):
        return None

    def send_signal(self, signum):
        self.sent.append(signum)


@pytest.fixture
def relay():
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    received = launch.RECEIVED
    target = RunningTarget()
    launch.relay_signals(target)
    yield target
    for sig, handler in saved.items():
        signal.signal(sig, handler)
    launch._RELAY_PROC, launch.RECEIVED = None, received


def test_the_handler_works_while_threading_is_half_imported(relay, monkeypatch):
    monkeypatch.setitem(sys.modules, "threading", types.ModuleType("threading"))  # no Timer yet
    monkeypatch.setattr(launch, "TERMINAL_GRACE_S", 0.01)
    launch._relay(signal.SIGINT, None)
    launch._relay(signal.SIGTERM, None)
    assert relay.sent == [signal.SIGTERM]  # SIGINT goes on only after the grace period
    monkeypatch.undo()
    time.sleep(0.2)
    assert relay.sent == [signal.SIGTERM, signal.SIGINT]
