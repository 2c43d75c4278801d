"""The agent as a fork of the gilscope process: the target starts without a second interpreter start-up.

Only the entry point's early start uses it, when gilscope has imported nothing but a few standard modules and
started no thread. The child resets what gilscope changed, runs the target as `python` would, and exits through
the interpreter's normal shutdown (atexit, flushing, finalisers), exactly like the spawned agent.
"""

import os
import select
import signal
import sys
import time


def fork_agent(argv: list[str], env_changes: dict[str, str]) -> "ForkedAgent":
    sys.stdout.flush()
    sys.stderr.flush()
    import gc

    gc.freeze()  # the child's collections skip gilscope's own objects: no copy-on-write of their pages
    pid = os.fork()
    if pid == 0:
        _become_agent(argv, env_changes)  # never returns: raises SystemExit with the target's status
    return ForkedAgent(pid)


def _become_agent(argv: list[str], env_changes: dict[str, str]) -> None:
    try:
        os.environ.update(env_changes)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        import atexit

        atexit._clear()  # nothing of gilscope's may run at the target's exit
        sys.orig_argv = [sys.executable, *argv]
        from gilscope.agent.__main__ import run_agent

        code = run_agent(argv)
    except BaseException:  # the child must never go back into gilscope's own code
        import traceback

        traceback.print_exc()
        os._exit(70)
    raise SystemExit(code)


class ForkedAgent:
    """The part of subprocess.Popen that launch.wait and the signal relay use, for a forked child."""

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is not None:
            return self.returncode
        if timeout is None:
            _pid, status = os.waitpid(self.pid, 0)
            self.returncode = os.waitstatus_to_exitcode(status)
            return self.returncode
        deadline = time.monotonic() + timeout
        waiter = _exit_waiter(self.pid)
        try:
            while self.poll() is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    import subprocess

                    raise subprocess.TimeoutExpired([str(self.pid)], timeout)
                waiter(min(left, 0.05))
        finally:
            waiter.close()
        assert self.returncode is not None  # poll() set it
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class _exit_waiter:
    """Sleeps until the child exits (a pidfd where the kernel has them) or the time is up."""

    def __init__(self, pid: int):
        try:
            self.fd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            self.fd = None  # type: ignore[assignment]  # no pidfd: polled instead

    def __call__(self, seconds: float) -> None:
        if self.fd is None:
            time.sleep(min(seconds, 0.005))
        else:
            select.select([self.fd], [], [], seconds)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
