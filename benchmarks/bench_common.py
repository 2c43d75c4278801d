"""Shared pieces of the benchmarks: paths, the examples' expectations, timed child runs, the machine."""

import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
RESULTS = ROOT / "benchmarks" / "results"


def load_cases():
    """examples/expected.json without its "_doc" entries."""
    data = json.loads((EXAMPLES / "expected.json").read_text())
    return {k: v for k, v in data.items() if not k.startswith("_")}


def load_pairs():
    data = json.loads((EXAMPLES / "after" / "pairs.json").read_text())
    return {k: v for k, v in data.items() if not k.startswith("_")}


def pick(names, available, what):
    """The comma-separated subset `names` of `available` (all of them when names is empty)."""
    if not names:
        return list(available)
    chosen = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in chosen if n not in available]
    if unknown:
        sys.exit(f"unknown {what}: {', '.join(unknown)} (have {', '.join(available)})")
    return chosen


def last(name):
    """The last dotted part of a function name, as shared/tools/corpus_score.py matches names."""
    return str(name or "").replace(":", ".").split(".")[-1].split("(")[0].strip()


def child_env():
    """The environment for child processes: gilscope importable from this checkout."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


@dataclass
class Measured:
    wall_s: float
    maxrss_kb: int  # largest resident set of any one process in the tree (wait4's ru_maxrss)
    exit_code: int
    stderr_line: str = ""  # why it failed: the last exception line of stderr (see headline)

    def as_dict(self):
        return asdict(self)


# A child starts with the high-water RSS of the process that forks it (Linux carries it over fork and exec
# into ru_maxrss), so a script forked from this benchmark process (15+ MB) would report at least 15 MB
# whatever it used itself: a bare `python x.py` peaks near 13 MB. The measured command is forked from this
# small launcher instead (python -I -S, ~9 MB, below any Python program), which reports the command's wall
# time (from its fork to its exit, without the launcher's own start-up) and the rusage from wait4.
_LAUNCHER = """
import os, sys, time
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execv(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - t0
with open(sys.argv[1], "w") as fh:
    fh.write(f"{wall!r} {usage.ru_maxrss} {status}")
"""


def run_measured(argv, cwd, timeout=600.0):
    """Runs argv to the end; wall time of the whole process, and the process tree's peak RSS.

    os.wait4 returns the child's rusage, which on Linux covers the child and every descendant it
    waited for: ru_maxrss is then the peak RSS of the largest single process of the tree. The
    command is started by a small launcher (see _LAUNCHER), so that this process's own RSS does not
    leak into it.
    """
    err_path = Path(cwd) / ".stderr"
    out_path = Path(cwd) / ".measured"
    out_path.unlink(missing_ok=True)
    command = [shutil.which(argv[0]) or argv[0], *argv[1:]]
    with open(err_path, "wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", _LAUNCHER, str(out_path), *command],
            cwd=cwd,
            env=child_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        )
        timer = threading.Timer(timeout, lambda: _kill_tree(proc.pid))
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - t0
    try:  # the command's own numbers, from the launcher
        wall_text, maxrss_text, status_text = out_path.read_text().split()
        wall, maxrss, status = float(wall_text), int(maxrss_text), int(status_text)
    except (OSError, ValueError):  # the launcher was killed (timeout): what this process saw
        maxrss = int(usage.ru_maxrss)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Measured(wall, maxrss, proc.returncode, headline(err_path.read_text(errors="replace")))


def headline(stderr):
    """The line of a failed run's stderr that says why: the last exception line, else the last line."""
    lines = [ln.strip(" \t│|") for ln in stderr.strip().splitlines()]
    lines = [ln for ln in lines if ln and not set(ln) <= set("─━═╭╮╰╯┌┐└┘│ ")]
    for ln in reversed(lines):
        if re.match(r"^[\w.]*(Error|Exception|Exit|Interrupt)\b", ln) or ln.startswith(("error:", "Error:")):
            return ln
    return lines[-1] if lines else ""


def _kill_tree(pid):
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def spread(values):
    """{"median", "min", "max", "n"} of a list of numbers (None when it is empty)."""
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def machine(python=sys.executable):
    """What the numbers were measured on: CPU model, cores, the measured Python, the checkout."""
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    version = subprocess.run(
        [
            python,
            "-c",
            "import sys, sysconfig; print(sys.version.split()[0], "
            "'free-threaded' if sysconfig.get_config_var('Py_GIL_DISABLED') else 'gil')",
        ],
        capture_output=True,
        text=True,
    ).stdout.split()
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    return {
        "cpu_model": model,
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "python": python,
        "python_version": version[0] if version else platform.python_version(),
        "python_build": version[1] if len(version) > 1 else "",
        "platform": platform.platform(),
        "gilscope_commit": commit,
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
    }


def machine_line(m):
    return (
        f"{m['cpu_model']}, {m['cores']} cores, Python {m['python_version']} ({m['python_build']}), "
        f"{m['platform']}, gilscope {m['gilscope_commit']}, {m['date']}"
    )


def write_json(path, data):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path
