"""`gilscope attach PID`: profile a Python process that is already running, then leave it as it was.

CPython 3.14+ with remote debugging on: sys.remote_exec (PEP 768), called by the target's own interpreter (it
must be the same minor version), runs a small script in the target that starts gilscope's stdlib agent
(gilscope/agent/remote.py): the same sampler as `profile`. Anything else (older Pythons, remote debugging off,
a target that does not run the script in time): py-spy from outside (attach_pyspy.py).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path

from gilscope.collect.attach_common import PTRACE_FIX, AttachOptions, Stopper, Target, alive, finish
from gilscope.collect.launch import Outcome, _private_dir, agent_only_path, read_data
from gilscope.errors import UsageError

START_TIMEOUT_S = 10.0  # the script runs when the target's main thread next runs bytecode
FINAL_TIMEOUT_S = 5.0
CHILD_SCAN_S = 0.5
CAP_SYS_PTRACE = 19


def _read(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()


def inspect(pid: int, python: str | None = None) -> Target:
    """The running process `pid`, or a one-line UsageError: not there, not Python, not ours to trace."""
    proc = f"/proc/{pid}"
    if not os.path.isdir("/proc/self"):
        raise UsageError("gilscope attach needs Linux's /proc (on macOS and Windows run py-spy directly)")
    if pid <= 0 or not os.path.isdir(proc):
        raise UsageError(f"no process with PID {pid}")
    problem = permission_problem(pid)
    if problem:
        raise UsageError(problem)
    try:
        cmdline = [a.decode(errors="replace") for a in _read(f"{proc}/cmdline").split(b"\0") if a]
        exe = os.readlink(f"{proc}/exe")
        maps = _read(f"{proc}/maps").decode(errors="replace")
    except PermissionError:
        raise UsageError(f"cannot attach to PID {pid}: permission denied; {PTRACE_FIX}") from None
    except (FileNotFoundError, ProcessLookupError):
        raise UsageError(f"no process with PID {pid} (it exited)") from None
    helper = _helper(exe, cmdline, maps)
    if helper is None:
        name = os.path.basename(exe) or (cmdline[0] if cmdline else "?")
        raise UsageError(f"PID {pid} ({name}) is not a Python process")
    target = Target(pid, cmdline, [python] if python else helper)
    target.module = _module(cmdline[len(helper) - 1 :])
    _probe(target)
    target.disabled = _remote_debug_disabled(pid, cmdline)
    return target


def _helper(exe: str, cmdline: list[str], maps: str) -> list[str] | None:
    """The command that runs the target's interpreter: its executable, or (an interpreter started through a
    dynamic loader, `ld.so --library-path DIR python3.15`) its command line up to the interpreter."""
    if "python" in os.path.basename(exe).lower():
        return [exe]
    for i, arg in enumerate(cmdline[:6]):
        if "python" in os.path.basename(arg).lower():
            return cmdline[: i + 1]
    if re.search(r"libpython\d", maps):
        return [exe]  # an embedding program (uWSGI, ...): py-spy still reads it
    return None


def _module(cmdline: list[str]) -> str | None:
    for i, arg in enumerate(cmdline[1:-1], 1):
        if arg == "-m":
            return cmdline[i + 1]
        if arg.startswith("-m") and len(arg) > 2:
            return arg[2:]
        if not arg.startswith("-"):
            break
    return None


def _probe(target: Target) -> None:
    code = (
        "import sys; sys.stdout.write('%d %d %d %d\\n' % (sys.version_info[0], sys.version_info[1], "
        "int('t' in getattr(sys, 'abiflags', '')), int(hasattr(sys, 'remote_exec'))))\n"
        "if len(sys.argv) > 1:\n"
        "    import importlib.util, os\n"
        "    sys.path.insert(0, os.getcwd())\n"
        "    spec = importlib.util.find_spec(sys.argv[1].split('.')[0])\n"
        "    where = list(spec.submodule_search_locations or []) or [spec.origin] if spec else []\n"
        "    sys.stdout.write(where[0] if where and where[0] else '')\n"
    )
    try:
        done = subprocess.run(
            [*target.helper, "-c", code, *([target.module] if target.module else [])],
            capture_output=True,
            text=True,
            timeout=30,
            stdin=subprocess.DEVNULL,
            env=_clean_env(),
            cwd=_cwd(target.pid),
        )
        first, _, where = done.stdout.partition("\n")
        major, minor, ft, remote = (int(w) for w in first.split())
        target.module_path = where.strip() or None
    except (OSError, ValueError, subprocess.TimeoutExpired):
        target.notes.append(
            f"could not run the target's interpreter ({' '.join(target.helper)}) to learn its "
            "version; py-spy read the process from outside"
        )
        return
    target.version, target.free_threaded, target.remote_exec = (major, minor), bool(ft), bool(remote)


def _cwd(pid: int) -> str | None:
    try:
        folder = os.readlink(f"/proc/{pid}/cwd")
        return folder if os.path.isdir(folder) else None
    except OSError:
        return None


def _remote_debug_disabled(pid: int, cmdline: list[str]) -> str | None:
    try:
        environ = _read(f"/proc/{pid}/environ").split(b"\0")
    except OSError:
        environ = []
    if any(
        e.startswith(b"PYTHON_DISABLE_REMOTE_DEBUG=") and e != b"PYTHON_DISABLE_REMOTE_DEBUG="
        for e in environ
    ):
        return "PYTHON_DISABLE_REMOTE_DEBUG is set in it"
    for i, arg in enumerate(cmdline[:-1]):
        if arg == "-X" and cmdline[i + 1].replace("-", "_") == "disable_remote_debug":
            return "it runs with -X disable-remote-debug"
    return None


def permission_problem(
    pid: int,
    *,
    euid: int | None = None,
    status: str | None = None,
    self_status: str | None = None,
    scope: int | None = None,
) -> str | None:
    """Why this process may not trace `pid`, as one line saying what to change, or None. (Arguments other than
    pid are for tests; by default they are read from /proc.)"""
    euid = os.geteuid() if euid is None else euid
    try:
        status = _read(f"/proc/{pid}/status").decode() if status is None else status
        self_status = _read("/proc/self/status").decode() if self_status is None else self_status
    except OSError:
        return None
    if scope is None:
        try:
            scope = int(_read("/proc/sys/kernel/yama/ptrace_scope"))
        except (OSError, ValueError):
            scope = 0  # no Yama: classic ptrace rules
    uid = int(re.search(r"^Uid:\s+\d+\s+(\d+)", status, re.M).group(1))  # type: ignore[union-attr]  # Linux always has it
    cap = int(re.search(r"^CapEff:\s+([0-9a-f]+)", self_status, re.M).group(1), 16) >> CAP_SYS_PTRACE & 1  # type: ignore[union-attr]
    if scope >= 3:
        return (
            f"cannot attach to PID {pid}: ptrace is disabled on this machine (kernel.yama.ptrace_scope=3, "
            "which only a reboot undoes)"
        )
    if uid != euid and not cap:
        who = "root" if euid == 0 else f"uid {euid}"
        return (
            f"cannot attach to PID {pid}: it runs as uid {uid} and gilscope as {who} without CAP_SYS_PTRACE; "
            + (
                "add CAP_SYS_PTRACE to the container (docker run --cap-add SYS_PTRACE)"
                if euid == 0
                else f"run gilscope as uid {uid} or as root (sudo gilscope attach {pid})"
            )
        )
    if scope == 2 and not cap:
        return (
            f"cannot attach to PID {pid}: kernel.yama.ptrace_scope=2 lets only CAP_SYS_PTRACE attach; run "
            "gilscope as root"
        )
    if scope == 1 and not cap and not _is_descendant(pid):
        return (
            f"cannot attach to PID {pid}: kernel.yama.ptrace_scope=1 lets only a parent attach; run gilscope "
            "as root, or `sudo sysctl kernel.yama.ptrace_scope=0`"
        )
    return None


def _is_descendant(pid: int) -> bool:
    me = os.getpid()
    while pid > 1:
        pid = _ppid(pid)
        if pid == me:
            return True
    return False


def _ppid(pid: int) -> int:
    try:
        stat = _read(f"/proc/{pid}/stat").decode(errors="replace")
        return int(stat.rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, found from /proc/*/stat."""
    parents: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            parents[int(name)] = _ppid(int(name))
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [p for p, pp in parents.items() if pp == parent]
        found.extend(children)
        frontier.extend(children)
    return sorted(found)


def _clean_env() -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith("GILSCOPE_") and k != "PYTHONPATH"}


def attach(opts: AttachOptions, target: Target) -> Outcome:
    """Profile `target` for the duration (or until Ctrl-C, or until it exits) and return what was collected."""
    reason = None
    if opts.engine == "pyspy":
        reason = "--engine pyspy"
    elif target.version < (3, 14) or not target.remote_exec:
        reason = f"Python {'.'.join(map(str, target.version))} has no sys.remote_exec (3.14+)"
    elif target.disabled:
        reason = f"remote debugging is disabled in the target ({target.disabled})"
    if reason is None:
        outcome = _remote(opts, target)
        if outcome is not None:
            return outcome
        reason = target.notes.pop()
    from gilscope.collect.attach_pyspy import attach_pyspy

    return attach_pyspy(opts, target, reason)


def _remote(opts: AttachOptions, target: Target) -> Outcome | None:
    workdir = _private_dir()
    try:
        st = os.stat(f"/proc/{target.pid}")
        if os.geteuid() == 0 and st.st_uid != 0:
            os.chown(workdir, st.st_uid, st.st_gid)  # the target writes its data here
        if os.stat(f"/proc/{target.pid}/root").st_ino != os.stat("/").st_ino:
            target.notes.append(
                "the target runs in another root (a chroot or container): it cannot see "
                "gilscope's agent, so py-spy read it from outside"
            )
            return None
    except OSError:
        pass
    agent_path = agent_only_path(workdir)
    out = workdir / "profile.json"
    base = {
        "interval": opts.interval_s,
        "duration": opts.duration_s,
        "stop": str(workdir / "stop"),
        "cancel": str(workdir / "cancel"),
        "gilscope_pid": os.getpid(),
        "module": target.module,
    }
    started = time.perf_counter()
    error = _inject(
        target,
        target.pid,
        dict(base, out=str(out), started=str(workdir / f"started-{target.pid}"), role="main"),
        agent_path,
        workdir,
    )
    if error is not None:
        _give_up(workdir)
        if "permission" in error.lower() or "operation not permitted" in error.lower():
            raise UsageError(f"cannot attach to PID {target.pid}: {error}; {PTRACE_FIX}")
        target.notes.append(f"sys.remote_exec failed ({error})")
        return None
    if not _wait_for(workdir / f"started-{target.pid}", target.pid, START_TIMEOUT_S):
        _give_up(workdir)
        if not alive(target.pid):
            return Outcome(
                0,
                time.perf_counter() - started,
                None,
                [],
                [f"PID {target.pid} exited before the attach started: nothing was profiled"],
            )
        target.notes.append(
            f"the target did not run the attach script within {START_TIMEOUT_S:.0f} s (its main "
            "thread never ran Python code meanwhile)"
        )
        return None
    children: set[int] = set()

    def follow_children() -> None:
        for child in descendants(target.pid):
            if child not in children:
                children.add(child)
                _inject(
                    target,
                    child,
                    dict(
                        base,
                        out=f"{out}.child-{child}",
                        started=str(workdir / f"started-{child}"),
                        role="child",
                    ),
                    agent_path,
                    workdir,
                )

    deadline = None if opts.duration_s is None else started + opts.duration_s
    last_scan = [0.0]

    def tick() -> None:
        if opts.subprocesses and time.perf_counter() - last_scan[0] >= CHILD_SCAN_S:
            last_scan[0] = time.perf_counter()
            follow_children()

    with Stopper() as stopper:
        why = stopper.wait_until(deadline, target.pid, tick)
        (workdir / "stop").touch()
        (workdir / "cancel").touch()  # a child's script still pending must not start now
        final = time.perf_counter() + FINAL_TIMEOUT_S
        while why != "exited" and time.perf_counter() < final and alive(target.pid) and not _final(out):
            time.sleep(0.02)
    wall = time.perf_counter() - started
    data, errors = read_data(out)
    return finish(data, errors, wall, why, stopper.signal, target, engine_notes=[])


def _final(out: Path) -> bool:
    try:
        return not json.loads(out.read_bytes()).get("partial", True)
    except (OSError, ValueError):
        return False


def _wait_for(path: Path, pid: int, timeout: float) -> bool:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if path.exists():
            return True
        if not alive(pid):
            return False
        time.sleep(0.02)
    return path.exists()


def _give_up(workdir: Path) -> None:
    (workdir / "cancel").touch()
    import shutil

    shutil.rmtree(workdir, ignore_errors=True)


_SCRIPT = """def _gilscope_attach():
    import sys
    path = {agent_path!r}
    sys.path.insert(0, path)
    try:
        from gilscope.agent import remote
    except Exception as exc:
        with open({error!r}, "w") as fh:
            fh.write(repr(exc))
        return
    finally:
        if path in sys.path:
            sys.path.remove(path)
    remote.start({settings!r})


try:
    _gilscope_attach()
finally:
    del _gilscope_attach
"""


def _inject(target: Target, pid: int, settings: dict, agent_path: str, workdir: Path) -> str | None:
    """Have `pid` run the attach script. None when sys.remote_exec accepted it, else its error."""
    script = workdir / f"attach-{pid}.py"
    script.write_text(
        _SCRIPT.format(
            agent_path=agent_path, settings=json.dumps(settings), error=str(workdir / f"error-{pid}")
        )
    )
    os.chmod(script, 0o644)
    call = f"import sys; sys.remote_exec({pid}, {str(script)!r})"
    try:
        done = subprocess.run(
            [*target.helper, "-c", call],
            capture_output=True,
            text=True,
            timeout=30,
            stdin=subprocess.DEVNULL,
            env=_clean_env(),
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    if done.returncode == 0:
        return None
    lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
    return lines[-1] if lines else f"exit status {done.returncode}"


__all__ = ["AttachOptions", "Target", "alive", "attach", "descendants", "inspect", "permission_problem"]
