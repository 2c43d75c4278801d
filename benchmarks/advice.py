"""How good gilscope's speed-up estimates are: predicted vs measured, on the before/after example pairs.

    python benchmarks/advice.py [--examples a.py,b.py] [--runs 5] [--engine E]
                                [--out benchmarks/results/advice.json]

For each pair examples/X.py -> examples/after/X.py (listed in examples/after/pairs.json, which
names the function and the accepted strategies), it runs `gilscope profile --json` on X.py and
reads estimated_speedup.factor of the finding about that function (the first accepted strategy
that has an estimate wins). Then it runs the two versions bare, alternately, one warm-up and
--runs measured runs each; measured speed-up = median(before) / median(after). The error is
(predicted - measured) / measured. Prints a Markdown table and writes JSON with the machine.

Then every diff gilscope prints, on every example of examples/expected.json (and on the adversarial
targets of tests/e2e/targets_unsafe/): it is applied with `patch` to a copy of the script's folder, the
patched copy must print the same stdout and exit with the same status as the original (else exit 1), and
the two are timed in alternating pairs (one warm-up, --runs measured); ratio = original / patched, the
median of the per-pair ratios (above 1: the patched copy is faster).
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_common import (
    EXAMPLES,
    RESULTS,
    last,
    load_cases,
    load_pairs,
    machine,
    machine_line,
    pick,
    run_measured,
    spread,
    write_json,
)

ROOT = Path(__file__).resolve().parents[1]
TARGETS_UNSAFE = ROOT / "tests" / "e2e" / "targets_unsafe"
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
import applied  # noqa: E402  (tests/e2e/applied.py: patch a copy, run it)


def predict(report, function, strategies):
    """The finding about `function` with the most preferred strategy that carries an estimate."""
    about = [f for f in report.get("findings", []) if last(f.get("function")) == function]
    for strategy in strategies:
        for f in about:
            if f.get("strategy") == strategy and (f.get("estimated_speedup") or {}).get("factor"):
                return f
    return None


def profile_before(name, args, engine, python, cwd, script=None):
    report = Path(cwd) / "report.json"
    argv = [
        python,
        "-m",
        "gilscope",
        "profile",
        *(["--engine", engine] if engine else []),
        "--json",
        str(report),
        str(script or EXAMPLES / name),
        *args,
    ]
    m = run_measured(argv, cwd)
    if not report.exists():
        return argv, None, f"no JSON report (exit {m.exit_code}): {m.stderr_line}"
    return argv, json.loads(report.read_text()), None


def _free_threaded(python: str) -> bool:
    probe = "import sys; print(int(not getattr(sys, '_is_gil_enabled', lambda: True)()))"
    out = subprocess.run([python, "-c", probe], capture_output=True, text=True, check=False).stdout
    return out.strip() == "1"


def bench_pair(name, pair, label, ns, log):
    args = label.get("args", [])
    row = {
        "example": name,
        "after": f"after/{name}",
        "function": pair["function"],
        "strategies": pair["strategy"],
        "change": pair.get("change", ""),
        "error": None,
    }
    with tempfile.TemporaryDirectory(prefix="gilscope-advice-") as cwd:
        argv, report, why = profile_before(name, args, ns.engine, ns.python, cwd)
        row["profile_argv"] = argv
        finding = predict(report, pair["function"], pair["strategy"]) if report else None
        if report and not finding:
            seen = [
                (last(f.get("function")), f.get("strategy"), (f.get("estimated_speedup") or {}).get("factor"))
                for f in report.get("findings", [])
            ]
            why = (
                f"no finding about {pair['function']} with a strategy in {pair['strategy']} and an estimate; "
                f"findings: {seen[:8]}"
            )
        row["error"] = why
        row["rule"] = finding.get("rule") if finding else None
        row["strategy"] = finding.get("strategy") if finding else None
        speedup = finding["estimated_speedup"] if finding else None
        row["predicted"] = speedup["factor"] if speedup else None
        row["formula"] = speedup.get("formula") if speedup else None
        row["assumptions"] = speedup.get("assumptions") if speedup else None
        log(f"  {name}: predicted {row['predicted']}" + (f" ({why.splitlines()[0][:200]})" if why else ""))

        before_argv = [ns.python, str(EXAMPLES / name), *args]
        after_argv = [ns.python, str(EXAMPLES / "after" / name), *args]
        times = {"before": [], "after": []}
        for i in range(ns.runs + 1):  # run 0 is the warm-up
            for side, argv_ in (("before", before_argv), ("after", after_argv)):
                m = run_measured(argv_, cwd)
                if m.exit_code != label.get("exit_code", 0):
                    sys.exit(f"{name} ({side}) exited {m.exit_code}: {m.stderr_line}")
                if i:
                    times[side].append(m.wall_s)
    row["before_s"] = spread(times["before"])
    row["after_s"] = spread(times["after"])
    row["measured"] = statistics.median(times["before"]) / statistics.median(times["after"])
    row["measured_pairs"] = spread([b / a for b, a in zip(times["before"], times["after"])])
    row["error_pct"] = (
        (100 * (row["predicted"] - row["measured"]) / row["measured"]) if row["predicted"] else None
    )
    log(f"  {name}: measured {row['measured']:.2f}x")
    return row


def bench_diffs(script, args, ns, log):
    """One row per diff gilscope prints for `script` (or one row saying there was none)."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="gilscope-diffs-") as cwd:
        _, report, why = profile_before(script.name, args, ns.engine, ns.python, cwd, script)
        diffs = applied.with_diffs(report) if report else []
        if not diffs:
            log(f"  {script.name}: no diff" + (f" ({why})" if why else ""))
            return [{"script": script.name, "rule": None, "applied": False, "error": why}]
        original = applied.run(script, args, cwd=Path(cwd))
        for i, finding in enumerate(diffs):
            row = {
                "script": script.name,
                "rule": finding["rule"],
                "function": finding["function"],
                "line": finding["change_at"]["line"],
                "applied": False,
                "same_stdout": False,
                "error": None,
            }
            rows.append(row)
            try:
                copy = applied.patched_copy(script, finding, Path(cwd) / f"copy{i}")
            except applied.PatchFailed as e:
                row["error"] = str(e)
                continue
            row["applied"] = True
            patched = applied.run(copy, args, cwd=Path(cwd))
            row["same_stdout"] = (patched.returncode, patched.stdout) == (
                original.returncode,
                original.stdout,
            )
            if not row["same_stdout"]:
                row["error"] = f"exit {patched.returncode} vs {original.returncode}; {patched.stderr[-300:]}"
                continue
            times = {"before": [], "after": []}
            for k in range(ns.runs + 1):  # run 0 is the warm-up
                for side, path in (("before", script), ("after", copy)):
                    m = run_measured([ns.python, str(path), *args], cwd)
                    if k:
                        times[side].append(m.wall_s)
            row["before_s"], row["after_s"] = spread(times["before"]), spread(times["after"])
            row["ratio_pairs"] = spread([b / a for b, a in zip(times["before"], times["after"])])
            log(f"  {script.name} {row['rule']}: same stdout, {row['ratio_pairs']['median']:.2f}x")
    return rows


def diff_markdown(rows):
    lines = [
        "## Every printed diff, applied",
        "",
        "| script | rule | line | applied | same stdout | original s | patched s | ratio (min-max of pairs) |",
        "|---|---|---:|---|---|---:|---:|---|",
    ]
    for r in rows:
        if not r["rule"]:
            lines.append(f"| {r['script']} | no diff | | | | | | |")
            continue
        rp = r.get("ratio_pairs")
        timing = (
            (
                f"{r['before_s']['median']:.2f} | {r['after_s']['median']:.2f} | {rp['median']:.2f}x "
                f"({rp['min']:.2f}-{rp['max']:.2f})"
            )
            if rp
            else "- | - | -"
        )
        lines.append(
            f"| {r['script']} | {r['rule']} | {r['line']} | {'yes' if r['applied'] else 'NO'} | "
            f"{'yes' if r['same_stdout'] else 'NO'} | {timing} |"
        )
    bad = [r for r in rows if r["rule"] and not r["same_stdout"]]
    lines += [
        "",
        f"Diffs: {sum(1 for r in rows if r['rule'])}; broken: {len(bad)}"
        + "".join(f"\n- {r['script']} {r['rule']}: {(r['error'] or '').splitlines()[0][:300]}" for r in bad),
        "",
    ]
    return "\n".join(lines)


def markdown(data):
    lines = [
        f"# gilscope advice: predicted vs measured speed-up, {data['config']['runs']} runs each",
        "",
        f"Machine: {machine_line(data['machine'])}",
        "",
        "| example | function | change | rule / strategy | predicted | measured (min-max of pairs) | error | "
        "before s | after s |",
        "|---|---|---|---|---:|---|---:|---:|---:|",
    ]
    for r in data["results"]:
        pred = f"{r['predicted']:.2f}x" if r["predicted"] else "none"
        err = f"{r['error_pct']:+.0f}%" if r["error_pct"] is not None else "-"
        mp = r["measured_pairs"]
        lines.append(
            f"| {r['example']} | {r['function']} | {r['change']} | {r['rule'] or '-'} / "
            f"{r['strategy'] or '-'} | {pred} | {r['measured']:.2f}x ({mp['min']:.2f}-{mp['max']:.2f}) "
            f"| {err} | {r['before_s']['median']:.2f} | {r['after_s']['median']:.2f} |"
        )
    s = data["summary"]
    lines += [
        "",
        f"Predictions: {s['predicted']}/{s['pairs']}; median |error| "
        + (f"{s['median_abs_error_pct']:.0f}%" if s["median_abs_error_pct"] is not None else "-")
        + f"; within 25%: {s['within_25pct']}; worst: "
        + (f"{s['worst_example']} {s['worst_error_pct']:+.0f}%" if s["worst_example"] else "-"),
        "",
    ]
    missing = [r for r in data["results"] if r["error"]]
    if missing:
        lines += ["## No prediction", ""] + [
            f"- {r['example']}: {r['error'].splitlines()[0][:300]}" for r in missing
        ]
        lines.append("")
    return "\n".join(lines)


def main():
    cases, pairs = load_cases(), load_pairs()
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__,
    )
    parser.add_argument(
        "--examples", default="", help="comma-separated before-version names (default: all pairs)"
    )
    parser.add_argument(
        "--diff-examples",
        default="",
        help="comma-separated examples whose printed diffs are "
        "applied (default: every example and every tests/e2e/targets_unsafe script)",
    )
    parser.add_argument("--runs", type=int, default=5, help="measured bare runs of each version (default: 5)")
    parser.add_argument(
        "--engine", default="", help="gilscope engine for the profile (default: gilscope's own)"
    )
    parser.add_argument(
        "--python", default=sys.executable, help="interpreter for every run (default: this one)"
    )
    parser.add_argument(
        "--out", default=str(RESULTS / "advice.json"), help="JSON file (default: %(default)s)"
    )
    ns = parser.parse_args()
    names = pick(ns.examples, list(pairs), "pairs")
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    results = []
    free_threaded = _free_threaded(ns.python)
    for name in names:
        if pairs[name].get("free_threaded_only") and not free_threaded:
            log(f"{name}: left out: its advice is for free-threaded builds (give --python python3.13t)")
            continue
        log(f"{name}:")
        results.append(bench_pair(name, pairs[name], cases[name], ns, log))
    diff_scripts = (
        [EXAMPLES / n for n in pick(ns.diff_examples, list(cases), "examples")]
        if ns.diff_examples
        else [*(EXAMPLES / n for n in cases), *sorted(TARGETS_UNSAFE.glob("*.py"))]
    )
    diff_rows = []
    for script in diff_scripts:
        log(f"{script.name} (diffs):")
        diff_rows += bench_diffs(script, cases.get(script.name, {}).get("args", []), ns, log)
    errors = {r["example"]: r["error_pct"] for r in results if r["error_pct"] is not None}
    worst = max(errors, key=lambda k: abs(errors[k]), default=None)
    data = {
        "machine": machine(ns.python),
        "config": {"pairs": names, "runs": ns.runs, "warmup_runs": 1, "engine": ns.engine or "default"},
        "results": results,
        "diffs": diff_rows,
        "summary": {
            "pairs": len(results),
            "predicted": len(errors),
            "median_abs_error_pct": statistics.median(map(abs, errors.values())) if errors else None,
            "within_25pct": sum(abs(e) <= 25 for e in errors.values()),
            "worst_example": worst,
            "worst_error_pct": errors[worst] if worst else None,
        },
    }
    print(markdown(data))
    print(diff_markdown(diff_rows))
    log(f"wrote {write_json(ns.out, data)}")
    if any(r["rule"] and not r["same_stdout"] for r in diff_rows):
        sys.exit("a printed diff changed what the program does (see the table above)")


if __name__ == "__main__":
    main()
