"""Helpers of the end-to-end tests: the example cases, name matching, and cached runs of examples.

Each example is run at most once bare and once under `gilscope profile --json` per test
session, however many tests read the result.
"""

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
FREE_THREADED = not getattr(sys, "_is_gil_enabled", lambda: True)()


def _for_this_build(label: dict) -> dict:
    """A case's expectations on this interpreter: its 'free_threaded' keys replace its own without a GIL."""
    overrides = label.get("free_threaded", {}) if FREE_THREADED else {}
    return {**{k: v for k, v in label.items() if k != "free_threaded"}, **overrides}


CASES = {
    name: _for_this_build(label)
    for name, label in json.loads((EXAMPLES / "expected.json").read_text()).items()
    if not name.startswith("_")
}
PAIRS = {
    name: pair
    for name, pair in json.loads((EXAMPLES / "after" / "pairs.json").read_text()).items()
    if not name.startswith("_")
}
PROFILE_TIMEOUT_S = 300
BARE_TIMEOUT_S = 60

requires_cli = pytest.mark.skipif(
    not ((ROOT / "gilscope" / "cli.py").exists() or (ROOT / "gilscope" / "cli" / "__init__.py").exists()),
    reason="gilscope.cli does not exist yet",
)


def last(name):
    """The last dotted part of a function name, as shared/tools/corpus_score.py matches names."""
    return str(name or "").replace(":", ".").split(".")[-1].split("(")[0].strip()


def child_env():
    """The environment for child processes: gilscope importable from this checkout."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


@dataclass(frozen=True)
class Run:
    argv: list
    returncode: int
    stdout: str
    stderr: str
    report: dict | None  # the --json report, None for bare runs or when none was written


class Runs:
    def __init__(self, tmp_factory):
        self._tmp = tmp_factory
        self._cache = {}

    def _run(self, key, argv, out, timeout):
        if key not in self._cache:
            cwd = self._tmp.mktemp(key[0].replace("/", "_").removesuffix(".py"))
            out = cwd / out if out else None
            argv = [a.replace("{OUT}", str(out)) for a in argv]
            proc = subprocess.run(
                argv, cwd=cwd, env=child_env(), capture_output=True, text=True, timeout=timeout
            )
            report = json.loads(out.read_text()) if out and out.exists() else None
            self._cache[key] = Run(argv, proc.returncode, proc.stdout, proc.stderr, report)
        return self._cache[key]

    def bare(self, script, args=()):
        """`python examples/SCRIPT ARGS` in a fresh directory."""
        return self._run(
            (script, "bare"), [sys.executable, str(EXAMPLES / script), *args], None, BARE_TIMEOUT_S
        )

    def profiled(self, script, args=()):
        """`python -m gilscope profile --json OUT examples/SCRIPT ARGS` in a fresh directory."""
        argv = [sys.executable, "-m", "gilscope", "profile", "--json", "{OUT}", str(EXAMPLES / script), *args]
        return self._run((script, "profiled"), argv, "report.json", PROFILE_TIMEOUT_S)
