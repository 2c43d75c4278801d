"""Per-thread OS readings from /proc: on-CPU time, run-queue wait, scheduler state, current syscall.

Each probe keeps its files open and re-reads them with pread, which costs about 1 µs a file.
"""

from __future__ import annotations

import os
import signal
import time

# Syscall numbers of the calls a blocked Python thread typically sits in, by architecture.
_X86_64 = {
    0: "read",
    1: "write",
    7: "poll",
    17: "pread",
    19: "readv",
    23: "select",
    35: "nanosleep",
    42: "connect",
    43: "accept",
    44: "sendto",
    45: "recvfrom",
    47: "recvmsg",
    61: "wait4",
    202: "futex",
    230: "clock_nanosleep",
    232: "epoll_wait",
    247: "waitid",
    270: "pselect6",
    271: "ppoll",
    281: "epoll_pwait",
    288: "accept4",
    441: "epoll_pwait2",
    449: "futex_waitv",
    20: "writev",
    46: "sendmsg",
    74: "fsync",
    75: "fdatasync",
}
_GENERIC = {  # aarch64 and other architectures using the generic syscall table
    63: "read",
    64: "write",
    73: "ppoll",
    67: "pread",
    65: "readv",
    72: "pselect6",
    101: "nanosleep",
    203: "connect",
    202: "accept",
    206: "sendto",
    207: "recvfrom",
    212: "recvmsg",
    260: "wait4",
    98: "futex",
    115: "clock_nanosleep",
    22: "epoll_pwait",
    95: "waitid",
    242: "accept4",
    441: "epoll_pwait2",
    449: "futex_waitv",
    66: "writev",
    211: "sendmsg",
    82: "fsync",
    83: "fdatasync",
}
SYSCALLS = (
    _X86_64 if (os.uname().machine if hasattr(os, "uname") else "") in ("x86_64", "AMD64") else _GENERIC
)

AVAILABLE = os.path.exists("/proc/self/task")


def _gil_holding_pread():
    """pread that keeps the GIL: os.pread releases it, and a thread that runs Python could then grab it and
    look "running" to us. ctypes.PyDLL calls C without releasing the GIL; short /proc reads don't block."""
    try:
        import ctypes

        libc = ctypes.PyDLL(None)
        func = libc.pread
        func.restype = ctypes.c_ssize_t
        func.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_long)
        buf = ctypes.create_string_buffer(4096)  # /proc/<tid>/status is ~1.4 KB
        raw = buf.raw

        def pread(fd: int, size: int, offset: int) -> bytes:
            n = func(fd, buf, size, offset)
            if n < 0:
                raise OSError("pread failed")
            return buf.raw[:n]

        del raw
        c_open = libc.open
        c_open.restype = ctypes.c_int
        c_open.argtypes = (ctypes.c_char_p, ctypes.c_int)

        def open_fd(path: str) -> int:
            fd = c_open(path.encode(), os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
            if fd < 0:
                raise OSError(f"cannot open {path}")
            return fd

        c_yield = libc.sched_yield
        c_yield.restype = ctypes.c_int
        c_yield.argtypes = ()
        return pread, open_fd, c_yield, True
    except (ImportError, OSError, AttributeError):
        return (
            os.pread,
            lambda path: os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)),
            lambda: None,
            False,
        )


# sched_yield keeping the GIL: a thread that is runnable only because this one holds its core can then run
# on to where it waits for the GIL, so that "runnable" is not mistaken for "running without the GIL".
pread, open_fd, yield_cpu, HOLDS_GIL = _gil_holding_pread()


class ThreadProbe:
    """Reads one thread's CPU time, run-queue wait, state and syscall. Missing files read as unknown."""

    __slots__ = ("_sched", "_stat", "_syscall")

    def __init__(self, native_id: int):
        base = f"/proc/self/task/{native_id}/"
        self._sched = _open(base + "schedstat")
        self._stat = _open(base + "stat")
        self._syscall = _open(base + "syscall")

    def read(self):
        """(on_cpu_ns, runqueue_ns, state, syscall name or "" when running/unknown, times scheduled in);
        None when the thread is gone."""
        try:
            if self._sched is not None:
                fields = pread(self._sched, 64, 0).split()
                on_cpu, runq, slices = int(fields[0]), int(fields[1]), int(fields[2])
            else:
                on_cpu = runq = slices = -1
            state = "?"
            if self._stat is not None:
                raw = pread(self._stat, 256, 0)
                state = chr(raw[raw.rindex(b")") + 2])
            call = ""
            if self._syscall is not None and state != "R":
                first = pread(self._syscall, 32, 0).split(b" ", 1)[0]
                if first.isdigit():
                    call = SYSCALLS.get(int(first), "syscall " + first.decode())
            return on_cpu, runq, state, call, slices
        except (OSError, ValueError, IndexError):
            return None

    def close(self) -> None:
        for fd in (self._sched, self._stat, self._syscall):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._sched = self._stat = self._syscall = None


def cpu_clock(native_id: int) -> int:
    """The clock id of a thread's CPU time, from its kernel tid (what pthread_getcpuclockid computes on Linux;
    unlike schedstat, which a running thread updates only at scheduler ticks, it is read up to date)."""
    return (~native_id << 3) | 6


def cpu_ns(clock: int) -> int:
    """That clock's nanoseconds now, or -1 when the thread is gone (the call does not release the GIL)."""
    try:
        return time.clock_gettime_ns(clock)
    except (OSError, OverflowError, ValueError):
        return -1


class SwitchCounter:
    """A thread's voluntary context switches (/proc/<tid>/status): how many times it blocked. For the sampler's
    own thread, a round with more than the one its sleep accounts for is a round in which it had to wait for
    the GIL: some thread held it when the sampler asked, however briefly."""

    __slots__ = ("_fd",)
    _KEY = b"\nvoluntary_ctxt_switches:"

    def __init__(self, native_id: int):
        self._fd = _open(f"/proc/self/task/{native_id}/status")

    def read(self) -> int:
        """The count, or -1 when it cannot be read."""
        if self._fd is None:
            return -1
        try:
            raw = pread(self._fd, 4096, 0)
            at = raw.index(self._KEY) + len(self._KEY)
            return int(raw[at : raw.index(b"\n", at)])
        except (OSError, ValueError):
            return -1

    def close(self) -> None:
        if self._fd is not None:
            try:
                os.close(self._fd)
            except OSError:
                pass
            self._fd = None


def _open(path: str):
    try:
        return open_fd(path)
    except OSError:
        return None


def block_signals() -> None:
    """Signals for the process must reach the target's threads, not this one: a signal taken here would not
    interrupt the main thread's blocking call, so its Python handler (or ours, for SIGTERM) would never run."""
    if not hasattr(signal, "pthread_sigmask"):
        return
    synchronous = {
        getattr(signal, n) for n in ("SIGSEGV", "SIGBUS", "SIGFPE", "SIGILL", "SIGABRT") if hasattr(signal, n)
    }
    try:
        signal.pthread_sigmask(signal.SIG_BLOCK, set(signal.valid_signals()) - synchronous)
    except (OSError, ValueError):
        pass


SETTLE_S = 50e-6


def settled_readings(probes, gil_enabled):
    """Read every thread's OS state; re-read the ones shown running for up to 50 µs.

    The thread that just handed this sampler the GIL stays runnable for a few microseconds on its way to
    waiting for it again; a thread still running after that runs without the GIL (native code)."""
    readings = [p.read() if p is not None else None for p in probes]
    if not gil_enabled:
        return readings
    running = [i for i, r in enumerate(readings) if r is not None and r[2] == "R"]
    deadline = time.perf_counter() + SETTLE_S
    while running and time.perf_counter() < deadline:
        yield_cpu()
        still = []
        for i in running:
            again = probes[i].read()
            if again is None or again[2] != "R":
                # Keep the first reading's CPU counters (taken at the round's timestamp), take the new state.
                first = readings[i]
                if again is not None and first is not None:
                    readings[i] = (first[0], first[1], again[2], again[3], first[4])
            else:
                still.append(i)
        running = still
    return readings
