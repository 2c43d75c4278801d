"""gilscope beside Tachyon (`python3.15 -m profiling.sampling`) on the examples under CPython 3.15.

    python benchmarks/tachyon.py [--examples a.py,b.py] [--pairs 3] [--modes wall,gil,cpu]
                                 [--python315 PATH] [--rate RATE] [--out benchmarks/results/tachyon.json]
                                 [--dry-run]

gilscope runs where it is installed (this interpreter) and profiles the target under 3.15 with
`--python`; Tachyon must run under 3.15 itself. Every run of an example (bare, gilscope, Tachyon)
uses the same 3.15 command: by default a wrapper written to a temporary folder that starts Debian
sid's python3.15 from the chroot of ../shared/tools/pythons.sh through the chroot's own loader (see
README, "Profile another venv"). The wrapper also sets PYTHONHOME and PYTHONEXECUTABLE, so that
`sys.executable` is the wrapper: Tachyon starts its target with `sys.executable`, and so do the
examples that start Python children (io_subprocess.py, the forkserver of the pool examples).

For every example and every variant (gilscope; Tachyon in each of --modes) it runs the bare script
and the profiled one alternately: one warm-up pair, then --pairs measured pairs; a cell is the median
(min-max) of the per-pair wall ratios profiled / bare, as in overhead.py. An example whose bare run
fails under 3.15 is skipped with the reason.

What each tool says about the expected function (examples/expected.json):
- gilscope: its top hotspot and kind, the kind of the expected function, the findings about it;
- Tachyon: its top function (most self samples in the wall-mode profile, every thread), and for the
  expected function the share of its wall samples in which it held the GIL (--mode gil) and was on
  a CPU (--mode cpu). The modes are separate runs, so each count is taken per sampling round
  ("Captured N samples" of that run) before the two are divided. Tachyon gives no verdict: the
  kind a user would infer from those shares is spelled out by `infer_kind` below.
Prints Markdown tables and writes JSON with the machine it ran on.
"""

import argparse
import json
import os
import re
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench_common import (
    EXAMPLES,
    RESULTS,
    last,
    load_cases,
    machine,
    machine_line,
    pick,
    run_measured,
    spread,
    write_json,
)

MODES = ["wall", "gil", "cpu"]
SID = Path(os.environ.get("GS_PYTHONS", Path.home() / ".cache" / "gilscope-pythons")) / "sid"
WRAPPER = """#!/bin/sh
S={sid}
PYTHONHOME=$S/usr PYTHONEXECUTABLE=$0 exec $S/usr/lib64/ld-linux-x86-64.so.2 \\
  --library-path $S/usr/lib/x86_64-linux-gnu $S/usr/bin/python3.15 "$@"
"""
# What a user can read off Tachyon's two shares (held the GIL, on a CPU) of a function's wall samples.
HELD, FREE = 0.6, 0.4
WAITING = {"io", "lock", "gil"}


# ---------------------------------------------------------------- Tachyon's collapsed output (pure)


@dataclass(frozen=True)
class Stack:
    thread: str
    frames: tuple  # ((file basename, function, line or None), ...), outermost first
    count: int


def parse_collapsed_line(line):
    """One line of `--collapsed`: `tid:N;file.py:func:line;...;file.py:func:line COUNT`.

    File names are basenames. Special frames (`<GC>`, `<native>`) have no file and line.
    """
    body, _, count = line.rstrip("\n").rpartition(" ")
    parts = body.split(";")
    thread = parts[0][4:] if parts[0].startswith("tid:") else ""
    frames = []
    for part in parts[1:] if thread else parts:
        file, sep, rest = part.partition(":")
        func, sep2, lineno = rest.rpartition(":")
        if sep and sep2 and lineno.isdigit():
            frames.append((file, func, int(lineno)))
        else:
            frames.append(("", part, None))
    return Stack(thread, tuple(frames), int(count))


def parse_collapsed(text):
    return [parse_collapsed_line(ln) for ln in text.splitlines() if ln.strip()]


def parse_summary(stdout):
    """Tachyon's summary lines: sampling rounds, seconds, error rate (%)."""
    out = {}
    m = re.search(r"Captured ([\d,.]+) samples? in ([\d.]+) seconds", stdout)
    if m:
        out["rounds"] = int(re.sub(r"[,.]", "", m.group(1)))
        out["seconds"] = float(m.group(2))
    m = re.search(r"Error rate: ([\d.]+)", stdout)
    if m:
        out["error_rate_pct"] = float(m.group(1))
    return out


def inclusive_samples(stacks, script, function):
    """Samples whose stack holds `function` (last dotted part) in the file `script` (basename), once each."""
    return sum(
        s.count for s in stacks if any(f == script and last(fn) == last(function) for f, fn, _ in s.frames)
    )


def top_self(stacks, script=None):
    """(file:function, samples) with the most self samples: innermost frame overall, or innermost frame in `script`."""
    c = Counter()
    for s in stacks:
        frames = s.frames if script is None else [f for f in s.frames if f[0] == script]
        if frames:
            f, fn, _ = frames[-1]
            c[f"{f}:{fn}" if f else fn] += s.count
    return c.most_common(1)[0] if c else (None, 0)


def threads_seen(stacks, script, function):
    return len(
        {s.thread for s in stacks if any(f == script and last(fn) == last(function) for f, fn, _ in s.frames)}
    )


def rate_share(part, part_rounds, whole, whole_rounds):
    """Share of `whole` (samples per round of one run) that `part` (samples per round of another run) is."""
    if not whole or not part_rounds or not whole_rounds:
        return None
    return (part / part_rounds) / (whole / whole_rounds)


def infer_kind(gil_share, cpu_share, threads=1, held_rate=None):
    """What a user can conclude from Tachyon's shares alone (it states no kind itself).

    gil_share, cpu_share: of the function's wall samples, per thread; held_rate: GIL-held samples of the
    function per sampling round, all its threads together (1.0: one of them always holds it). Several
    threads that each hold the GIL a small part of the time but together nearly always are taking turns
    on it: a GIL queue, which a user can only infer this way (the collapsed and pstats outputs have no
    "waiting for the GIL" count).
    """
    if gil_share is None:
        return "not seen"
    if gil_share >= HELD:
        return "cpu"
    if threads >= 2 and gil_share < FREE and held_rate is not None and held_rate >= HELD:
        return "gil"
    if cpu_share is not None and cpu_share >= HELD and gil_share < FREE:
        return "native"
    if gil_share < FREE and (cpu_share is None or cpu_share < FREE):
        return "waiting"  # io, lock or a GIL queue: wall/gil/cpu counts do not say which
    return "unclear"


def inferable(inferred, expected_kinds):
    """yes: the inferred kind is an accepted one; partly: 'waiting' and the kind is io/lock/gil (the user must
    read the stacks or the code to tell which); no: otherwise."""
    if inferred in expected_kinds:
        return "yes"
    if inferred == "waiting" and WAITING & set(expected_kinds):
        return "partly"
    if inferred == "unclear" and "mixed" in expected_kinds:
        return "yes"
    return "no"


def ratio_cell(pairs):
    """spread() of the per-pair wall ratios profiled / bare."""
    return spread([p["profiled"]["wall_s"] / p["bare"]["wall_s"] for p in pairs])


def fmt_cell(s):
    return "failed" if not s else f"{s['median']:.2f} ({s['min']:.2f}-{s['max']:.2f})"


def fmt_pct(x):
    return "-" if x is None else f"{100 * x:.0f}%"


# ---------------------------------------------------------------- reading the reports


def gilscope_view(report, expects):
    hs = report.get("hotspots") or []
    top = hs[0] if hs else None
    out = {
        "top": f"{top['function']} ({top['kind']}, {top['share']:.0%})" if top else None,
        "top_function": top["function"] if top else None,
        "top_kind": top["kind"] if top else None,
        "caveats": report.get("caveats") or [],
        "exit_code": report.get("run", {}).get("exit_code"),
        "python_version": report.get("run", {}).get("python_version"),
        "functions": {},
    }
    for e in expects:
        fn = e["function"]
        h = next((h for h in hs if last(h["function"]) == last(fn)), None)
        fs = [f for f in report.get("findings") or [] if last(f.get("function")) == last(fn)]
        out["functions"][fn] = {
            "kind": h["kind"] if h else None,
            "share": h["share"] if h else None,
            "split": h.get("split") if h else None,
            "kind_ok": bool(h and h["kind"] in e["kind"]),
            "findings": [f"{f['rule']} {f['strategy']} ({f['severity']})" for f in fs],
            "strategy_ok": (not e.get("strategy")) or any(f["strategy"] in e["strategy"] for f in fs),
        }
    out["advice_withheld"] = any("advice is withheld" in c for c in out["caveats"])
    out["all_findings"] = [
        f"{f['rule']} {f['strategy']} on {f.get('function')} ({f['severity']})"
        for f in report.get("findings") or []
    ]
    return out


def tachyon_view(profiles, script, expects):
    """profiles: {mode: (stacks, summary)} of one run per mode."""
    wall, wsum = profiles.get("wall", (None, {}))
    out = {
        "top": None,
        "top_in_script": None,
        "rounds": {m: s.get("rounds") for m, (_, s) in profiles.items()},
        "error_rate_pct": {m: s.get("error_rate_pct") for m, (_, s) in profiles.items()},
        "functions": {},
    }
    if wall is None:
        return out
    name, n = top_self(wall)
    total = sum(s.count for s in wall)
    out["top"] = f"{name} ({n / total:.0%} of samples)" if name and total else None
    name, n = top_self(wall, script)
    out["top_in_script"] = f"{name.split(':', 1)[1]} ({n / total:.0%})" if name and total else None
    out["threads"] = len({s.thread for s in wall})
    for e in expects:
        fn = e["function"]
        w = inclusive_samples(wall, script, fn)
        row = {
            "wall_samples": w,
            "wall_threads": threads_seen(wall, script, fn),
            "wall_share": w / total if total else None,
        }
        for mode in ("gil", "cpu"):
            if mode in profiles:
                stacks, summ = profiles[mode]
                k = inclusive_samples(stacks, script, fn)
                row[f"{mode}_samples"] = k
                row[f"{mode}_share"] = rate_share(k, summ.get("rounds"), w, wsum.get("rounds"))
        if "gil" in profiles and profiles["gil"][1].get("rounds"):
            row["gil_held_per_round"] = row["gil_samples"] / profiles["gil"][1]["rounds"]
        row["inferred"] = (
            infer_kind(
                row.get("gil_share"), row.get("cpu_share"), row["wall_threads"], row.get("gil_held_per_round")
            )
            if w
            else "not seen"
        )
        row["inferable"] = inferable(row["inferred"], e["kind"])
        out["functions"][fn] = row
    return out


# ---------------------------------------------------------------- running


def make_wrapper(folder):
    path = Path(folder) / "python3.15"
    path.write_text(WRAPPER.format(sid=SID))
    path.chmod(0o755)
    return str(path)


def variant_argv(variant, py, script, args, out, stdout_file, rate):
    if variant == "gilscope":
        return [
            sys.executable,
            "-m",
            "gilscope",
            "profile",
            "-q",
            "--python",
            py,
            "--json",
            str(out),
            str(script),
            *args,
        ]
    mode = variant.split("-", 1)[1]
    tach = [
        py,
        "-m",
        "profiling.sampling",
        "run",
        "-a",
        "--mode",
        mode,
        *(["-r", rate] if rate else []),
        "--collapsed",
        "-o",
        str(out),
        str(script),
        *args,
    ]
    return ["/bin/sh", "-c", 'exec "$@" > "$0"', str(stdout_file), *tach]  # keep Tachyon's summary lines


def run_variant(variant, argv, cwd, out, stdout_file, want):
    out.unlink(missing_ok=True)
    m = run_measured(argv, cwd)
    if m.exit_code < 0:
        return m, None, f"killed by signal {-m.exit_code}"
    if variant == "gilscope":
        try:
            report = json.loads(out.read_text())
        except (OSError, ValueError):
            return m, None, f"no JSON report (exit {m.exit_code}): {m.stderr_line}"
        got = report.get("run", {}).get("exit_code")
        return m, report, None if got == want else f"report says the target exited {got}, want {want}"
    try:
        stacks = parse_collapsed(out.read_text(errors="surrogateescape"))
        summary = parse_summary(stdout_file.read_text(errors="replace"))
    except OSError:
        return m, None, f"no collapsed output (exit {m.exit_code}): {m.stderr_line}"
    summary["exit_code"] = m.exit_code  # Tachyon exits 0 whatever the target's status was
    return m, (stacks, summary), None


def bench_example(name, label, variants, ns, py, log):
    script = EXAMPLES / name
    args = label.get("args", [])
    want = label.get("exit_code", 0)
    bare_argv = [py, str(script), *args]
    cells = {v: {"argv": None, "pairs": [], "failures": []} for v in variants}
    last_out = {}
    with tempfile.TemporaryDirectory(prefix="gilscope-tachyon-") as tmp:
        cwd = Path(tmp)
        bare = run_measured(bare_argv, cwd)
        if bare.exit_code != want:
            return {
                "example": name,
                "skipped": f"bare 3.15 run exited {bare.exit_code}, want {want}: {bare.stderr_line}",
            }
        outs = {v: cwd / (f"{v}.json" if v == "gilscope" else f"{v}.txt") for v in variants}
        stdouts = {v: cwd / f"{v}.stdout" for v in variants}
        argvs = {v: variant_argv(v, py, script, args, outs[v], stdouts[v], ns.rate) for v in variants}
        active = []
        for v in variants:  # warm-up pair, not recorded
            cells[v]["argv"] = argvs[v]
            run_measured(bare_argv, cwd)
            _, data, why = run_variant(v, argvs[v], cwd, outs[v], stdouts[v], want)
            if why:
                cells[v]["failures"].append(f"warm-up: {why}")
                log(f"  {name} {v}: FAILED in warm-up, skipped: {why[:200]}")
            else:
                active.append(v)
                last_out[v] = data
        for i in range(ns.pairs):
            for v in active:
                bare = run_measured(bare_argv, cwd)
                prof, data, why = run_variant(v, argvs[v], cwd, outs[v], stdouts[v], want)
                if bare.exit_code != want:
                    why = f"bare run exited {bare.exit_code}, want {want}: {bare.stderr_line}"
                if why:
                    cells[v]["failures"].append(f"pair {i + 1}: {why}")
                    continue
                last_out[v] = data
                pair = {"bare": bare.as_dict(), "profiled": prof.as_dict()}
                if v != "gilscope":
                    pair["tachyon"] = {
                        k: data[1].get(k) for k in ("rounds", "seconds", "error_rate_pct", "exit_code")
                    }
                cells[v]["pairs"].append(pair)
            log(f"  {name}: pair {i + 1}/{ns.pairs} done")
    for cell in cells.values():
        cell["wall_ratio"] = ratio_cell(cell["pairs"])
        cell["bare_s"] = spread([p["bare"]["wall_s"] for p in cell["pairs"]])
        cell["profiled_s"] = spread([p["profiled"]["wall_s"] for p in cell["pairs"]])
    expects = label["expect"]
    result = {"example": name, "expect": expects, "variants": cells}
    if "gilscope" in last_out:
        result["gilscope"] = gilscope_view(last_out["gilscope"], expects)
    profiles = {v.split("-", 1)[1]: last_out[v] for v in last_out if v.startswith("tachyon-")}
    if profiles:
        result["tachyon"] = tachyon_view(profiles, script.name, expects)
        result["tachyon"]["exit_code"] = {m: s.get("exit_code") for m, (_, s) in profiles.items()}
    return result


# ---------------------------------------------------------------- output


def summarize(results, variants):
    done = [r for r in results if "variants" in r]
    out = {}
    for v in variants:
        meds = [r["variants"][v]["wall_ratio"]["median"] for r in done if r["variants"][v]["wall_ratio"]]
        worst = max(
            (r for r in done if r["variants"][v]["wall_ratio"]),
            key=lambda r: r["variants"][v]["wall_ratio"]["median"],
            default=None,
        )
        out[v] = {
            "median_of_examples": spread(meds)["median"] if meds else None,
            "worst_example": worst["example"] if worst else None,
            "worst": worst["variants"][v]["wall_ratio"]["median"] if worst else None,
        }
    rows = [(r, e) for r in done for e in r["expect"]]
    out["gilscope_kind_ok"] = sum(
        1 for r, e in rows if r.get("gilscope", {}).get("functions", {}).get(e["function"], {}).get("kind_ok")
    )
    out["gilscope_strategy_ok"] = sum(
        1
        for r, e in rows
        if r.get("gilscope", {}).get("functions", {}).get(e["function"], {}).get("strategy_ok")
    )
    out["tachyon_inferable"] = dict(
        Counter(
            r.get("tachyon", {}).get("functions", {}).get(e["function"], {}).get("inferable", "n/a")
            for r, e in rows
        )
    )
    out["expected_functions"] = len(rows)
    return out


def markdown(data):
    variants, results, m = data["config"]["variants"], data["results"], data["machine"]
    lines = [
        f"# gilscope beside Tachyon on CPython 3.15, {data['config']['pairs']} pairs per cell",
        "",
        f"Machine: {machine_line(m)}",
        "",
        "## Wall time, profiled / bare: median (min-max)",
        "",
        "| example | bare s | " + " | ".join(variants) + " |",
        "|---|---:|" + "---|" * len(variants),
    ]
    for r in results:
        if "skipped" in r:
            continue
        bases = [r["variants"][v]["bare_s"]["median"] for v in variants if r["variants"][v]["bare_s"]]
        base = f"{sorted(bases)[len(bases) // 2]:.2f}" if bases else "-"
        lines.append(
            f"| {r['example']} | {base} | "
            + " | ".join(fmt_cell(r["variants"][v]["wall_ratio"]) for v in variants)
            + " |"
        )
    s = data["summary"]
    lines.append(
        "| **median of examples** | | "
        + " | ".join(
            f"**{s[v]['median_of_examples']:.2f}**" if s[v]["median_of_examples"] else "-" for v in variants
        )
        + " |"
    )
    lines.append(
        "| worst example | | "
        + " | ".join(
            f"{s[v]['worst']:.2f} {s[v]['worst_example']}" if s[v]["worst"] else "-" for v in variants
        )
        + " |"
    )
    lines += [
        "",
        "## What each reports about the expected function",
        "",
        "| example | function (expected kind) | gilscope: kind · findings | gilscope top hotspot "
        "| Tachyon top function (wall, all threads) | Tachyon: GIL held / on CPU, of wall samples (threads) "
        "| a user infers | |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if "skipped" in r:
            continue
        g, t = r.get("gilscope", {}), r.get("tachyon", {})
        for e in r["expect"]:
            fn = e["function"]
            gf, tf = g.get("functions", {}).get(fn, {}), t.get("functions", {}).get(fn, {})
            gk = f"{gf.get('kind') or 'not a hotspot'}{'' if gf.get('kind_ok') else ' ✗'}"
            finds = ", ".join(gf.get("findings") or []) or "none"
            if g.get("advice_withheld"):
                finds += " (CPU advice withheld: busy machine)"
            together = (
                f", held {fmt_pct(tf.get('gil_held_per_round'))} of rounds"
                if tf.get("wall_threads", 0) > 1
                else ""
            )
            shares = (
                f"{fmt_pct(tf.get('gil_share'))} / {fmt_pct(tf.get('cpu_share'))} "
                f"({tf.get('wall_threads', 0)} thr{together})"
                if tf.get("wall_samples")
                else "not sampled"
            )
            lines.append(
                f"| {r['example']} | {fn} ({'/'.join(e['kind'])}) | {gk} · {finds} | {g.get('top') or '-'} "
                f"| {t.get('top') or '-'} | {shares} | {tf.get('inferred', '-')} | "
                f"{tf.get('inferable', '-')} |"
            )
    lines += [
        "",
        f"gilscope: right kind for {s['gilscope_kind_ok']}/{s['expected_functions']} expected functions, "
        f"an accepted strategy for {s['gilscope_strategy_ok']}/{s['expected_functions']}. "
        f"Tachyon (inferred by the rule in the script): "
        + ", ".join(f"{k} {v}" for k, v in sorted(s["tachyon_inferable"].items()))
        + ".",
        "",
    ]
    skipped = [r for r in results if "skipped" in r]
    failures = [
        (r["example"], v, c["failures"][0])
        for r in results
        if "variants" in r
        for v, c in r["variants"].items()
        if c["failures"]
    ]
    if skipped:
        lines += ["## Skipped", ""] + [f"- {r['example']}: {r['skipped'][:300]}" for r in skipped] + [""]
    if failures:
        lines += ["## Failures (first of each cell)", ""] + [
            f"- {ex} / {v}: {why[:300]}" for ex, v, why in failures
        ]
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
        "--pairs", type=int, default=3, help="measured pairs per cell, after 1 warm-up (default: 3)"
    )
    parser.add_argument(
        "--modes", default=",".join(MODES), help="Tachyon --mode values (default: %(default)s)"
    )
    parser.add_argument(
        "--python315",
        default="",
        help=f"a 3.15 interpreter command (default: a wrapper for the sid chroot at {SID})",
    )
    parser.add_argument("--rate", default="", help="Tachyon's -r (default: Tachyon's own, 1 kHz)")
    parser.add_argument(
        "--out", default=str(RESULTS / "tachyon.json"), help="JSON file (default: %(default)s)"
    )
    parser.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    ns = parser.parse_args()
    examples = pick(ns.examples, list(cases), "examples")
    modes = pick(ns.modes, MODES, "modes")
    if "wall" not in modes:
        sys.exit("--modes needs wall: the shares are taken of the wall-mode samples")
    variants = ["gilscope"] + [f"tachyon-{m}" for m in modes]
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    with tempfile.TemporaryDirectory(prefix="gilscope-py315-") as wrapdir:
        py = ns.python315 or make_wrapper(wrapdir)
        if ns.dry_run:
            print(WRAPPER.format(sid=SID) if not ns.python315 else f"python: {py}")
            for v in variants:
                print(
                    " ".join(
                        variant_argv(
                            v, py, EXAMPLES / examples[0], [], Path(f"OUT-{v}"), Path("STDOUT"), ns.rate
                        )
                    )
                )
            return
        runs = len(examples) * len(variants) * (ns.pairs + 1) * 2
        log(
            f"tachyon: {len(examples)} examples x {len(variants)} variants x {ns.pairs + 1} pairs = {runs} runs"
        )
        load_before = os.getloadavg()
        results = []
        for name in examples:
            log(f"{name}:")
            r = bench_example(name, cases[name], variants, ns, py, log)
            if "skipped" in r:
                log(f"  skipped: {r['skipped'][:300]}")
            results.append(r)
        m = machine(py)
        m["loadavg_before"], m["loadavg_after"] = load_before, os.getloadavg()
    m["python"] = ns.python315 or f"wrapper for {SID}/usr/bin/python3.15 (PYTHONHOME, PYTHONEXECUTABLE set)"
    m["gilscope_python"] = sys.version.split()[0]
    data = {
        "machine": m,
        "config": {
            "examples": examples,
            "variants": variants,
            "modes": modes,
            "pairs": ns.pairs,
            "warmup_pairs": 1,
            "tachyon_rate": ns.rate or "1khz (Tachyon's default)",
            "gilscope_interval": "5 ms (default)",
            "infer_rule": f"GIL held >= {HELD:.0%} of wall samples: cpu; 2+ threads, each holding it "
            f"< {FREE:.0%} but together >= {HELD:.0%} of rounds: gil; on CPU >= {HELD:.0%} "
            f"and GIL held < {FREE:.0%}: native; both < {FREE:.0%}: waiting (io, lock or GIL "
            "queue); else unclear",
            "wrapper": WRAPPER.format(sid=SID) if not ns.python315 else None,
        },
        "results": results,
    }
    data["summary"] = summarize(results, variants)
    print(markdown(data))
    log(f"wrote {write_json(ns.out, data)}")


if __name__ == "__main__":
    main()
