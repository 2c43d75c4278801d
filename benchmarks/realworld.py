"""The real-world benchmark: gilscope judged on programs nobody here wrote, against py-spy's raw samples.

    python benchmarks/realworld.py [--only go,gzip,...] [--skip-install] [--pairs 3]
                                   [--cache ~/.cache/gilscope-realworld] [--out benchmarks/results/realworld.json]

Programs (issue 12, deliverable 9), in three families:
  pyperf    pyperformance benchmarks, installed from PyPI into a venv under --cache (created with
            --system-site-packages so gilscope and py-spy stay visible; never vendored). Each runs as one
            process: `run_benchmark.py --worker -l N -w 0 -n 1`, N calibrated so one run lasts ~1.5 s.
  stdlib    stdlib tools under -m: gzip on a generated ~50 MB file, compileall -f on a copy of part of the
            stdlib, json.tool on a generated JSON file, http.server (127.0.0.1, free port, --duration) under
            the threaded load client benchmarks/realworld_targets/http_load.py, and that client itself.
  threads   C code in thread pools: the thin drivers in benchmarks/realworld_targets/ (hashlib, zlib,
            numpy, Pillow: GIL released; json, pickle: GIL held).

For each program:
  1. `gilscope profile --json` once: wall time, samples, the top hotspots' kinds, every finding.
  2. py-spy three times on the same command (`record -r 100 -f raw --full-filenames --threads -s`):
     with `--idle` (every sample), with `--gil --idle` (only the GIL holder: py-spy drops the others
     before the idle filter), and plain (active threads only). A recording carries no per-sample flag,
     so the shares come from subtracting runs (see reference_shares); the runs are separate, so noise
     applies: counts are scaled to the --idle run's wall time, and a difference of more than 50% in the
     runs' wall times makes a verdict "debatable".
     The pyperformance benchmarks run from a temporary copy of their folder (a user's own script; with
     --in-place, from site-packages, where gilscope counts them as library code).
  3. The reference kind of each innermost user function (for -m runs: innermost frame in the module's
     own file), from those shares alone, by the rule in reference_kind. It reads nothing of gilscope.
  4. Every diff gilscope prints is applied (our own applier, cross-checked with `patch` when installed)
     to a copy of the file, and original and patched copies run in alternating pairs (one warm-up pair,
     then --pairs); stdout (timings masked for pyperf, whose output is its own timing) and exit code must
     be identical in every run. Measured speedup = median(original) / median(patched).
  5. Verdicts: kind right? (gilscope's top hotspot vs the reference kind of the same function); advice
     right / wrong / none / untimed (see judge_advice and EXPECTATIONS).

Prints a Markdown table and a summary to stdout (progress to stderr) and writes every raw number to --out.
Not run in CI (10-25 minutes); tests/unit/benchmarks/test_realworld.py checks the pure parts.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import RESULTS, ROOT, child_env, machine, machine_line, write_json

TARGETS = ROOT / "benchmarks" / "realworld_targets"
STDLIB = Path(sysconfig.get_paths()["stdlib"]).resolve()
RATE = 100  # py-spy samples per second (-r)
KINDS = ("cpu", "native", "gil", "io", "lock")

# ---------------------------------------------------------------------------------------------------------
# py-spy raw output
# ---------------------------------------------------------------------------------------------------------
# A raw line (collapsed stacks, root first) with --threads and -s looks like
#   process 123:"python x.py";thread (456): Thread-1 (h);Thread.run (/usr/lib/threading.py:982);h (/x.py:3) 17
# The process pseudo-frame appears with -s only, the thread name only when the thread has one.

_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")
_THREAD = re.compile(r"^thread \((?P<tid>\d+)\)(?:: (?P<name>.*))?$")
_PROCESS = re.compile(r'^process (?P<pid>\d+):"(?P<cmd>.*?)";')


@dataclass(frozen=True)
class Frame:
    func: str
    file: str
    line: int


@dataclass
class Stack:
    frames: list  # Frame, root first
    count: int
    thread: str = ""
    process: str = ""


def parse_raw_line(text):
    """One raw line -> Stack, or None for a blank or malformed line."""
    text = text.rstrip("\n")
    head, _, count = text.rpartition(" ")
    if not head or not count.isdigit():
        return None
    process = ""
    m = _PROCESS.match(head)
    if m:
        process, head = m.group("pid"), head[m.end() :]
    thread = ""
    frames = []
    for part in head.split(";"):
        t = _THREAD.match(part)
        if t and not frames:
            thread = t.group("tid")
            continue
        f = _FRAME.match(part)
        if f:
            frames.append(Frame(f.group("func"), f.group("file"), int(f.group("line") or 0)))
        else:
            frames.append(Frame(part, "", 0))
    return Stack(frames, int(count), thread, process)


def parse_raw(text):
    return [s for s in map(parse_raw_line, text.splitlines()) if s is not None]


# ---------------------------------------------------------------------------------------------------------
# The reference: shares from py-spy alone, and a kind from the shares
# ---------------------------------------------------------------------------------------------------------
# Leaf frames in these files are waits on another thread (lock, condition, queue, join, future).
LOCK_FILES = re.compile(
    r"(^|/)(threading|queue)\.py$|(^|/)concurrent/futures/|(^|/)multiprocessing/(pool|synchronize|"
    r"queues)\.py$|(^|/)asyncio/locks\.py$"
)

# Leaf frames in these files are waits on the outside world (sockets, pipes, selectors, subprocesses).
IO_FILES = re.compile(r"(^|/)(socket|ssl|selectors|subprocess|socketserver)\.py$|(^|/)(http|urllib|asyncio)/")


def innermost(frames, is_user):
    """The innermost frame for which is_user(file) holds, or None."""
    for fr in reversed(frames):
        if is_user(fr.file):
            return fr
    return None


def aggregate(variants, is_user, scale=None):
    """variants: {"all"|"active"|"gil": [Stack]} -> per-function counts and program totals.

    A sample belongs to its innermost user frame (function, file); samples with no user frame go to the
    pseudo-function "<outside>". Per function it keeps, per variant, the total and the count per leaf
    location (the innermost frame of the whole stack, user or not) and the threads seen. scale[variant]
    multiplies that variant's counts (the runs differ in length: counts are scaled to the --idle run's
    wall time, so that a run that took longer does not look busier).
    """
    scale = scale or {}
    funcs = defaultdict(
        lambda: {v: 0 for v in variants} | {"leaf": {v: Counter() for v in variants}, "threads": set()}
    )
    totals = {v: 0 for v in variants}
    thread_active = Counter()
    for variant, stacks in variants.items():
        k = scale.get(variant, 1.0)
        for s in stacks:
            n = s.count * k
            user = innermost(s.frames, is_user)
            key = (user.func, user.file) if user else ("<outside>", "")
            f = funcs[key]
            f[variant] += n
            leaf = s.frames[-1] if s.frames else Frame("?", "", 0)
            f["leaf"][variant][(leaf.file, leaf.line)] += n
            f["threads"].add((s.process, s.thread))
            totals[variant] += n
            if variant == "active":
                thread_active[(s.process, s.thread)] += n
    return funcs, totals, thread_active


def busy_threads(thread_active, floor=0.05):
    """Threads with at least `floor` of the busiest thread's active samples."""
    top = max(thread_active.values(), default=0)
    return sum(1 for n in thread_active.values() if top and n >= floor * top)


def reference_shares(f, multithreaded):
    """The five kinds' shares of one function (or of the program), from the three runs' counts.

    held   = GIL-holder samples (min(gil, all));        py-spy: active and owns the GIL -> cpu
    active = max(active run, held), at most all;        active without the GIL -> native
    idle   = all - active, split by leaf location L of the --idle run (idle at L = all_L - active_L):
             leaf in a threading/queue/futures/pool/asyncio.locks file -> lock; leaf in a socket/ssl/
             selectors/subprocess/socketserver/http/urllib/asyncio file -> io; a leaf line that is also
             seen running (active_L >= 10% of all_L) while >= 2 threads are busy -> gil (py-spy counts a
             thread waiting for the GIL as idle, at the line it wants to run); any other -> io.
    """
    a, c, g = f.get("all", 0), f.get("active", 0), f.get("gil", 0)
    held = min(g, a)
    active = min(max(c, held), a)
    idle = a - active
    weights = Counter()
    leaf_all, leaf_act = f["leaf"].get("all", Counter()), f["leaf"].get("active", Counter())
    for loc, n_all in leaf_all.items():
        n_idle = max(0, n_all - leaf_act.get(loc, 0))
        if not n_idle:
            continue
        if LOCK_FILES.search(loc[0] or ""):
            weights["lock"] += n_idle
        elif IO_FILES.search(loc[0] or ""):
            weights["io"] += n_idle
        elif multithreaded and leaf_act.get(loc, 0) >= 0.1 * n_all:
            weights["gil"] += n_idle
        else:
            weights["io"] += n_idle
    wsum = sum(weights.values())
    parts = {"cpu": held, "native": active - held, "gil": 0.0, "io": 0.0, "lock": 0.0}
    for k in ("gil", "io", "lock"):
        parts[k] = idle * weights[k] / wsum if wsum else (idle if k == "io" else 0.0)
    return {k: (parts[k] / a if a else 0.0) for k in KINDS}


def reference_kind(shares, samples, noisy=False):
    """(kind, debatable, why) from the shares: the dominant kind (>= 50%), else "mixed".

    Debatable when it rests on fewer than 20 samples, the top share is within 0.4-0.6, the runner-up is
    within 0.2 of it, or the three py-spy runs' wall times differ by more than 50% (noisy).
    """
    ranked = sorted(shares.items(), key=lambda kv: (-kv[1], KINDS.index(kv[0])))
    (k1, s1), (k2, s2) = ranked[0], ranked[1]
    kind = k1 if s1 >= 0.5 else "mixed"
    why = []
    if samples < 20:
        why.append(f"only {samples} samples")
    if 0.4 <= s1 < 0.6:
        why.append(f"top share {k1} {s1:.0%} near the 50% line")
    if s1 - s2 < 0.2:
        why.append(f"{k1} {s1:.0%} vs {k2} {s2:.0%}")
    if noisy:
        why.append("py-spy runs differ >50% in wall time")
    return kind, bool(why), "; ".join(why)


def judge_kind(gs_kind, ref_kind, shares, debatable):
    """ "yes"/"no" for a clear reference; "~yes"/"~no" for a debatable one (where gilscope's kind is one of
    the two largest shares, or "mixed", it is acceptable)."""
    if not debatable:
        return "yes" if gs_kind == ref_kind else "no"
    top2 = [k for k, _ in sorted(shares.items(), key=lambda kv: -kv[1])[:2]]
    return "~yes" if gs_kind in top2 or gs_kind == "mixed" or gs_kind == ref_kind else "~no"


# ---------------------------------------------------------------------------------------------------------
# Unified diffs
# ---------------------------------------------------------------------------------------------------------
class PatchError(Exception):
    pass


_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def apply_unified_diff(text, diff):
    """Applies a one-file unified diff to text; every context and removed line must match exactly.

    Each hunk is read for exactly the line counts in its header, so a removed line that starts with "--"
    is not taken for a file header. Lines outside hunks (headers) are skipped.
    """
    src = text.splitlines(keepends=True)
    out, pos = [], 0
    lines = diff.splitlines(keepends=True)
    i, hunks = 0, 0
    while i < len(lines):
        m = _HUNK.match(lines[i])
        if not m:
            i += 1
            continue
        hunks += 1
        old_left = int(m.group(2) if m.group(2) is not None else 1)
        new_left = int(m.group(4) if m.group(4) is not None else 1)
        start = int(m.group(1)) - (1 if old_left else 0)
        if start < pos:
            raise PatchError(f"hunk {hunks} overlaps the previous one")
        out.extend(src[pos:start])
        pos = start
        i += 1
        while i < len(lines) and (old_left or new_left or lines[i].startswith("\\")):
            ln = lines[i]
            if ln in ("\n", "\r\n"):  # an empty context line whose space was stripped
                ln = " " + ln
            tag, body = ln[:1], ln[1:]
            if tag == "\\":  # "\ No newline at end of file"
                if out and out[-1].endswith("\n"):
                    out[-1] = out[-1][:-1]
            elif tag in (" ", "-"):
                if pos >= len(src) or src[pos].rstrip("\r\n") != body.rstrip("\r\n"):
                    got = src[pos].rstrip() if pos < len(src) else "<end of file>"
                    raise PatchError(
                        f"hunk {hunks}: line {pos + 1} is {got!r}, the diff expects {body.rstrip()!r}"
                    )
                if tag == " ":
                    out.append(src[pos])
                    new_left -= 1
                pos += 1
                old_left -= 1
            elif tag == "+":
                out.append(body if body.endswith("\n") else body + "\n")
                new_left -= 1
            else:
                raise PatchError(f"hunk {hunks}: unexpected diff line {ln.rstrip()!r}")
            if old_left < 0 or new_left < 0:
                raise PatchError(f"hunk {hunks}: more lines than its header counts")
            i += 1
        if old_left or new_left:
            raise PatchError(f"hunk {hunks}: the diff ends inside the hunk")
    if not hunks:
        raise PatchError("no hunk in the diff")
    out.extend(src[pos:])
    return "".join(out)


def patch_agrees(path, diff, expected):
    """None when `patch` is not installed, else whether `patch` produces the same text as our applier."""
    if not shutil.which("patch"):
        return None
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.py"
        r = subprocess.run(
            ["patch", "--batch", "--silent", "-o", str(out), str(path)],
            input=diff,
            capture_output=True,
            text=True,
            timeout=30,
        )
        return r.returncode == 0 and out.read_text() == expected


_TIMING = re.compile(
    r"\d+(?:\.\d+)?\s*(?:ns|us|µs|ms|sec|s)\b(?:\s*\+-\s*\d+(?:\.\d+)?\s*(?:ns|us|µs|ms|sec|s)\b)?"
)


def normalise_stdout(text, mask_timings):
    return _TIMING.sub("<time>", text) if mask_timings else text


# ---------------------------------------------------------------------------------------------------------
# Advice: what each family's programs can and cannot gain (for advice that has no diff to time)
# ---------------------------------------------------------------------------------------------------------
# forbidden: a strategy that cannot help this kind of program (advising it is "wrong"); none_ok: whether
# having no warning-or-worse advice is right (no change with a safe mechanical rewrite is known to help).
_EXPECT = [  # (family, what its programs are, forbidden strategies, none_ok)
    (
        "py-cpu",
        "pure-Python CPU loop in one thread (loops that must not be split)",
        "threads asyncio offload lock-scope free-threading batching",
        True,
    ),
    (
        "c-gil",
        "one thread in C code that holds the GIL (json, pickle, re, big ints, compile, sqlite, expat)",
        "cython threads asyncio offload lock-scope free-threading",
        True,
    ),
    (
        "gc-async",
        "asyncio program whose long callbacks are garbage collection",
        "offload multiprocessing threads cython free-threading",
        False,
    ),
    (
        "async-io",
        "asyncio over loopback TCP, waits already overlapped",
        "offload multiprocessing threads cython asyncio free-threading",
        True,
    ),
    ("pool-tiny", "process and thread pools of tiny tasks", "cython asyncio free-threading offload", True),
    (
        "native-threads",
        "C code that releases the GIL, already in a thread pool",
        "multiprocessing cython free-threading asyncio threads offload",
        True,
    ),
    (
        "c-gil-threads",
        "C code that holds the GIL, in a thread pool (parallel work serialised)",
        "cython asyncio threads offload lock-scope",
        False,
    ),
    (
        "native-cli",
        "one thread in GIL-releasing C code on one sequential stream (zlib); threads would need a "
        "chunked format (pigz-style): untimed, not wrong",
        "multiprocessing cython asyncio free-threading offload",
        True,
    ),
    (
        "server",
        "threaded http.server under load: idle per-request threads",
        "multiprocessing cython threads asyncio free-threading offload",
        True,
    ),
    (
        "client",
        "threaded HTTP client whose waits already overlap",
        "asyncio threads multiprocessing cython free-threading",
        True,
    ),
]
EXPECTATIONS = {
    k: {"about": about, "forbidden": set(forbidden.split()), "none_ok": ok}
    for k, about, forbidden, ok in _EXPECT
}
SEVERITY = {"info": 0, "warning": 1, "error": 2}


def within(measured, predicted, tolerance=0.25):
    return predicted is not None and abs(measured - predicted) <= tolerance * predicted


def judge_finding(finding, expect, trial):
    """One advice finding -> (verdict, why). trial is the diff's timing (None when it has no diff)."""
    strategy = finding.get("strategy")
    if trial is not None:
        if not trial.get("safe"):
            return "wrong", f"diff unsafe: {trial.get('why')}"
        predicted, measured = trial.get("predicted"), trial.get("measured")
        if measured is None:
            return "untimed", trial.get("why") or "not timed"
        if predicted is None:
            return (
                ("right", "no estimate; faster")
                if measured > 1.05
                else ("wrong", f"no estimate; {measured:.2f}x")
            )
        if within(measured, predicted):
            return "right", f"measured {measured:.2f}x vs predicted {predicted:.2f}x"
        return "wrong", f"measured {measured:.2f}x vs predicted {predicted:.2f}x (outside 25%)"
    if strategy in EXPECTATIONS[expect]["forbidden"]:
        return "wrong", f"{strategy} cannot help: {EXPECTATIONS[expect]['about']}"
    return "untimed", f"{strategy}: no diff to time"


def judge_advice(findings, expect, trials):
    """Program verdict from its advice findings (strategy other than none) and their verdicts."""
    advice = [f for f in findings if f.get("strategy") not in (None, "none")]
    verdicts = [
        judge_finding(f, expect, trials.get(i))
        for i, f in enumerate(findings)
        if f.get("strategy") not in (None, "none")
    ]
    if any(v == "wrong" for v, _ in verdicts):
        return "wrong", verdicts
    if any(v == "right" for v, _ in verdicts):
        return "right", verdicts
    loud = [f for f in advice if SEVERITY.get(f.get("severity"), 0) >= 1]
    if not loud:
        return ("right" if EXPECTATIONS[expect]["none_ok"] else "none"), verdicts
    return "untimed", verdicts


# ---------------------------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------------------------
def fmt_shares(s):
    return "/".join(f"{round(100 * s.get(k, 0))}" for k in ("cpu", "native", "gil", "io", "lock"))


def table_row(r):
    if r.get("skipped"):
        return f"| {r['name']} | {r['family']} | skipped: {r['skipped']} | | | | | | |"
    ref = r.get("reference") or {}
    findings = (
        ", ".join(
            f"{f['rule']}:{f.get('strategy') or '-'}:{(f.get('severity') or '?')[0]}"
            for f in r.get("findings", [])
        )
        or "-"
    )
    trials = r.get("diff_trials", [])
    safe = "-" if not trials else "/".join("yes" if t.get("safe") else "NO" for t in trials)
    pm = "; ".join(f"{_num(t.get('predicted'))} vs {_num(t.get('measured'))}" for t in trials) or "-"
    gs = r.get("gilscope") or {}
    gs_cell = f"{gs.get('top_kind', '?')} ({gs.get('top_function', '?')})" if gs else "failed"
    ref_cell = (
        f"{ref.get('kind', '?')}{'?' if ref.get('debatable') else ''} [{fmt_shares(ref.get('shares', {}))}]"
        + ("" if ref.get("matched", True) else f" of {ref.get('function')}, unmatched")
        if ref
        else "-"
    )
    return (
        f"| {r['name']} | {r['family']} | {gs_cell} | {ref_cell} | {r.get('kind_right', '-')} | {findings} | "
        f"{r.get('advice', '-')} | {safe} | {pm} |"
    )


def _num(x):
    return "-" if x is None else f"{x:.2f}x"


def render_table(rows):
    head = [
        "| program | family | gilscope kind (top fn) | reference kind [cpu/native/gil/io/lock %] | kind right? |"
        " findings (rule:strategy:severity) | advice | diff safe? | predicted vs measured |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    return "\n".join(head + [table_row(r) for r in rows])


def summarise(rows):
    done = [r for r in rows if not r.get("skipped") and r.get("kind_right")]
    kinds = Counter(r["kind_right"] for r in done)
    advice = Counter(r.get("advice") for r in done)
    every = [t for r in done for t in r.get("diff_trials", [])]
    trials = [t for t in every if not t.get("kind")]  # the printed diffs; "kind" marks a gc.disable() run
    gc_runs = [t for t in every if t.get("kind")]
    return {
        "programs": len(rows),
        "profiled": len(done),
        "skipped": len(rows) - len(done),
        "kind_right": kinds["yes"] + kinds["~yes"],
        "kind_right_clear": kinds["yes"],
        "kind_debatable": kinds["~yes"] + kinds["~no"],
        "kind_wrong": kinds["no"] + kinds["~no"],
        "advice": dict(advice),
        "advice_right": advice["right"],
        "diffs": len(trials),
        "diffs_applied": sum(1 for t in trials if t.get("applied")),
        "diffs_safe": sum(1 for t in trials if t.get("safe")),
        "diffs_slower": sum(1 for t in trials if (t.get("measured") or 1) < 0.97),
        "gc_bounds_timed": len(gc_runs),
        "gc_bounds_within_25pct": sum(
            1 for t in gc_runs if t.get("measured") and within(t["measured"], t["predicted"])
        ),
    }


def summary_text(s):
    n = s["profiled"]
    return (
        f"kind right {s['kind_right']}/{n} ({s['kind_right_clear']} clear, {s['kind_debatable']} debatable, "
        f"{s['kind_wrong']} wrong); advice right {s['advice_right']}/{n} {s['advice']}; "
        f"diffs {s['diffs']}: applied {s['diffs_applied']}, safe {s['diffs_safe']}, slower {s['diffs_slower']}; "
        f"gc bounds timed {s.get('gc_bounds_timed', 0)} (within 25%: {s.get('gc_bounds_within_25pct', 0)}); "
        f"skipped {s['skipped']}"
    )


# ---------------------------------------------------------------------------------------------------------
# Running things
# ---------------------------------------------------------------------------------------------------------
def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run(argv, cwd, env=None, timeout=180.0):
    """(exit code, stdout, stderr, wall s); the whole process group is killed at the timeout."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env=env or child_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _killpg(proc.pid)
        out, err = proc.communicate()
        return 124, out, err + f"\n[realworld] killed after {timeout} s", time.perf_counter() - t0
    return proc.returncode, out, err, time.perf_counter() - t0


def _killpg(pid):
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, seconds=15.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


@dataclass
class Program:
    name: str
    family: str  # pyperf | stdlib | threads
    expect: str  # key of EXPECTATIONS
    argv: list  # after the interpreter: [script, args...] or ["-m", module, args...]
    user: list  # files or folders whose frames are "the user's code"
    cwd: str = ""
    mask_timings: bool = False
    server: str = ""  # "" | "serve" (the program is the server) | "client" (needs a server)
    duration: float = 0.0
    notes: list = field(default_factory=list)

    def is_user(self, file):
        return any(file == u or file.startswith(u.rstrip("/") + "/") for u in self.user)


PYPERF = [
    ("go", "py-cpu", []),
    ("raytrace", "py-cpu", []),
    ("nbody", "py-cpu", []),
    ("chaos", "py-cpu", []),
    ("richards", "py-cpu", []),
    ("deltablue", "py-cpu", []),
    ("float", "py-cpu", []),
    ("spectral_norm", "py-cpu", []),
    ("generators", "py-cpu", []),
    ("coroutines", "py-cpu", []),
    ("deepcopy", "py-cpu", []),
    ("logging", "py-cpu", []),
    ("json_dumps", "c-gil", []),
    ("json_loads", "c-gil", []),
    ("pickle", "c-gil", ["pickle"]),
    ("regex_v8", "c-gil", []),
    ("regex_compile", "c-gil", []),
    ("pidigits", "c-gil", []),
    ("sqlite_synth", "c-gil", []),
    ("xml_etree", "c-gil", []),
    ("async_tree", "gc-async", ["none"]),
    ("asyncio_tcp", "async-io", []),
    ("concurrent_imap", "pool-tiny", []),
]
DRIVERS = [
    ("hashlib_threads", "native_hashlib.py", "native-threads"),
    ("zlib_threads", "native_zlib.py", "native-threads"),
    ("numpy_threads", "native_numpy.py", "native-threads"),
    ("pillow_threads", "native_pillow.py", "native-threads"),
    ("json_threads", "cgil_json.py", "c-gil-threads"),
    ("pickle_threads", "cgil_pickle.py", "c-gil-threads"),
]
SERVER_SECONDS = 8.0


class Harness:
    def __init__(self, ns):
        self.ns = ns
        self.cache = Path(ns.cache).expanduser()
        self.venv = self.cache / "venv"
        self.python = str(self.venv / "bin" / "python")
        self.work = Path(tempfile.mkdtemp(prefix="gilscope-realworld-"))
        self.loops_file = self.cache / "loops.json"
        self.loops = (
            json.loads(self.loops_file.read_text()) if ns.skip_install and self.loops_file.exists() else {}
        )

    # -- set-up ------------------------------------------------------------------------------------------
    def ensure_venv(self):
        if self.ns.skip_install and Path(self.python).exists():
            log(f"reusing {self.venv}")
            return
        self.cache.mkdir(parents=True, exist_ok=True)
        if not Path(self.python).exists():
            subprocess.run(
                [sys.executable, "-m", "venv", "--system-site-packages", str(self.venv)], check=True
            )
        for pkgs in (["pyperformance", "pyperf"], ["pillow"]):
            r = subprocess.run(
                [self.python, "-m", "pip", "install", "-q", *pkgs], capture_output=True, text=True
            )
            if r.returncode:
                log(f"pip install {' '.join(pkgs)} failed: {r.stderr.strip().splitlines()[-1:]}")

    def bench_dir(self):
        r = subprocess.run(
            [self.python, "-c", "import pyperformance, os; print(os.path.dirname(pyperformance.__file__))"],
            capture_output=True,
            text=True,
        )
        return Path(r.stdout.strip()) / "data-files" / "benchmarks" if r.returncode == 0 else None

    def programs(self):
        progs, skipped = [], []
        bdir = self.bench_dir()
        for name, expect, extra in PYPERF:
            script = bdir / f"bm_{name}" / "run_benchmark.py" if bdir else None
            if not script or not script.exists():
                skipped.append(
                    (
                        name,
                        "pyperf",
                        expect,
                        "pyperformance not installed" if not bdir else "no run_benchmark.py",
                    )
                )
                continue
            if (
                not self.ns.in_place
            ):  # a user's own copy: gilscope treats files under site-packages as libraries
                copy = self.work / "bm" / script.parent.name
                shutil.copytree(script.parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
                script = copy / script.name
            progs.append(
                Program(
                    name,
                    "pyperf",
                    expect,
                    [str(script), "--worker", "-w", "0", "-n", "1", *extra],
                    [str(script.parent)],
                    mask_timings=True,
                )
            )
        data = self.work / "data"
        data.mkdir()
        progs += [
            Program(
                "gzip",
                "stdlib",
                "native-cli",
                ["-m", "gzip", str(data / "big.txt")],
                [str(STDLIB / "gzip.py")],
            ),
            Program(
                "compileall",
                "stdlib",
                "c-gil",
                ["-m", "compileall", "-f", "-q", str(data / "lib")],
                [str(STDLIB / "compileall.py")],
            ),
            Program(
                "json_tool",
                "stdlib",
                "c-gil",
                ["-m", "json.tool", str(data / "big.json"), str(data / "out.json")],
                [str(STDLIB / "json" / "tool.py")],
            ),
            Program(
                "http_server",
                "stdlib",
                "server",
                ["-m", "http.server", "--bind", "127.0.0.1", "--directory", str(data / "www"), "{port}"],
                [str(STDLIB / "http" / "server.py")],
                server="serve",
                duration=SERVER_SECONDS,
            ),
            Program(
                "http_client",
                "stdlib",
                "client",
                [
                    str(TARGETS / "http_load.py"),
                    "{port}",
                    "--threads",
                    "8",
                    "--requests",
                    "120",
                    "--max-seconds",
                    "20",
                ],
                [str(TARGETS / "http_load.py")],
                server="client",
            ),
        ]
        for name, script, expect in DRIVERS:
            progs.append(Program(name, "threads", expect, [str(TARGETS / script)], [str(TARGETS / script)]))
        return progs, skipped

    def make_data(self):
        """Generated inputs: deterministic, in the temporary work folder."""
        import random

        data = self.work / "data"
        rng = random.Random(2026)
        words = [
            bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 10)))
            for _ in range(5000)
        ]
        line = b" ".join(words)
        with open(data / "big.txt", "wb") as fh:  # ~50 MB of word-like text
            for i in range(50 * 1024 * 1024 // len(line) + 1):
                fh.write(line[i % 97 :] + b"\n")
        lib = data / "lib"
        for pkg in (
            "email",
            "json",
            "http",
            "xml",
            "logging",
            "asyncio",
            "unittest",
            "importlib",
            "concurrent",
        ):
            shutil.copytree(STDLIB / pkg, lib / pkg, ignore=shutil.ignore_patterns("__pycache__"))
        doc = [
            {
                "id": i,
                "name": f"item {i}",
                "tags": ["x", "y", str(i % 7)],
                "price": i * 0.25,
                "nested": {"a": i, "b": [i, i + 1]},
            }
            for i in range(90_000)
        ]
        (data / "big.json").write_text(json.dumps(doc))
        (data / "www").mkdir()
        (data / "www" / "blob.bin").write_bytes(rng.randbytes(64 * 1024))

    # -- one program -------------------------------------------------------------------------------------
    def command(self, prog, port=None, script=None, shadow=None):
        argv = [a.replace("{port}", str(port)) for a in prog.argv]
        if script:
            argv[0] = script
        if prog.family == "pyperf":
            argv[1:1] = ["-l", str(self.loops[prog.name])]
        return [self.python, *argv]

    def env(self, shadow=None):
        env = child_env()
        if shadow:
            env["PYTHONPATH"] = os.pathsep.join([str(shadow), env["PYTHONPATH"]])
        return env

    def calibrate(self, prog):
        """Loops N so that one worker run lasts ~1.5 s: wall(1), then wall(n) for n = 8, 64, ... until it
        passes 0.8 s (at most 5 steps); time per loop = (wall(n) - wall(1)) / (n - 1)."""
        if prog.family != "pyperf" or prog.name in self.loops:
            return None
        walls = {}
        for n in (1, 8, 64, 512, 4096):
            self.loops[prog.name] = n
            rc, out, err, wall = run(self.command(prog), str(self.work))
            if rc:
                del self.loops[prog.name]
                return f"calibration run failed (exit {rc}): {(err.strip().splitlines() or [''])[-1][:200]}"
            walls[n] = wall
            if wall >= 0.8:
                break
        n = max(walls)
        per = (walls[n] - walls[1]) / (n - 1) if n > 1 else walls[1]
        per = max(per, 1e-4)
        start = max(walls[1] - per, 0.0)
        self.loops[prog.name] = int(min(max(round((1.5 - start) / per), 1), 1_000_000))
        self.loops_file.write_text(json.dumps(self.loops, indent=1))
        return None

    def with_server(self, prog, body):
        """Runs body(port) while a bare http.server serves on a free loopback port (for the client)."""
        port = free_port()
        srv = subprocess.Popen(
            [
                self.python,
                "-m",
                "http.server",
                "--bind",
                "127.0.0.1",
                "--directory",
                str(self.work / "data" / "www"),
                str(port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            if not wait_port(port):
                raise RuntimeError("http.server did not start")
            return body(port)
        finally:
            _killpg(srv.pid)
            srv.wait()

    def load(self, port, seconds):
        """The load client, bare, against the server under test (bounded: count and time)."""
        return run(
            [
                self.python,
                str(TARGETS / "http_load.py"),
                str(port),
                "--threads",
                "8",
                "--requests",
                "400",
                "--max-seconds",
                str(seconds),
            ],
            str(self.work),
            timeout=seconds + 30,
        )

    def gilscope(self, prog):
        out = self.work / f"{prog.name}.gilscope.json"
        out.unlink(missing_ok=True)
        if prog.server == "serve":
            port = free_port()
            argv = [
                self.python,
                "-m",
                "gilscope",
                "profile",
                "--json",
                str(out),
                "--duration",
                str(prog.duration),
                *self.command(prog, port)[1:],
            ]
            proc = subprocess.Popen(
                argv,
                cwd=str(self.work),
                env=child_env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                start_new_session=True,
            )
            t0 = time.perf_counter()
            client = self.load(port, prog.duration - 3) if wait_port(port) else None
            try:
                sout, serr = proc.communicate(timeout=prog.duration + 60)
            except subprocess.TimeoutExpired:
                _killpg(proc.pid)
                sout, serr = proc.communicate()
            rc, wall = proc.returncode, time.perf_counter() - t0
            prog.notes.append(
                f"load client during gilscope run: exit {client[0] if client else 'n/a'}, "
                f"{(client[1].strip() if client else 'server never listened')}"
            )
        elif prog.server == "client":
            rc, sout, serr, wall = self.with_server(
                prog,
                lambda port: run(
                    [
                        self.python,
                        "-m",
                        "gilscope",
                        "profile",
                        "--json",
                        str(out),
                        *self.command(prog, port)[1:],
                    ],
                    str(self.work),
                ),
            )
        else:
            rc, sout, serr, wall = run(
                [self.python, "-m", "gilscope", "profile", "--json", str(out), *self.command(prog)[1:]],
                str(self.work),
            )
        report = json.loads(out.read_text()) if out.exists() else None
        return {
            "exit_code": rc,
            "wall_s": wall,
            "stderr_tail": serr.strip().splitlines()[-5:],
            "report": report,
        }

    def pyspy(self, prog, variant):
        flags = {"all": ["--idle"], "gil": ["--gil", "--idle"], "active": []}[variant]
        out = self.work / f"{prog.name}.{variant}.raw"
        out.unlink(missing_ok=True)
        base = [
            "py-spy",
            "record",
            "-r",
            str(RATE),
            "-f",
            "raw",
            "--full-filenames",
            "--threads",
            "-s",
            *flags,
            "-o",
            str(out),
        ]
        if prog.server == "serve":
            port = free_port()
            srv = subprocess.Popen(
                self.command(prog, port),
                cwd=str(self.work),
                env=child_env(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            try:
                if not wait_port(port):
                    return None, "server did not listen"
                t0 = time.perf_counter()
                spy = subprocess.Popen(
                    [*base, "-d", str(int(prog.duration)), "--pid", str(srv.pid)],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                self.load(port, prog.duration - 3)
                try:
                    _, err = spy.communicate(timeout=prog.duration + 30)
                except subprocess.TimeoutExpired:
                    spy.kill()
                    _, err = spy.communicate()
                rc, wall = spy.returncode, time.perf_counter() - t0
            finally:
                _killpg(srv.pid)
                srv.wait()
        elif prog.server == "client":
            rc, _, err, wall = self.with_server(
                prog, lambda port: run([*base, "--", *self.command(prog, port)], str(self.work))
            )
        else:
            rc, _, err, wall = run([*base, "--", *self.command(prog)], str(self.work))
        if not out.exists():
            return (
                None,
                f"py-spy {variant} wrote nothing (exit {rc}): {(err.strip().splitlines() or [''])[-1][:200]}",
            )
        return {"stacks": parse_raw(out.read_text()), "wall_s": wall, "exit_code": rc}, None

    def reference(self, prog, spy, gs_top):
        variants = {v: spy[v]["stacks"] for v in spy}
        scale = {v: spy["all"]["wall_s"] / spy[v]["wall_s"] for v in spy}
        funcs, totals, thread_active = aggregate(variants, prog.is_user, scale)
        multithreaded = busy_threads(thread_active) >= 2
        walls = [spy[v]["wall_s"] for v in spy]
        noisy = max(walls) > 1.5 * min(walls)
        per_func = {}
        for (func, file), f in funcs.items():
            shares = reference_shares(f, multithreaded)
            kind, debatable, why = reference_kind(shares, f["all"], noisy)
            per_func[f"{func} {file}"] = {
                "function": func,
                "file": file,
                "counts": {v: f[v] for v in variants},
                "threads": len(f["threads"]),
                "shares": shares,
                "kind": kind,
                "debatable": debatable,
                "why": why,
            }
        program = {
            "all": totals["all"],
            "active": totals["active"],
            "gil": totals["gil"],
            "leaf": {v: Counter() for v in variants},
        }
        for f in funcs.values():
            for v in variants:
                program["leaf"][v].update(f["leaf"][v])
        prog_shares = reference_shares(program, multithreaded)
        user_funcs = [p for p in per_func.values() if p["function"] != "<outside>"]
        match = None
        if gs_top:
            want_f, want_file = _last(gs_top.get("function")), os.path.realpath(gs_top.get("file") or "")
            match = next(
                (
                    p
                    for p in user_funcs
                    if _last(p["function"]) == want_f and os.path.realpath(p["file"]) == want_file
                ),
                None,
            )
        top = max(user_funcs, key=lambda p: p["counts"]["all"], default=None)
        return {
            "functions": per_func,
            "totals": totals,
            "busy_threads": busy_threads(thread_active),
            "program_shares": prog_shares,
            "noisy_walls": walls,
            "matched": match is not None,
            "judged": match or top,
        }

    def trial(self, prog, finding, report_file):
        """Applies one finding's diff to copies and times original vs patched in alternating pairs."""
        t = {
            "rule": finding.get("rule"),
            "strategy": finding.get("strategy"),
            "predicted": (finding.get("estimated_speedup") or {}).get("factor"),
            "applied": False,
            "safe": False,
            "measured": None,
            "why": "",
        }
        target = Path(finding.get("file") or report_file).resolve()
        if not target.exists():
            t["why"] = f"file {target} not found"
            return t
        tmp = Path(tempfile.mkdtemp(prefix=f"{prog.name}-", dir=self.work))
        shadow = None
        if prog.is_user(str(target)) and prog.family != "stdlib" or str(target).startswith(str(TARGETS)):
            root = target.parent  # the script's folder: copy it twice
            copies = {side: tmp / side for side in ("orig", "patched")}
            for d in copies.values():
                shutil.copytree(root, d, ignore=shutil.ignore_patterns("__pycache__"))
            rel = target.relative_to(root)
            script_rel = (
                Path(prog.argv[0]).resolve().relative_to(root) if not prog.argv[0].startswith("-") else None
            )
        elif target.is_relative_to(STDLIB):
            rel = target.relative_to(STDLIB)
            top = STDLIB / rel.parts[0]
            copies = {side: tmp / side for side in ("orig", "patched")}
            for d in copies.values():
                (
                    shutil.copytree(top, d / rel.parts[0], ignore=shutil.ignore_patterns("__pycache__"))
                    if top.is_dir()
                    else (d.mkdir(), shutil.copy2(top, d / top.name))
                )
            shadow, script_rel = True, None
        else:
            t["why"] = f"diff is for {target}, outside the program"
            return t
        text = target.read_text()
        try:
            patched = apply_unified_diff(text, finding["diff"])
        except PatchError as exc:
            t["why"] = f"diff does not apply: {exc}"
            return t
        t["patch_agrees"] = patch_agrees(target, finding["diff"], patched)
        (copies["patched"] / rel).write_text(patched)
        t["applied"] = True
        if prog.server == "serve":
            t["why"] = "server runs are duration-bounded: not timed"
            return t

        def once(side, port=None):
            d = copies[side]
            argv = self.command(prog, port, script=str(d / script_rel) if script_rel else None)
            return run(argv, str(self.work), env=self.env(d if shadow else None))

        return self.timed(prog, t, once)

    def timed(self, prog, t, once):
        """Times once("orig") against once("patched") in alternating pairs (pair 0 a warm-up), requiring the
        same exit status and stdout every time; fills t's times, safe, measured and why."""

        def pairs(port=None):
            times = {"orig": [], "patched": []}
            first = {}
            for i in range(self.ns.pairs + 1):
                for side in ("orig", "patched") if i % 2 == 0 else ("patched", "orig"):
                    rc, out, err, wall = once(side, port)
                    seen = (rc, normalise_stdout(out, prog.mask_timings))
                    if side == "orig" and rc != 0:
                        return (
                            times,
                            f"the original copy failed (exit {rc}): "
                            f"{(err.strip().splitlines() or [''])[-1][:160]}",
                        )
                    first.setdefault(side, seen)
                    if seen != first["orig" if "orig" in first else side]:
                        return (
                            times,
                            f"{side} run {i}: exit {rc} / stdout differs from the original's "
                            f"(first lines: {out[:120]!r}); stderr: {(err.strip().splitlines() or [''])[-1][:160]}",
                        )
                    if i:
                        times[side].append(wall)
            return times, None

        times, why = self.with_server(prog, pairs) if prog.server == "client" else pairs()
        t["times"] = times
        if why:
            t["why"] = why
            return t
        t["safe"] = True
        t["measured"] = statistics.median(times["orig"]) / statistics.median(times["patched"])
        return t

    def gc_trial(self, prog, finding):
        """A garbage-collection finding has no diff: its gain is an upper bound, all collection time removed.
        Check that bound against the program run with the collector disabled from the start (a sitecustomize
        calling gc.disable()), in the same alternating pairs. "safe" here only means stdout stayed the same."""
        t = {
            "rule": finding.get("rule"),
            "strategy": finding.get("strategy"),
            "kind": "gc.disable() run",
            "predicted": (finding.get("estimated_speedup") or {}).get("factor"),
            "applied": True,
            "safe": False,
            "measured": None,
            "why": "",
        }
        if prog.server == "serve":
            t["why"] = "server runs are duration-bounded: not timed"
            return t
        nogc = Path(tempfile.mkdtemp(prefix=f"{prog.name}-nogc-", dir=self.work))
        (nogc / "sitecustomize.py").write_text("import gc\ngc.disable()\n")

        def once(side, port=None):
            return run(
                self.command(prog, port), str(self.work), env=self.env(nogc if side == "patched" else None)
            )

        return self.timed(prog, t, once)

    def one(self, prog):
        row = {"name": prog.name, "family": prog.family, "expect": prog.expect, "argv": prog.argv}
        why = self.calibrate(prog)
        if why:
            row["skipped"] = why
            return row
        if prog.family == "pyperf":
            row["loops"] = self.loops[prog.name]
        log(f"{prog.name}: gilscope")
        gs = self.gilscope(prog)
        report = gs.pop("report")
        row["gilscope_run"] = gs
        if report is None:
            row["gilscope"] = None
            row["notes"] = prog.notes + [
                f"gilscope wrote no report (exit {gs['exit_code']}): {gs['stderr_tail'][-1:]}"
            ]
        else:
            hot = sorted(report.get("hotspots", []), key=lambda h: -h.get("share", 0))
            row["gilscope"] = {
                "wall_s": report["run"].get("wall_s"),
                "cpu_s": report["run"].get("cpu_s"),
                "samples": report["run"].get("samples"),
                "exit_code": report["run"].get("exit_code"),
                "interrupted": report["run"].get("interrupted"),
                "hotspots": [
                    {
                        k: h.get(k)
                        for k in ("function", "file", "line", "kind", "share", "split", "threads", "role")
                    }
                    for h in hot[:5]
                ],
                "top_kind": hot[0]["kind"] if hot else "none",
                "top_function": hot[0]["function"] if hot else "-",
                "caveats": report.get("caveats"),
            }
            row["findings"] = [
                {
                    "rule": f.get("rule"),
                    "name": f.get("name"),
                    "severity": f.get("severity"),
                    "strategy": f.get("strategy"),
                    "function": f.get("function"),
                    "file": f.get("file"),
                    "line": f.get("line"),
                    "message": f.get("message"),
                    "estimated_speedup": (f.get("estimated_speedup") or {}).get("factor"),
                    "diff": f.get("diff") or "",
                }
                for f in report.get("findings", [])
            ]
        spy, errors = {}, []
        for variant in ("all", "gil", "active"):
            log(f"{prog.name}: py-spy {variant}")
            got, err = self.pyspy(prog, variant)
            if got:
                spy[variant] = got
            else:
                errors.append(err)
        row["pyspy"] = {
            v: {
                "wall_s": s["wall_s"],
                "exit_code": s["exit_code"],
                "samples": sum(x.count for x in s["stacks"]),
            }
            for v, s in spy.items()
        }
        if errors:
            row["pyspy_errors"] = errors
        if len(spy) == 3:
            gs_top = ((row.get("gilscope") or {}).get("hotspots") or [None])[0]
            ref = self.reference(prog, spy, gs_top)
            row["reference_raw"] = ref
            judged = ref["judged"]
            if judged:
                row["reference"] = {
                    "function": judged["function"],
                    "kind": judged["kind"],
                    "shares": judged["shares"],
                    "debatable": judged["debatable"],
                    "why": judged["why"],
                    "matched": ref["matched"],
                }
                if row.get("gilscope"):
                    row["kind_right"] = judge_kind(
                        row["gilscope"]["top_kind"],
                        judged["kind"],
                        judged["shares"],
                        judged["debatable"] or not ref["matched"],
                    )
        trials = {}
        for i, f in enumerate(row.get("findings", [])):
            if f["diff"]:
                log(f"{prog.name}: applying the {f['rule']} diff")
                trials[i] = self.trial(
                    prog, {**f, "estimated_speedup": {"factor": f["estimated_speedup"]}}, prog.argv[0]
                )
            elif f["strategy"] == "gc-tuning" and f["severity"] in ("warning", "error"):
                log(f"{prog.name}: timing the {f['rule']} bound with gc.disable()")
                trials[i] = self.gc_trial(
                    prog, {**f, "estimated_speedup": {"factor": f["estimated_speedup"]}}
                )
        row["diff_trials"] = list(trials.values())
        if row.get("gilscope"):
            row["advice"], verdicts = judge_advice(row["findings"], prog.expect, trials)
            row["advice_verdicts"] = [list(v) for v in verdicts]
        row["notes"] = row.get("notes", prog.notes)
        return row


def _last(name):
    return str(name or "").split(".")[-1].split(" ")[0]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="", help="comma-separated program names")
    ap.add_argument(
        "--skip-install", action="store_true", help="reuse the venv (and calibrated loops) under --cache"
    )
    ap.add_argument(
        "--pairs", type=int, default=3, help="timed original/patched pairs per diff (after one warm-up)"
    )
    ap.add_argument("--cache", default="~/.cache/gilscope-realworld")
    ap.add_argument(
        "--in-place",
        action="store_true",
        help="run the pyperformance benchmarks where pip installed them (under site-packages) instead "
        "of from a temporary copy",
    )
    ap.add_argument("--out", default=str(RESULTS / "realworld.json"))
    ns = ap.parse_args(argv)
    if not shutil.which("py-spy"):
        sys.exit("py-spy is not on PATH")
    h = Harness(ns)
    try:
        h.ensure_venv()
        progs, skipped = h.programs()
        if ns.only:
            want = {n.strip() for n in ns.only.split(",") if n.strip()}
            known = {p.name for p in progs} | {s[0] for s in skipped}
            if want - known:
                sys.exit(
                    f"unknown programs: {', '.join(sorted(want - known))} (have {', '.join(sorted(known))})"
                )
            progs = [p for p in progs if p.name in want]
            skipped = [s for s in skipped if s[0] in want]
        h.make_data()
        rows = [{"name": n, "family": fam, "expect": e, "skipped": why} for n, fam, e, why in skipped]
        for s in skipped:
            log(f"skipping {s[0]}: {s[3]}")
        t0 = time.monotonic()
        for prog in progs:
            try:
                rows.append(h.one(prog))
            except Exception as exc:  # recorded, not hidden: the row says what broke
                rows.append(
                    {
                        "name": prog.name,
                        "family": prog.family,
                        "expect": prog.expect,
                        "skipped": f"harness error: {type(exc).__name__}: {exc}",
                        "traceback": traceback.format_exc().splitlines()[-6:],
                    }
                )
            log(f"  {table_row(rows[-1])}")
        m = machine(h.python)
        summary = summarise(rows)
        print(f"Machine: {machine_line(m)}\n")
        print(render_table(rows))
        print(f"\nSummary: {summary_text(summary)}")
        for r in rows:
            for v in r.get("advice_verdicts", []):
                if v[0] == "wrong":
                    print(f"- {r['name']}: {v[1]}")
        write_json(
            ns.out,
            {
                "machine": m,
                "options": vars(ns),
                "elapsed_s": time.monotonic() - t0,
                "expectations": {
                    k: {**v, "forbidden": sorted(v["forbidden"])} for k, v in EXPECTATIONS.items()
                },
                "summary": summary,
                "programs": rows,
            },
        )
        log(f"wrote {ns.out}")
    finally:
        shutil.rmtree(h.work, ignore_errors=True)


if __name__ == "__main__":
    main()
