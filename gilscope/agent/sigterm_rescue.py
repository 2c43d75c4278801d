"""Makes sure the agent's SIGTERM handler runs, even when the signal lands just before the main thread blocks.

CPython's C-level handler only flags a signal; the main thread runs the Python handler when its blocking call
(sem_wait, read, lock.acquire) returns with EINTR. A SIGTERM that arrives after the last check but before
the call blocks is never handled, and the process waits forever. Under plain `python` SIGTERM's default
action kills the process instead, so without this a `multiprocessing.Pool` that terminates and joins its
workers hangs now and then, only under gilscope (seen once in ~75 runs of examples/pool_tiny_tasks.py).

Python's wakeup fd tells another thread that the signal came. If our handler has not started GRACE_S later,
that thread sends SIGTERM again to the main thread alone, which is by then blocked and so gets EINTR. The
sampler checks at each round; the other engines get a watcher thread that sleeps on the pipe.
"""

from __future__ import annotations

import os
import select
import signal
import threading
import time

from gilscope.agent import procfs

GRACE_S = 0.02

_handler = None
_read_fd: int | None = None
_write_fd: int | None = None
_pending_since: float | None = None
_handled = False
_watcher: threading.Thread | None = None
WATCHER_NAME = "gilscope-sigterm"


def install(handler) -> bool:
    """Main thread only, with `handler` as SIGTERM's handler. A forked child calls it again: the pipe it
    inherited is its parent's, and the child's signals must not be read there."""
    global _handler, _read_fd, _write_fd, _pending_since, _handled
    inherited = _write_fd
    _close()
    _handler, _pending_since, _handled = handler, None, False
    try:
        read_fd, write_fd = os.pipe()
    except OSError:
        return False
    previous = None
    try:
        os.set_blocking(read_fd, False)
        os.set_blocking(write_fd, False)
        previous = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
        if previous not in (-1, inherited):  # the target's own wakeup fd: it stays
            raise ValueError("wakeup fd in use")
    except (OSError, ValueError):  # not the main thread, or the fd is taken
        if previous is not None:  # never leave it on the parent's closed fd: its number may be reused
            signal.set_wakeup_fd(-1 if previous == inherited else previous)
        os.close(read_fd)
        os.close(write_fd)
        return False
    _read_fd, _write_fd = read_fd, write_fd
    return True


def _close() -> None:
    global _read_fd, _write_fd
    for fd in (_read_fd, _write_fd):
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass
    _read_fd = _write_fd = None


def after_fork_in_child() -> None:
    if _read_fd is not None:
        install(_handler)
        if _watcher is not None:
            start_watcher()


def start_watcher() -> None:
    """For engines without a thread of their own: a daemon thread that sleeps on the pipe."""
    global _watcher
    if _read_fd is None:
        return
    _watcher = threading.Thread(target=_watch, args=(_read_fd,), name=WATCHER_NAME, daemon=True)
    _watcher.start()


def watcher_ident() -> int | None:
    return _watcher.ident if _watcher is not None else None


def _watch(read_fd: int) -> None:
    procfs.block_signals()
    while read_fd == _read_fd and not _handled:
        try:
            select.select([read_fd], [], [], None if _pending_since is None else GRACE_S)
        except (OSError, ValueError):
            return
        check()


def handler_started() -> None:
    global _handled
    _handled = True


def check(now: float | None = None) -> None:
    """From a thread other than the main one, now and then: re-send a SIGTERM the main thread has missed."""
    global _pending_since
    if _read_fd is None or _handled:
        return
    try:
        data = os.read(_read_fd, 512)
    except OSError:  # BlockingIOError when no signal came: the usual case
        data = b""
    if _pending_since is None and signal.SIGTERM not in data:
        return  # every sampler round: no clock read, nothing more
    now = time.perf_counter() if now is None else now
    if _pending_since is None:
        _pending_since = now
        return
    if now - _pending_since < GRACE_S:
        return
    _pending_since = now
    if signal.getsignal(signal.SIGTERM) is _handler:
        try:
            signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGTERM)
        except (OSError, ValueError):
            pass
