"""How gilscope's analysis scales: merge, classify, facts, rules and every renderer on a big synthetic profile.

    python benchmarks/scale.py [--samples 1000000] [--functions 50000] [--threads 64] [--stacks 100000]
                               [--paths 24000] [--repeat 3] [--sweep 25000,50000,250000] [--no-memory]
                               [--out benchmarks/results/scale.json]

It builds, in the agent's data-file format (what `python -m gilscope.agent` writes and `gilscope profile`
reads back), a profile of `--samples` thread-samples over `--functions` functions and `--threads` threads:
`--stacks` distinct aggregated stacks (thread, frames, line, state, blocker: the sampler's key) over about
`--paths` distinct call paths 6-35 frames deep, each thread with a full timeline (2,000-4,000 segments; the
sampler keeps at most 4,000), plus two pool-worker processes, asyncio loop stalls and library frames. Time
is Zipf-distributed over the innermost user functions, and each of those has a nature (CPU, I/O, native,
lock) that decides its stacks' states, so the report has real hotspots, lock holders and findings.

Stages, timed in one child process that does them all in order, as `gilscope profile --json F --markdown F
--html F --sarif F --speedscope F` does (median of --repeat children):
  load       gilscope.collect.launch.read_data: the agent's data files read and parsed
  merge      gilscope.collect.merge.merge -> Profile
  classify   gilscope.analysis.classify
  threads    summarize_threads
  facts      hotspot_facts for every hotspot + run_facts
  rules      gilscope.engine.evaluate_rules with the builtin rules
  report     the Report (with the profile embedded, as --json saves it)
  text, md, html, sarif, json, speedscope   gilscope.render.render
The total of these is checked against the 2 s target, and the child's peak RSS (VmHWM: the interpreter, its
imports, the input, and the writing of the five files with gilscope.outputs.write_atomic, which is timed
apart) against 500 MB. With memory measuring on, each stage also runs in a child of its own under
tracemalloc, for the peak of its Python allocations. --sweep repeats the timed run once at other numbers of
distinct stacks.
"""

import argparse
import gc
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import RESULTS, ROOT, machine, machine_line, write_json

STAGES = [
    "load",
    "merge",
    "classify",
    "threads",
    "facts",
    "rules",
    "report",
    "text",
    "md",
    "html",
    "sarif",
    "json",
    "speedscope",
]
TARGET_S = 2.0
TARGET_MB = 500
STATES = ["cpu", "native", "io", "gil", "lock"]
# What a leaf function does decides the states its stacks are in: (share of leaves, state weights).
NATURES = {
    "cpu": (50, [70, 5, 0, 25, 0]),
    "io": (25, [15, 0, 85, 0, 0]),
    "native": (15, [20, 80, 0, 0, 0]),
    "lock": (10, [20, 0, 0, 0, 80]),
}
BLOCKERS = {
    "cpu": [None],
    "native": ["native code"],
    "io": ["time.sleep", "sock.recv", "f.read", "proc.wait"],
    "gil": ["GIL"],
    "lock": ["lock.acquire", "q.get", "fut.result", "with"],
}


# ---- the synthetic profile ------------------------------------------------------------------------------
def build_data(ns) -> list[dict]:
    """The agent's data dicts: the main process first, then two pool workers."""
    rng = random.Random(ns.seed)
    n_funcs = ns.functions
    # Frames: [qualname, file, firstlineno, user]. ~90% user code in 2,000 files; the rest stdlib/site-packages.
    frames = [
        ["<module>", "/srv/app/main.py", 1, True],
        ["main", "/srv/app/main.py", 10, True],
        ["Thread._bootstrap", "/usr/lib/python3.11/threading.py", 995, False],
        ["Thread.run", "/usr/lib/python3.11/threading.py", 970, False],
        ["Handle._run", "/usr/lib/python3.11/asyncio/events.py", 78, False],
        ["BaseProcess._bootstrap", "/usr/lib/python3.11/multiprocessing/process.py", 300, False],
        ["Lock.acquire", "/usr/lib/python3.11/threading.py", 100, False],
    ]
    libs = [
        "/usr/lib/python3.11/json/decoder.py",
        "/usr/lib/python3.11/socket.py",
        "/usr/lib/python3.11/queue.py",
        "/venv/lib/python3.11/site-packages/requests/sessions.py",
        "/venv/lib/python3.11/site-packages/numpy/core/fromnumeric.py",
    ]
    while len(frames) < n_funcs:
        i = len(frames)
        if i % 10 == 0:
            frames.append([f"lib_func_{i}", libs[i % len(libs)], i % 3000, False])
        else:
            module = f"/srv/app/pkg{i % 40}/mod{i % 2000}.py"
            name = f"Class{i % 500}.method_{i}" if i % 3 else f"func_{i}"
            if i % 97 == 0:
                name = f"func_{i - 1}.<locals>.<listcomp>"
            frames.append([name, module, (i * 7) % 5000 + 1, True])
    user_ids = [i for i in range(7, n_funcs) if frames[i][3]]
    lib_ids = [i for i in range(7, n_funcs) if not frames[i][3]]
    # Zipf over the innermost user functions: a few hot ones, a long tail.
    hot = user_ids[:]
    rng.shuffle(hot)
    leaf_weights = [1.0 / (r + 1) ** 1.1 for r in range(len(hot))]

    # Call paths, outermost first: a thread root, 4-30 user/lib frames, a Zipf-chosen user leaf, sometimes a
    # library frame under it (time in callees, charged to the leaf).
    paths = []
    leaves = rng.choices(hot, weights=leaf_weights, k=ns.paths)
    names = list(NATURES)
    nature = dict(zip(hot, rng.choices(names, weights=[NATURES[n][0] for n in names], k=len(hot))))
    path_states = [NATURES[nature[leaf]][1] for leaf in leaves]
    for p in range(ns.paths):
        kind = p % 20
        root = (
            [2, 3] if kind < 14 else [0, 1] if kind < 18 else [0, 1, 4]
        )  # worker thread / main / event loop
        middle = [
            rng.choice(user_ids) if rng.random() < 0.7 else rng.choice(lib_ids)
            for _ in range(rng.randint(4, 30))
        ]
        tail = [rng.choice(lib_ids)] if rng.random() < 0.4 else []
        paths.append(root + middle + [leaves[p]] + tail)

    def process_dict(role, n_threads, n_stacks, samples, main_proc):
        proc_frames: list = []
        local: dict[int, int] = {}

        def loc(i):
            if i not in local:
                local[i] = len(proc_frames)
                proc_frames.append(frames[i])
            return local[i]

        if main_proc:
            for i in range(n_funcs):  # the main process has seen every function
                loc(i)
        threads = []
        for t in range(n_threads):
            segs, now = [], 0.0
            for _ in range(rng.randint(2000, 4000)):
                d = rng.random() * 0.05
                segs.append([round(now, 6), round(now + d, 6), rng.choices(STATES, [40, 10, 20, 15, 15])[0]])
                now += d
            states = {s: 0.0 for s in STATES}
            for a, b, s in segs:
                states[s] += b - a
            threads.append(
                {
                    "tid": 1000 + t,
                    "name": "MainThread" if (t == 0 and main_proc) else f"worker-{t}",
                    "is_main": t == 0 and main_proc,
                    "daemon": t % 7 == 3,
                    "wall_s": now,
                    "cpu_s": states["cpu"] + states["native"],
                    "states": states,
                    "segments": segs,
                }
            )
        # Distinct (thread, frames, line, state, blocker) keys, then samples spread over them (Pareto) so that
        # they sum to exactly `samples`.
        keys, seen = [], set()
        while len(keys) < n_stacks:
            path_index = rng.randrange(len(paths))
            path = paths[path_index]
            th = rng.randrange(n_threads)
            if main_proc and path[0] == 0:
                th = 0 if rng.random() < 0.7 else th
            state = rng.choices(STATES, path_states[path_index])[0]
            blocker = rng.choice(BLOCKERS[state])
            line = frames[path[-1]][2] + rng.randint(0, 40)
            key = (th, path_index, line, state, blocker)
            if key not in seen:
                seen.add(key)
                keys.append(key)
        weights = [rng.paretovariate(1.5) for _ in range(n_stacks)]
        scale = (samples - n_stacks) / sum(weights)
        counts = [1 + int(w * scale) for w in weights]
        for k in rng.sample(range(n_stacks), samples - sum(counts)):
            counts[k] += 1
        stacks = []
        interval = ns.interval
        for (th, path_index, line, state, blocker), n in zip(keys, counts):
            path = paths[path_index] if main_proc else [5] + paths[path_index]
            wall = n * interval
            cpu = wall if state in ("cpu", "native") else 0.0
            critical = wall if th == 0 else wall * 0.2
            waits = n // 3 if state in ("io", "lock") else 0
            stacks.append([th, [loc(i) for i in path], line, state, blocker, n, wall, cpu, critical, waits])
        stalls = []
        for k in range(200 if main_proc else 0):
            path = paths[(k * 20 + 18) % len(paths)]
            stalls.append(
                [
                    0,
                    [loc(i) for i in path],
                    rng.choice(["io", "cpu"]),
                    rng.randint(1, 50),
                    rng.random() * 2,
                    rng.random() * 0.2,
                ]
            )
        wall = max(t["wall_s"] for t in threads)
        return {
            "version": 1,
            "pid": 4000 + len(role) + n_threads,
            "ppid": 1,
            "role": role,
            "argv": ["/srv/app/main.py", "--big"],
            "engine": "sampler",
            "frames": proc_frames,
            "threads": threads,
            "stacks": stacks,
            "stalls": stalls,
            "samples": samples // n_threads,
            "interval_s": interval,
            "gil_measured": True,
            "wall_s": wall,
            "cpu_s": sum(t["cpu_s"] for t in threads),
            "exit_code": 0,
            "exception": None,
            "interrupted": None,
            "free_threaded": False,
            "gil_enabled": True,
            "gil_reenabled_by": [],
            "python": "3.11.7",
            "cpu_count": 8,
            "notes": [],
        }

    worker_threads = 2
    main_threads = ns.threads - 2 * worker_threads
    worker_stacks = ns.stacks // 20
    worker_samples = ns.samples // 20
    data = [
        process_dict(
            "main", main_threads, ns.stacks - 2 * worker_stacks, ns.samples - 2 * worker_samples, True
        )
    ]
    for _ in range(2):
        data.append(process_dict("pool worker", worker_threads, worker_stacks, worker_samples, False))
    return data


def data_stats(data) -> dict:
    return {
        "processes": len(data),
        "threads": sum(len(d["threads"]) for d in data),
        "functions": len({tuple(f) for d in data for f in d["frames"]}),
        "stacks": sum(len(d["stacks"]) for d in data),
        "distinct_frame_tuples": len({tuple(s[1]) for d in data for s in d["stacks"]}),
        "samples": sum(s[5] for d in data for s in d["stacks"]),
        "segments": sum(len(t["segments"]) for d in data for t in d["threads"]),
        "stalls": sum(len(d["stalls"]) for d in data),
        "data_file_mb": round(sum(len(json.dumps(d)) for d in data) / 1e6, 1),
    }


# ---- one child: run stages, measure ---------------------------------------------------------------------
def run_stages(data_dir: str, upto: list[str], measure: str, write_dir: str = "") -> dict:
    """Run the pipeline on the data files in `data_dir`, timing (or tracing) the stages in `upto`."""
    import tracemalloc

    from gilscope import __version__
    from gilscope.analysis import classify, summarize_threads
    from gilscope.analysis.facts import hotspot_facts, run_facts
    from gilscope.collect.launch import Outcome, read_data
    from gilscope.collect.merge import merge
    from gilscope.engine import evaluate_rules, load_rules
    from gilscope.model import Report
    from gilscope.outputs import write_atomic
    from gilscope.pipeline import caveats, run_info
    from gilscope.render import render

    rules = load_rules([])
    out: dict = {"_baseline_rss_mb": peak_rss_mb()}
    gc.disable()  # as run_profile does from reading the data to the last report (see gilscope/gcpause.py)
    state: dict = {}

    def stage(name, fn):
        if measure == "memory" and name in upto:
            tracemalloc.start()
            tracemalloc.reset_peak()
            base = tracemalloc.get_traced_memory()[0]
            result = fn()
            out[name] = {"traced_peak_mb": round((tracemalloc.get_traced_memory()[1] - base) / 2**20, 1)}
            tracemalloc.stop()
            return result
        t0 = time.perf_counter()
        result = fn()
        if name in upto:
            out[name] = {"seconds": time.perf_counter() - t0}
        return result

    # The files as the agent leaves them for `gilscope profile` (read_data deletes them, so on a copy).
    out_dir = Path(tempfile.mkdtemp(prefix="gilscope-scale-load-"))
    for i, path in enumerate(sorted(Path(data_dir).glob("data-*.json"))):
        shutil.copy(path, out_dir / ("profile.json" if i == 0 else f"profile.json.child-{1000 + i}"))
    data, errors = stage("load", lambda: read_data(out_dir / "profile.json"))
    assert not errors, errors
    state["profile"] = stage("merge", lambda data=data: merge(data, "sampler"))
    outcome = Outcome(returncode=0, wall_s=data[0]["wall_s"], interrupted=None, data=data)
    run = run_info(outcome, ["/srv/app/main.py", "--big"], "sampler")
    del data, outcome
    profile = state.pop("profile")
    hotspots = stage("classify", lambda: classify(profile))
    threads = stage("threads", lambda: summarize_threads(profile))
    facts = stage(
        "facts",
        lambda: (
            [hotspot_facts(h, run, profile, threads) for h in hotspots] + [run_facts(run, profile, threads)]
        ),
    )
    findings = stage("rules", lambda: evaluate_rules(rules, facts))
    report = stage(
        "report",
        lambda: Report(
            version=__version__,
            run=run,
            hotspots=hotspots,
            findings=findings,
            threads=threads,
            caveats=caveats(profile, run, []),
            profile=profile,
        ),
    )
    sizes = {}
    write_s = 0.0
    for fmt in ("text", "md", "html", "sarif", "json", "speedscope"):
        text = stage(fmt, lambda fmt=fmt: render(report, fmt, rules=rules, width=100))
        sizes[fmt] = sum(len(text[i : i + (1 << 20)].encode("utf-8")) for i in range(0, len(text), 1 << 20))
        if write_dir and fmt != "text":  # as `gilscope profile --json F --html F ...` writes them
            t0 = time.perf_counter()
            write_atomic(Path(write_dir, f"report.{fmt}"), text)
            write_s += time.perf_counter() - t0
        del text
    out["_sizes"] = sizes
    out["_write_s"] = write_s
    out["_counts"] = {
        "hotspots": len(hotspots),
        "findings": len(findings),
        "threads": len(threads),
        "stacks": len(profile.stacks),
        "frames": len(profile.frames),
    }
    return out


def peak_rss_mb() -> float:
    """This process's peak RSS: VmHWM. Not ru_maxrss: Linux carries the parent's high-water mark over fork and
    exec into it, so a child of this (large) benchmark process would report the parent's peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_main(ns) -> None:
    upto = STAGES if ns.stage == "all" else [ns.stage]
    t0 = time.perf_counter()
    result = run_stages(ns.child_dir, upto, ns.measure, ns.child_dir if ns.stage == "all" else "")
    result["_total_s"] = time.perf_counter() - t0
    result["_maxrss_mb"] = peak_rss_mb()
    sys.stdout.write(json.dumps(result) + "\n")


def in_child(ns, data_dir, stage, measure):
    argv = [sys.executable, __file__, "--child-dir", str(data_dir), "--stage", stage, "--measure", measure]
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    )
    proc = subprocess.run(argv, capture_output=True, text=True, env=env)
    if proc.returncode:
        sys.exit(f"child {stage}/{measure} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--samples", type=int, default=1_000_000)
    ap.add_argument("--functions", type=int, default=50_000)
    ap.add_argument("--threads", type=int, default=64)
    ap.add_argument("--stacks", type=int, default=100_000, help="distinct aggregated stacks")
    ap.add_argument("--paths", type=int, default=24_000, help="call paths the stacks are drawn from")
    ap.add_argument("--interval", type=float, default=0.005)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per stage (median quoted)")
    ap.add_argument("--no-memory", action="store_true", help="skip the tracemalloc runs")
    ap.add_argument(
        "--sweep",
        default="25000,50000,250000",
        help="also time the whole pipeline once at these counts of distinct stacks ('' for none)",
    )
    ap.add_argument("--out", type=Path, default=RESULTS / "scale.json")
    ap.add_argument("--child-dir", help=argparse.SUPPRESS)
    ap.add_argument("--stage", default="all", help=argparse.SUPPRESS)
    ap.add_argument("--measure", default="time", help=argparse.SUPPRESS)
    ns = ap.parse_args()
    if ns.child_dir:
        child_main(ns)
        return

    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    main_run, stats = measure(ns, ns.stacks, ns.paths, ns.repeat, not ns.no_memory, log)
    sweep = []
    for stacks in [int(x) for x in ns.sweep.split(",") if x.strip()]:
        if stacks == ns.stacks:
            continue
        paths = max(ns.functions // 20, round(ns.paths * stacks / ns.stacks))
        run, sweep_stats = measure(ns, stacks, paths, 1, False, log)
        sweep.append(
            {
                "stacks": stacks,
                "paths": sweep_stats["distinct_frame_tuples"],
                "data_file_mb": sweep_stats["data_file_mb"],
                **run["total"],
            }
        )
    sweep.append(
        {
            "stacks": ns.stacks,
            "paths": stats["distinct_frame_tuples"],
            "data_file_mb": stats["data_file_mb"],
            **main_run["total"],
        }
    )
    sweep.sort(key=lambda r: r["stacks"])
    total = main_run["total"]
    result = {
        "machine": machine(),
        "params": {
            k: getattr(ns, k)
            for k in ("samples", "functions", "threads", "stacks", "paths", "interval", "seed", "repeat")
        },
        "data": stats,
        "counts": main_run["counts"],
        "stages": main_run["stages"],
        "total": total,
        "sweep": sweep,
        "targets": {
            "seconds": TARGET_S,
            "maxrss_mb": TARGET_MB,
            "seconds_ok": total["seconds"] <= TARGET_S,
            "maxrss_ok": total["maxrss_mb"] <= TARGET_MB,
        },
    }
    write_json(ns.out, result)
    print(table(result))
    log(f"wrote {ns.out}")


def measure(ns, stacks, paths, repeat, memory, log):
    """Build the profile with `stacks` distinct stacks, run the pipeline `repeat` times (and per stage under
    tracemalloc when `memory`): per-stage rows and totals."""
    params = argparse.Namespace(**{**vars(ns), "stacks": stacks, "paths": paths})
    t0 = time.perf_counter()
    data = build_data(params)
    stats = data_stats(data)
    log(f"built a synthetic profile in {time.perf_counter() - t0:.1f} s: {stats}")
    with tempfile.TemporaryDirectory(prefix="gilscope-scale-") as tmp:
        for i, d in enumerate(data):
            Path(tmp, f"data-{i}.json").write_text(json.dumps(d))
        del data
        runs = []
        for r in range(repeat):
            log(f"  {stacks:,} stacks: all stages, run {r + 1}/{repeat}")
            runs.append(in_child(ns, tmp, "all", "time"))
        traced = {}
        if memory:
            for stage in STAGES:
                log(f"  tracemalloc: {stage}")
                traced[stage] = in_child(ns, tmp, stage, "memory")[stage]["traced_peak_mb"]
    rows = []
    for stage in STAGES:
        times = [r[stage]["seconds"] for r in runs]
        rows.append(
            {
                "stage": stage,
                "seconds": statistics.median(times),
                "min_s": min(times),
                "max_s": max(times),
                "traced_peak_mb": traced.get(stage),
                "output_mb": (
                    round(runs[0]["_sizes"][stage] / 1e6, 2) if stage in runs[0]["_sizes"] else None
                ),
            }
        )
    total = {
        "seconds": statistics.median(sum(r[s]["seconds"] for s in STAGES) for r in runs),
        "seconds_without_load": statistics.median(
            sum(r[s]["seconds"] for s in STAGES if s != "load") for r in runs
        ),
        "write_s": statistics.median(r["_write_s"] for r in runs),
        "maxrss_mb": statistics.median(r["_maxrss_mb"] for r in runs),
        "baseline_rss_mb": statistics.median(r["_baseline_rss_mb"] for r in runs),
    }
    return {"stages": rows, "total": total, "counts": runs[0]["_counts"]}, stats


def table(result) -> str:
    d, c, t = result["data"], result["counts"], result["total"]
    lines = [
        f"Synthetic profile: {d['samples']:,} samples, {d['functions']:,} functions, {d['threads']} threads in "
        f"{d['processes']} processes, {d['stacks']:,} distinct stacks over {d['distinct_frame_tuples']:,} call "
        f"paths, {d['segments']:,} timeline segments; agent data {d['data_file_mb']} MB. "
        f"Report: {c['hotspots']} hotspots, {c['findings']} findings.",
        "",
        "| stage | seconds (median, min-max) | traced peak MB | output MB |",
        "|---|---:|---:|---:|",
    ]
    for r in result["stages"]:
        mem = "-" if r["traced_peak_mb"] is None else f"{r['traced_peak_mb']:.1f}"
        size = "" if r["output_mb"] is None else f"{r['output_mb']:.2f}"
        lines.append(
            f"| {r['stage']} | {r['seconds']:.3f} ({r['min_s']:.3f}-{r['max_s']:.3f}) | {mem} | {size} |"
        )
    ok = lambda b: "ok" if b else "MISSED"  # noqa: E731
    tg = result["targets"]
    lines += [
        f"| **all** | **{t['seconds']:.2f}** ({t['seconds_without_load']:.2f} without load) | "
        f"**{t['maxrss_mb']:.0f} peak RSS** (before loading: {t['baseline_rss_mb']:.0f}) | |",
        "",
        f"Writing the five report files (not in the time above, in the peak RSS): {t['write_s']:.2f} s.",
        f"Targets: {tg['seconds']:.0f} s ({ok(tg['seconds_ok'])}), {tg['maxrss_mb']} MB peak RSS "
        f"({ok(tg['maxrss_ok'])}).",
    ]
    if result.get("sweep"):
        lines += [
            "",
            "How it scales with the number of distinct stacks (same samples, functions and threads; "
            "one run each):",
            "",
            "| distinct stacks | call paths | agent data MB | seconds | without load | peak RSS MB |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        for r in result["sweep"]:
            lines.append(
                f"| {r['stacks']:,} | {r['paths']:,} | {r['data_file_mb']} | {r['seconds']:.2f} | "
                f"{r['seconds_without_load']:.2f} | {r['maxrss_mb']:.0f} |"
            )
    lines += ["", f"Machine: {machine_line(result['machine'])}"]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
