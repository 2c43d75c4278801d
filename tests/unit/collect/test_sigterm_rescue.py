"""sigterm_rescue: a SIGTERM our handler has not seen GRACE_S after it came is sent again to the main thread."""

import os
import signal
import time

import pytest

from gilscope.agent import sigterm_rescue


@pytest.fixture
def handler():
    seen = []

    def on_sigterm(signum, frame):
        sigterm_rescue.handler_started()
        seen.append(signum)

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    yield on_sigterm, seen
    signal.signal(signal.SIGTERM, previous)
    signal.set_wakeup_fd(-1)
    sigterm_rescue._close()


def test_a_missed_sigterm_is_sent_again_after_the_grace_period(handler):
    on_sigterm, seen = handler
    assert sigterm_rescue.install(on_sigterm)
    os.write(sigterm_rescue._write_fd, bytes([signal.SIGTERM]))  # as CPython's C handler does
    sigterm_rescue.check(now=100.0)
    sigterm_rescue.check(now=100.0 + sigterm_rescue.GRACE_S / 2)
    assert seen == []  # still within the grace period
    sigterm_rescue.check(now=100.0 + 2 * sigterm_rescue.GRACE_S)
    time.sleep(0.01)  # the handler runs between two bytecodes
    assert seen == [signal.SIGTERM]


def test_nothing_is_sent_once_the_handler_ran_or_when_it_is_no_longer_ours(handler):
    on_sigterm, seen = handler
    assert sigterm_rescue.install(on_sigterm)
    os.write(sigterm_rescue._write_fd, bytes([signal.SIGTERM]))
    sigterm_rescue.check(now=0.0)
    signal.signal(signal.SIGTERM, lambda *_: seen.append("target's"))  # the target installed its own
    sigterm_rescue.check(now=1.0)
    time.sleep(0.01)
    assert seen == []


def test_other_signals_are_drained_and_ignored(handler):
    on_sigterm, seen = handler
    assert sigterm_rescue.install(on_sigterm)
    os.write(sigterm_rescue._write_fd, bytes([signal.SIGINT, signal.SIGCHLD]))
    sigterm_rescue.check(now=0.0)
    sigterm_rescue.check(now=1.0)
    time.sleep(0.01)
    assert seen == []
    assert sigterm_rescue._pending_since is None


def test_the_targets_own_wakeup_fd_is_kept(handler):
    on_sigterm, _ = handler
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    try:
        signal.set_wakeup_fd(write_fd)
        assert not sigterm_rescue.install(on_sigterm)
        assert signal.set_wakeup_fd(-1) == write_fd
    finally:
        os.close(read_fd)
        os.close(write_fd)
