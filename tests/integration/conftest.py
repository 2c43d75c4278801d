import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.pop("GITHUB_ACTIONS", None)
    return env


@pytest.fixture
def profile(tmp_path):
    """Run `gilscope profile --json` on a script written into tmp_path; return (completed process, report)."""

    def run(
        source: str,
        *args: str,
        options=(),
        stdin: str | None = None,
        name="target.py",
        timeout=120,
        env: dict | None = None,
    ):
        script = tmp_path / name
        script.write_text(source)
        out = tmp_path / "report.json"
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "gilscope",
                "profile",
                "-q",
                "--json",
                str(out),
                *options,
                str(script),
                *args,
            ],
            cwd=tmp_path,
            env={**_env(), **(env or {})},
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        report = json.loads(out.read_text()) if out.exists() else None
        return proc, report

    return run


def plain(tmp_path, source: str, *args: str, stdin: str | None = None, name="target.py"):
    script = tmp_path / name
    script.write_text(source)
    return subprocess.run(
        [sys.executable, str(script), *args],
        cwd=tmp_path,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(),
    )


def hotspots(report):
    return {h["function"].split(".")[-1]: h for h in report["hotspots"]}
