"""gilscope's fixed cost: an empty script under `gilscope profile -q` against `python empty.py`, in alternating
pairs (so a busy spell hits both), the median of each and of the per-pair difference.

    python benchmarks/startup.py [--pairs 10] [--json benchmarks/results/startup.json]

Both commands run with this checkout first on PYTHONPATH, so the console script imports this checkout's
gilscope even when the installed one (an editable install, say) points at another copy. Both use this
interpreter's own path (sys.executable); give --command that path too, not a pyenv shim (`python3` under
pyenv is a shell script: ~70 ms of CPU and ~110 ms of wall time before Python starts).

With --target-s S the target sleeps S seconds instead of being empty: gilscope's imports then overlap its run,
and the difference is what a real program pays (start-up before the fork, then analysis and reporting).

With --instructions each command also runs once under valgrind's callgrind, which counts instructions: the same
count for the same code whatever else the machine does, so two versions compare on a noisy machine where their
wall times do not. The parent (gilscope's own process) and the other processes are counted apart.

The README quotes the median difference as the start-up and reporting cost. The CPU time of the same pairs
(user + system, gilscope and the target together) is printed next to it: on a shared machine it moves less
than the wall time, so it is the figure to compare two versions by when the load is high.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def gilscope_command() -> list[str]:
    """The console script next to this Python (what a user runs), else `python -m gilscope`."""
    script = Path(sys.executable).with_name("gilscope")
    if script.is_file():
        return [str(script)]
    found = shutil.which("gilscope")
    return [found] if found else [sys.executable, "-m", "gilscope"]


ROOT = Path(__file__).resolve().parent.parent


def child_env() -> dict[str, str]:
    """This checkout first on PYTHONPATH, for both commands of a pair."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def versions() -> dict[str, str]:
    """What the figure depends on besides gilscope: pydantic (most of the import time) and typing_extensions
    (before 4.16 its @deprecated imports asyncio for pydantic_core on Python 3.11 and 3.12)."""
    code = "import pydantic, pydantic_core, typing_extensions as t, importlib.metadata as m; print(" + (
        "pydantic.VERSION, pydantic_core.__version__, m.version('typing_extensions'))"
    )
    found = subprocess.run([sys.executable, "-c", code], env=child_env(), capture_output=True, text=True)
    names = ("pydantic", "pydantic_core", "typing_extensions")
    return dict(zip(names, found.stdout.split())) if found.returncode == 0 else {}


def commit() -> str:
    found = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    return found.stdout.strip()


def run_quietly(argv: list[str], cwd: str) -> None:
    """One run with this checkout first on PYTHONPATH, no input, its output discarded."""
    subprocess.run(
        argv,
        cwd=cwd,
        env=child_env(),
        check=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def timed(argv: list[str], cwd: str) -> tuple[float, float]:
    """(wall, CPU) seconds of one run; CPU is user + system of the process and every child it waited for."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    run_quietly(argv, cwd)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def instructions(argv: list[str], cwd: str) -> list[int]:
    """Instructions executed by each process of one run, the first process first (callgrind)."""
    with tempfile.TemporaryDirectory() as out:
        run_quietly(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}/cg.%p", *argv], cwd)
        counts = []
        for path in sorted(Path(out).glob("cg.*"), key=lambda p: int(p.suffix[1:])):
            summary = next(line for line in path.read_text().splitlines() if line.startswith("summary:"))
            counts.append(int(summary.split()[1]))
        return counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pairs", type=int, default=10)
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument(
        "--command",
        help="how to run gilscope (default: the console script), e.g. to compare "
        "another checkout: --command 'python3 -m gilscope' with PYTHONPATH=that/checkout",
    )
    ap.add_argument(
        "--target-s", type=float, default=0.0, help="the target sleeps this long (default: empty)"
    )
    ap.add_argument(
        "--report",
        action="store_true",
        help="print the terminal report (to a discarded stderr) instead of -q",
    )
    ap.add_argument("--instructions", action="store_true", help="also count instructions (needs valgrind)")
    ns = ap.parse_args()
    name = "empty.py" if not ns.target_s else "sleeps.py"
    counted: dict[str, list[int]] = {}
    with tempfile.TemporaryDirectory() as folder:  # no pyproject.toml above it: no [tool.gilscope]
        script = os.path.join(folder, name)
        body = f"import time\ntime.sleep({ns.target_s})\n" if ns.target_s else ""
        Path(script).write_text(body, encoding="utf-8")
        gilscope = shlex.split(ns.command) if ns.command else gilscope_command()
        quiet = [] if ns.report else ["-q"]
        bare_cmd, profiled_cmd = [sys.executable, script], [*gilscope, "profile", *quiet, script]
        timed(profiled_cmd, folder)  # warm-up: bytecode caches, page cache
        bare, profiled = [], []
        for _ in range(ns.pairs):
            bare.append(timed(bare_cmd, folder))
            profiled.append(timed(profiled_cmd, folder))
        if ns.instructions:
            counted = {"bare": instructions(bare_cmd, folder), "profiled": instructions(profiled_cmd, folder)}
    cost = statistics.median(p[0] - b[0] for p, b in zip(profiled, bare))
    cpu_cost = statistics.median(p[1] - b[1] for p, b in zip(profiled, bare))
    result = {
        "pairs": ns.pairs,
        "bare_s": round(statistics.median(b[0] for b in bare), 4),
        "profiled_s": round(statistics.median(p[0] for p in profiled), 4),
        "fixed_cost_s": round(cost, 4),
        "fixed_cpu_s": round(cpu_cost, 4),
        "python": sys.version.split()[0],
        "executable": sys.executable,
        "command": [*gilscope, "profile", *quiet, name],
        "target_s": ns.target_s,
        "gilscope_commit": commit(),
        **versions(),
        "cpus": os.cpu_count(),
        "load_1min": round(os.getloadavg()[0], 2),
    }
    if counted:
        result["instructions"] = {
            "bare": sum(counted["bare"]),
            "gilscope_process": counted["profiled"][0],
            "other_processes": sum(counted["profiled"][1:]),
        }
    print(
        f"python {name} {result['bare_s']:.3f} s, gilscope profile {' '.join(quiet + [name])} "
        f"{result['profiled_s']:.3f} s: "
        f"fixed cost {cost:.3f} s (median of {ns.pairs} alternating pairs; load {result['load_1min']}); "
        f"CPU {cpu_cost:.3f} s"
    )
    if counted:
        counts = result["instructions"]
        print(
            f"instructions: bare {counts['bare'] / 1e6:.0f}M; "
            f"gilscope's process {counts['gilscope_process'] / 1e6:.0f}M, "
            f"the agent and target {counts['other_processes'] / 1e6:.0f}M"
        )
    if ns.json:
        ns.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
