"""What profiling with gilscope costs: wall time and peak RSS, profiled / bare, per example and engine.

    python benchmarks/overhead.py [--examples a.py,b.py] [--engines auto,cprofile,yappi,pyspy]
                                  [--baselines cprofile-direct,yappi-direct|none] [--pairs 5]
                                  [--out benchmarks/results/overhead.json] [--dry-run]

For every example and every variant (a gilscope engine, or a baseline profiler run without
gilscope) it runs the bare script and the profiled one alternately: one warm-up pair, then
--pairs measured pairs. Each pair gives a ratio profiled/bare, of the whole process's wall time
and of the process tree's peak RSS; a cell is the median (min-max) of those ratios. Baselines:
`python -m cProfile -o /dev/null script` and `python benchmarks/yappi_direct.py script`, so the
engine targets can be checked (cprofile engine <= python -m cProfile + 10%, yappi engine <=
yappi direct + 10%). Prints Markdown tables and writes JSON with the machine it ran on.
"""

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from bench_common import (
    EXAMPLES,
    RESULTS,
    ROOT,
    load_cases,
    machine,
    machine_line,
    pick,
    run_measured,
    spread,
    write_json,
)

ENGINES = ["auto", "cprofile", "yappi", "pyspy"]
BASELINES = ["cprofile-direct", "yappi-direct"]
TARGETS = [("cprofile", "cprofile-direct", 1.10), ("yappi", "yappi-direct", 1.10)]


def variant_argv(variant, script, args, report, python, yappi_clock):
    if variant in ENGINES:
        return [
            python,
            "-m",
            "gilscope",
            "profile",
            "--engine",
            variant,
            "--json",
            str(report),
            str(script),
            *args,
        ]
    if variant == "cprofile-direct":
        return [python, "-m", "cProfile", "-o", os.devnull, str(script), *args]
    if variant == "yappi-direct":
        return [
            python,
            str(ROOT / "benchmarks" / "yappi_direct.py"),
            "--clock",
            yappi_clock,
            str(script),
            *args,
        ]
    raise ValueError(variant)


def run_variant(variant, argv, cwd, report, expected_exit):
    """One profiled run; (Measured, None) or (Measured, why it failed)."""
    report.unlink(missing_ok=True)
    m = run_measured(argv, cwd)
    if m.exit_code < 0:
        return m, f"killed by signal {-m.exit_code}"
    if variant in ENGINES:  # the report must say the target ran to its own end
        try:
            target_exit = json.loads(report.read_text())["run"]["exit_code"]
        except (OSError, ValueError, KeyError, TypeError):
            return m, f"no JSON report (exit {m.exit_code}): {m.stderr_line}"
        why = None if target_exit == expected_exit else f"report says the target exited {target_exit}"
    else:  # python -m cProfile swallows SystemExit and exits 0: only an unexpected failure counts
        ok = m.exit_code in (0, expected_exit)
        why = None if ok else f"exit {m.exit_code}, want {expected_exit}: {m.stderr_line}"
    return m, why


def bench_example(name, label, variants, ns, log):
    script = EXAMPLES / name
    args = label.get("args", [])
    want = label.get("exit_code", 0)
    bare_argv = [ns.python, str(script), *args]
    out = {v: {"example": name, "variant": v, "argv": None, "pairs": [], "failures": []} for v in variants}
    with tempfile.TemporaryDirectory(prefix="gilscope-overhead-") as tmp:
        cwd = Path(tmp)
        report = cwd / "report.json"
        argvs = {v: variant_argv(v, script, args, report, ns.python, ns.yappi_clock) for v in variants}
        active = []
        for v in variants:  # warm-up pair, not recorded
            out[v]["argv"] = argvs[v]
            bare = run_measured(bare_argv, cwd)
            if bare.exit_code != want:
                sys.exit(f"{name}: bare run exited {bare.exit_code}, want {want}: {bare.stderr_line}")
            _, why = run_variant(v, argvs[v], cwd, report, want)
            if why:
                out[v]["failures"].append(f"warm-up: {why}")
                log(f"  {name} {v}: FAILED in warm-up, skipped: {why.splitlines()[0][:200]}")
            else:
                active.append(v)
        for i in range(ns.pairs):
            for v in active:
                bare = run_measured(bare_argv, cwd)
                prof, why = run_variant(v, argvs[v], cwd, report, want)
                if bare.exit_code != want:
                    why = f"bare run exited {bare.exit_code}, want {want}: {bare.stderr_line}"
                if why:
                    out[v]["failures"].append(f"pair {i + 1}: {why}")
                    continue
                out[v]["pairs"].append(
                    {
                        "bare": bare.as_dict(),
                        "profiled": prof.as_dict(),
                        "wall_ratio": prof.wall_s / bare.wall_s,
                        "rss_ratio": prof.maxrss_kb / max(bare.maxrss_kb, 1),
                    }
                )
            log(f"  {name}: pair {i + 1}/{ns.pairs} done")
    for _v, cell in out.items():
        pairs = cell["pairs"]
        cell["wall_ratio"] = spread([p["wall_ratio"] for p in pairs])
        cell["rss_ratio"] = spread([p["rss_ratio"] for p in pairs])
        cell["bare_s"] = spread([p["bare"]["wall_s"] for p in pairs])
        cell["profiled_s"] = spread([p["profiled"]["wall_s"] for p in pairs])
        cell["bare_rss_kb"] = spread([p["bare"]["maxrss_kb"] for p in pairs])
        cell["profiled_rss_kb"] = spread([p["profiled"]["maxrss_kb"] for p in pairs])
    return list(out.values())


def summarize(results, variants):
    summary = {}
    for v in variants:
        cells = [c for c in results if c["variant"] == v]
        done = [c for c in cells if c["wall_ratio"]]
        row = {
            "examples": len(cells),
            "measured": len(done),
            "failed": [c["example"] for c in cells if not c["wall_ratio"]],
        }
        for metric in ("wall_ratio", "rss_ratio"):
            meds = [c[metric]["median"] for c in done]
            worst = max(done, key=lambda c: c[metric]["median"], default=None)
            row[metric] = {
                "median_of_examples": spread(meds)["median"] if meds else None,
                "worst_example": worst["example"] if worst else None,
                "worst": worst[metric]["median"] if worst else None,
            }
        summary[v] = row
    return summary


def check_targets(results):
    by = {(c["example"], c["variant"]): c for c in results}
    examples = sorted({c["example"] for c in results})
    checks = []
    for engine, baseline, limit in TARGETS:
        rel, skipped = {}, []
        for ex in examples:
            e, b = by.get((ex, engine)), by.get((ex, baseline))
            if not e or not b:
                continue
            if e["wall_ratio"] and b["wall_ratio"]:
                rel[ex] = e["wall_ratio"]["median"] / b["wall_ratio"]["median"]
            else:
                skipped.append(ex)
        if not rel:
            continue
        med = spread(list(rel.values()))["median"]
        worst = max(rel, key=rel.get)
        checks.append(
            {
                "engine": engine,
                "baseline": baseline,
                "limit": limit,
                "per_example": rel,
                "median": med,
                "worst_example": worst,
                "worst": rel[worst],
                "over_limit": sorted(ex for ex, r in rel.items() if r > limit),
                "skipped": skipped,
                "ok": med <= limit,
            }
        )
    return checks


def fmt_cell(s):
    return "failed" if not s else f"{s['median']:.2f} ({s['min']:.2f}-{s['max']:.2f})"


def markdown(data):
    variants, results, m = data["config"]["variants"], data["results"], data["machine"]
    by = {(c["example"], c["variant"]): c for c in results}
    examples = data["config"]["examples"]
    lines = [
        f"# gilscope overhead, {data['config']['pairs']} pairs per cell",
        "",
        f"Machine: {machine_line(m)}",
        "",
    ]
    for metric, title, base_key, unit, scale in (
        ("wall_ratio", "Wall time, profiled / bare: median (min-max)", "bare_s", "bare s", 1),
        (
            "rss_ratio",
            "Peak RSS of the process tree, profiled / bare: median (min-max)",
            "bare_rss_kb",
            "bare MiB",
            1 / 1024,
        ),
    ):
        lines += [
            f"## {title}",
            "",
            "| example | " + unit + " | " + " | ".join(variants) + " |",
            "|---|---:|" + "---|" * len(variants),
        ]
        for ex in examples:
            bases = [by[(ex, v)][base_key]["median"] for v in variants if by[(ex, v)][base_key]]
            base = f"{sorted(bases)[len(bases) // 2] * scale:.2f}" if bases else "-"
            lines.append(
                f"| {ex} | {base} | " + " | ".join(fmt_cell(by[(ex, v)][metric]) for v in variants) + " |"
            )
        summ = data["summary"]
        lines.append(
            "| **median of examples** | | "
            + " | ".join(
                f"**{summ[v][metric]['median_of_examples']:.2f}**"
                if summ[v][metric]["median_of_examples"]
                else "-"
                for v in variants
            )
            + " |"
        )
        lines.append(
            "| worst example | | "
            + " | ".join(
                f"{summ[v][metric]['worst']:.2f} {summ[v][metric]['worst_example']}"
                if summ[v][metric]["worst"]
                else "-"
                for v in variants
            )
            + " |"
        )
        lines.append("")
    if data["targets"]:
        lines += [
            "## Engine targets (wall ratio of the engine / wall ratio of the baseline)",
            "",
            "| engine | baseline | median of examples | worst example | over the limit | limit | verdict |",
            "|---|---|---:|---|---|---:|---|",
        ]
        for t in data["targets"]:
            over = ", ".join(t["over_limit"]) or "-"
            lines.append(
                f"| {t['engine']} | {t['baseline']} | {t['median']:.2f} | {t['worst']:.2f} "
                f"{t['worst_example']} | {over} | {t['limit']:.2f} | {'ok' if t['ok'] else 'OVER'} |"
            )
            if t["skipped"]:
                lines.append(f"|  | (not compared, one side failed: {', '.join(t['skipped'])}) | | | | | |")
        lines.append("")
    failures = [(c["example"], c["variant"], c["failures"][0]) for c in results if c["failures"]]
    if failures:
        lines += ["## Failures (first of each cell)", ""]
        lines += [f"- {ex} / {v}: {why.splitlines()[0][:300]}" for ex, v, why in failures]
        lines.append("")
    return "\n".join(lines)


def main():
    cases = load_cases()
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__,
    )
    parser.add_argument("--examples", default="", help="comma-separated example file names (default: all)")
    parser.add_argument(
        "--engines", default=",".join(ENGINES), help="gilscope engines (default: %(default)s)"
    )
    parser.add_argument(
        "--baselines",
        default=",".join(BASELINES),
        help="profilers run without gilscope, or 'none' (default: %(default)s)",
    )
    parser.add_argument(
        "--pairs", type=int, default=5, help="measured pairs per cell, after 1 warm-up (default: 5)"
    )
    parser.add_argument(
        "--python", default=sys.executable, help="interpreter for every run (default: this one)"
    )
    parser.add_argument(
        "--yappi-clock",
        choices=["cpu", "wall"],
        default="cpu",
        help="clock of the yappi-direct baseline (default: cpu)",
    )
    parser.add_argument(
        "--out", default=str(RESULTS / "overhead.json"), help="JSON file (default: %(default)s)"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print the commands and the run count, run nothing"
    )
    ns = parser.parse_args()
    examples = pick(ns.examples, list(cases), "examples")
    engines = pick(ns.engines, ENGINES, "engines")
    baselines = [] if ns.baselines == "none" else pick(ns.baselines, BASELINES, "baselines")
    variants = engines + baselines
    runs = len(examples) * len(variants) * (ns.pairs + 1) * 2
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    log(
        f"overhead: {len(examples)} examples x {len(variants)} variants x {ns.pairs + 1} pairs = {runs} runs "
        f"(about {runs * 1.6 / 60:.0f} min)"
    )
    if ns.dry_run:
        for v in variants:
            print(
                " ".join(
                    variant_argv(
                        v,
                        EXAMPLES / examples[0],
                        cases[examples[0]].get("args", []),
                        Path("OUT.json"),
                        ns.python,
                        ns.yappi_clock,
                    )
                )
            )
        return
    results = []
    for name in examples:
        log(f"{name}:")
        results += bench_example(name, cases[name], variants, ns, log)
    data = {
        "machine": machine(ns.python),
        "config": {
            "examples": examples,
            "variants": variants,
            "engines": engines,
            "baselines": baselines,
            "pairs": ns.pairs,
            "warmup_pairs": 1,
            "yappi_clock": ns.yappi_clock,
            "rss": "peak RSS of the largest single process of the tree (os.wait4 ru_maxrss)",
        },
        "results": results,
    }
    data["summary"] = summarize(results, variants)
    data["targets"] = check_targets(results)
    print(markdown(data))
    log(f"wrote {write_json(ns.out, data)}")


if __name__ == "__main__":
    main()
