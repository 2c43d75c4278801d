"""Does profiling a long run keep memory bounded? The agent's RSS over time, on a target built to grow it.

    python benchmarks/long_run.py [--seconds 60] [--paths 3000] [--thread-rate 20] [--dynamic-code 0]
                                  [--bare] [--out benchmarks/results/long_run.json]

The target (written to a temporary folder) runs for --seconds and, all the time:
- the main thread walks a fixed set of --paths distinct call paths, 2-5 frames deep through 40 generated
  functions, each ending in ~1 ms of CPU, a short sleep or a lock wait (so the stacks the sampler sees keep
  cycling through thousands of distinct keys, then repeat);
- it starts --thread-rate short-lived threads per second (each runs 50-150 ms through those paths and ends;
  a thread per request, as servers do), and keeps 4 long-lived workers contending on a lock;
- an asyncio thread whose callbacks block, for the event-loop stall bookkeeping;
- with --dynamic-code N, compiles N new functions per second (as templating, eval and namedtuple do):
  every new code object is a new frame to the sampler.

It runs `python -m gilscope profile --json REPORT target.py` and, every second, reads VmRSS of the
`gilscope.agent` child process (the target with the sampler in it) from /proc; the target also writes, once a
second, the sizes of the sampler's structures (it shares the process: stack keys, thread records, timeline
segments, frames, code index, call cache, loop stalls), so growth can be put down to one of them. With --bare
it first runs the target alone and reads its RSS the same way, so the sampler's share can be told from the
target's own.
RSS is called flat when its least-squares slope after the warm-up (the first 20% of the run, at least 10 s)
is under 1 MB per minute. Also recorded: the JSON report's size and what it holds (stacks, frames,
threads, timeline segments, sampling rounds), and gilscope's wall time and exit status.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import RESULTS, child_env, machine, machine_line, write_json

FLAT_MB_PER_MIN = 1.0

TARGET = r'''
import asyncio, json, os, random, sys, threading, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import paths_lib as lib

SECONDS, N_PATHS, THREAD_RATE, DYNAMIC = float(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
END = time.monotonic() + SECONDS
rng = random.Random(7)
PATHS = [tuple(rng.randrange(lib.N) for _ in range(rng.randint(2, 5))) + (rng.randrange(3),) for _ in range(N_PATHS)]
LOCK = threading.Lock()

def walk(start, count):
    for k in range(count):
        p = PATHS[(start + k) % len(PATHS)]
        lib.call(p[:-1], p[-1], LOCK)

def short_lived(seed):
    end = time.monotonic() + 0.05 + (seed % 10) / 100
    k = seed * 37
    while time.monotonic() < end:
        walk(k, 5)
        k += 5

def contender():
    k = 0
    while time.monotonic() < END:
        with LOCK:
            lib.spin(0.002)
        time.sleep(0.003)
        k += 1

def spawner():
    n = 0
    while time.monotonic() < END:
        t = threading.Thread(target=short_lived, args=(n,), name=f"request-{n}")
        t.start()
        n += 1
        time.sleep(1.0 / THREAD_RATE)
    print("short-lived threads started:", n, file=sys.stderr)

async def blocking_callbacks():
    k = 0
    while time.monotonic() < END:
        walk(k * 11, 2)          # blocks the loop: a stall, with a path's stack
        k += 1
        await asyncio.sleep(0.01)

def dynamic():
    n = 0
    while time.monotonic() < END:
        ns = {"time": time}   # a fresh function that runs 3 ms, so that the sampler sees it
        exec(compile(f"def generated_{n}(x):\n    end = time.perf_counter() + 0.003\n"
                     f"    while time.perf_counter() < end:\n        x += 1\n    return x\n", f"<gen-{n}>", "exec"), ns)
        ns[f"generated_{n}"](n)
        n += 1
        time.sleep(1.0 / DYNAMIC)

helpers = [threading.Thread(target=contender, name=f"contender-{i}", daemon=True) for i in range(4)]
helpers.append(threading.Thread(target=spawner, name="spawner", daemon=True))
helpers.append(threading.Thread(target=lambda: asyncio.run(blocking_callbacks()), name="event-loop", daemon=True))
if DYNAMIC > 0:
    helpers.append(threading.Thread(target=dynamic, name="dynamic-code", daemon=True))

def monitor(path):
    """Once a second, the sizes of the sampler's structures (it runs in this process, under gilscope)."""
    from gilscope.agent import collectors, stacks as stacks_mod
    t0 = time.monotonic()
    trace = os.environ.get("LONG_RUN_TRACE")   # diagnosis: where the agent's memory grows, by allocation site
    first = None
    with open(path, "w") as fh:
        while time.monotonic() < END:
            if trace and first is None and time.monotonic() - t0 > 0.2 * SECONDS:
                import tracemalloc
                tracemalloc.start(3)
                first = tracemalloc.take_snapshot()
            s = collectors._ACTIVE
            if s is not None:
                records = [th for th in list(s.thread_list) if th is not None]
                fh.write(json.dumps({
                    "t": round(time.monotonic() - t0, 2), "rounds": s.rounds, "stack_keys": len(s.stacks),
                    "thread_records": len(records), "ident_map": len(s.threads),
                    "segments": sum(len(th.segments) for th in records), "frames": len(s.frames),
                    "code_index": len(s.code_index), "call_cache": len(stacks_mod._call_cache),
                    "stalls": len(s.stalls)}) + "\n")
                fh.flush()
            time.sleep(1.0)
    if first is not None:
        import tracemalloc
        diff = tracemalloc.take_snapshot().compare_to(first, "traceback")
        with open(trace, "w") as out:
            for stat in diff[:25]:
                out.write(f"{stat.size_diff / 1024:+.1f} KiB {stat.count_diff:+d} blocks\n")
                out.write("".join(f"    {line}\n" for line in stat.traceback.format()))

if os.environ.get("LONG_RUN_STATS") and "gilscope.agent.collectors" in sys.modules:
    helpers.append(threading.Thread(target=monitor, args=(os.environ["LONG_RUN_STATS"],), name="monitor",
                                    daemon=True))
for t in helpers:
    t.start()
k = 0
while time.monotonic() < END:
    walk(k, 50)
    k += 50
for t in helpers:
    t.join(timeout=2)
'''


def paths_lib(n: int = 40) -> str:
    """n functions that call each other along a path; the last one does ~1 ms of work of one of three kinds."""
    out = [
        "import time",
        f"N = {n}",
        "",
        "def spin(seconds):",
        "    end = time.perf_counter() + seconds",
        "    x = 0",
        "    while time.perf_counter() < end:",
        "        x += 1",
        "    return x",
        "",
        "def leaf(kind, lock):",
        "    if kind == 0:",
        "        return spin(0.001)",
        "    if kind == 1:",
        "        return time.sleep(0.001)",
        "    with lock:",
        "        return spin(0.0005)",
        "",
    ]
    for i in range(n):
        out += [
            f"def f{i}(path, kind, lock):",
            "    if not path:",
            "        return leaf(kind, lock)",
            "    if len(path) % 2:   # two call sites: two lines",
            "        return FUNCS[path[0]](path[1:], kind, lock)",
            "    return FUNCS[path[0]](path[1:], kind, lock)",
            "",
        ]
    out += [
        f"FUNCS = [{', '.join(f'f{i}' for i in range(n))}]",
        "",
        "def call(path, kind, lock):",
        "    return FUNCS[path[0]](path[1:], kind, lock)",
        "",
    ]
    return "\n".join(out)


def vm_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(x) for x in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def find_agent(root: int) -> int | None:
    """The `python -m gilscope.agent` process under `root`."""
    todo = [root]
    while todo:
        pid = todo.pop()
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"gilscope.agent" in cmd:
            return pid
        todo += children(pid)
    return None


def watch(argv, cwd, seconds, find, log, label, env=None):
    """Run argv; every second, the RSS of the process `find(pid)` picks. -> (timeline, wall_s, exit code)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=cwd, env=env or child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    timeline = []
    watched = None
    next_tick = t0 + 1.0
    while proc.poll() is None:
        time.sleep(max(0.0, next_tick - time.perf_counter()))
        next_tick += 1.0
        watched = watched or find(proc.pid)
        rss = vm_rss_mb(watched) if watched else None
        if rss is not None:
            timeline.append((round(time.perf_counter() - t0, 2), round(rss, 2)))
            if len(timeline) % 10 == 0:
                log(f"  {label}: {timeline[-1][0]:.0f} s, RSS {rss:.1f} MB")
    err = proc.stderr.read()
    return timeline, time.perf_counter() - t0, proc.returncode, err


def trend(timeline, seconds):
    """RSS after warm-up: first, last, min, max, least-squares slope in MB per minute."""
    warm = max(10.0, 0.2 * seconds)
    points = [(t, r) for t, r in timeline if t >= warm]
    if len(points) < 3:
        return None
    n = len(points)
    mt = sum(t for t, _ in points) / n
    mr = sum(r for _, r in points) / n
    slope = sum((t - mt) * (r - mr) for t, r in points) / (sum((t - mt) ** 2 for t, _ in points) or 1.0)
    rs = [r for _, r in points]
    return {
        "warmup_s": warm,
        "first_mb": rs[0],
        "last_mb": rs[-1],
        "min_mb": min(rs),
        "max_mb": max(rs),
        "slope_mb_per_min": round(slope * 60, 3),
        "flat": abs(slope * 60) < FLAT_MB_PER_MIN,
    }


def at(timeline, t):
    """RSS at the reading closest to t seconds."""
    return min(timeline, key=lambda p: abs(p[0] - t))[1] if timeline else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--paths", type=int, default=1000, help="distinct call paths the target cycles through")
    ap.add_argument("--thread-rate", type=float, default=20.0, help="short-lived threads started per second")
    ap.add_argument("--dynamic-code", type=float, default=0.0, help="new code objects compiled per second")
    ap.add_argument("--bare", action="store_true", help="also run the target alone, for its own RSS")
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--out", type=Path, default=RESULTS / "long_run.json")
    ns = ap.parse_args()
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731

    with tempfile.TemporaryDirectory(prefix="gilscope-long-run-") as tmp:
        Path(tmp, "target.py").write_text(TARGET)
        Path(tmp, "paths_lib.py").write_text(paths_lib())
        target_args = [str(ns.seconds), str(ns.paths), str(ns.thread_rate), str(ns.dynamic_code)]
        bare = None
        if ns.bare:
            log(f"bare target, {ns.seconds:.0f} s")
            timeline, wall, code, err = watch(
                [ns.python, "target.py", *target_args], tmp, ns.seconds, lambda pid: pid, log, "bare"
            )
            bare = {
                "timeline": timeline,
                "wall_s": wall,
                "exit_code": code,
                "trend": trend(timeline, ns.seconds),
                "stderr": err.strip().splitlines()[-3:],
            }
        report_path = Path(tmp, "report.json")
        argv = [
            ns.python,
            "-m",
            "gilscope",
            "profile",
            "--quiet",
            "--json",
            str(report_path),
            "target.py",
            *target_args,
        ]
        log(f"profiled target, {ns.seconds:.0f} s")
        stats_path = Path(tmp, "sampler-stats.jsonl")
        env = dict(child_env(), LONG_RUN_STATS=str(stats_path))
        timeline, wall, code, err = watch(argv, tmp, ns.seconds, find_agent, log, "profiled", env)
        try:
            sampler = [json.loads(line) for line in stats_path.read_text().splitlines() if line.strip()]
        except (OSError, ValueError):
            sampler = []
        report = {}
        if report_path.exists():
            size = report_path.stat().st_size
            data = json.loads(report_path.read_text())
            p = data.get("profile") or {}
            report = {
                "json_mb": round(size / 1e6, 2),
                "exit_code": data["run"]["exit_code"],
                "samples": data["run"]["samples"],
                "stacks": len(p.get("stacks", [])),
                "frames": len(p.get("frames", [])),
                "threads": len(p.get("threads", [])),
                "segments": sum(len(t["segments"]) for t in p.get("threads", [])),
                "max_segments_per_thread": max((len(t["segments"]) for t in p.get("threads", [])), default=0),
                "loop_stalls": len(p.get("loop_stalls", [])),
                "hotspots": [
                    f"{h['function']} ({h['kind']}, {h['share']:.0%})" for h in data["hotspots"][:5]
                ],
            }
    profiled = {
        "timeline": timeline,
        "wall_s": wall,
        "exit_code": code,
        "trend": trend(timeline, ns.seconds),
        "stderr": err.strip().splitlines()[-5:],
    }
    result = {
        "machine": machine(ns.python),
        "params": {k: getattr(ns, k) for k in ("seconds", "paths", "thread_rate", "dynamic_code")},
        "profiled": profiled,
        "bare": bare,
        "report": report,
        "sampler": sampler,
    }
    write_json(ns.out, result)
    print(table(result))
    log(f"wrote {ns.out}")


def table(result) -> str:
    prm, prof, bare, rep = result["params"], result["profiled"], result["bare"], result["report"]
    s = prm["seconds"]
    marks = [m for m in (10, 30, 60, 120, 300, 600) if m < s] + [s]
    lines = [
        f"Long run: {s:.0f} s, {prm['paths']:,} call paths, {prm['thread_rate']:g} short-lived threads/s"
        + (f", {prm['dynamic_code']:g} new code objects/s" if prm["dynamic_code"] else "")
        + ".",
        "",
        "| RSS MB at | " + " | ".join(f"{m:.0f} s" for m in marks) + " | slope after warm-up | flat |",
        "|---|" + "---:|" * len(marks) + "---:|---|",
    ]
    for label, run in (("gilscope.agent (target + sampler)", prof), ("target alone", bare)):
        if not run or not run["timeline"]:
            continue
        tr = run["trend"] or {}
        lines.append(
            f"| {label} | "
            + " | ".join(f"{at(run['timeline'], m):.1f}" for m in marks)
            + f" | {tr.get('slope_mb_per_min', float('nan')):+.2f} MB/min | "
            + ("yes" if tr.get("flat") else "NO")
            + " |"
        )
    sampler = result.get("sampler") or []
    if sampler:
        rss = dict(prof["timeline"])
        lines += [
            "",
            "Inside the agent (read by the target from the sampler in its process, once a second):",
            "",
            "| t s | RSS MB | sampling rounds | stack keys | thread records | ident map | timeline segments | "
            "frames | code index | call cache | loop stalls |",
            "|" + "---:|" * 11,
        ]
        for row in sampler:
            if any(abs(row["t"] - m) < 0.6 for m in marks) or row is sampler[-1]:
                near = min(rss, key=lambda t: abs(t - row["t"])) if rss else None
                lines.append(
                    f"| {row['t']:.0f} | {rss[near] if near is not None else float('nan'):.1f} | "
                    f"{row['rounds']:,} | {row['stack_keys']:,} | {row['thread_records']:,} | "
                    f"{row['ident_map']:,} | {row['segments']:,} | {row['frames']:,} | {row['code_index']:,} | "
                    f"{row['call_cache']:,} | {row['stalls']:,} |"
                )
    if rep:
        lines += [
            "",
            f"Report: {rep['json_mb']} MB of JSON; {rep['samples']:,} sampling rounds, {rep['stacks']:,} "
            f"stacks, {rep['frames']:,} frames, {rep['threads']:,} threads, {rep['segments']:,} timeline "
            f"segments (at most {rep['max_segments_per_thread']:,} per thread), {rep['loop_stalls']} loop "
            f"stalls; target exit code {rep['exit_code']}; gilscope took {prof['wall_s']:.1f} s in all "
            f"(exit {prof['exit_code']}).",
            "Top hotspots: " + "; ".join(rep["hotspots"]),
        ]
    lines += ["", f"Machine: {machine_line(result['machine'])}"]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
