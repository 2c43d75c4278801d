"""Apply a diff gilscope printed to a copy of the script's folder (with `patch`), and run the copy.

Shared by tests/e2e/test_advice_e2e.py and benchmarks/advice.py: a diff we print is code we ship, so it is
applied the way a user would apply it and the patched program must print what the original printed.
"""

import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

RUN_TIMEOUT_S = 120


class PatchFailed(AssertionError):
    pass


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str
    wall_s: float


def patched_copy(script: Path, finding: dict, into: Path) -> Path:
    """A copy of `script`'s folder in `into`, with the finding's diff applied to the file it changes."""
    shutil.copytree(script.parent, into, ignore=shutil.ignore_patterns("__pycache__"))
    changed = Path(finding["change_at"]["file"]).resolve()
    target = into / changed.relative_to(script.parent.resolve())
    proc = subprocess.run(
        ["patch", "--no-backup-if-mismatch", "--force", "--fuzz=0", str(target)],
        input=finding["diff"],
        text=True,
        capture_output=True,
        timeout=30,
    )
    if proc.returncode:
        raise PatchFailed(
            f"{finding['rule']} diff does not apply to {target}: {proc.stdout}{proc.stderr}\n"
            f"{finding['diff']}"
        )
    return into / script.name


def run(script: Path, args=(), cwd: Path | None = None, env=None) -> Ran:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(script), *args],
        cwd=cwd or script.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
    )
    return Ran(proc.returncode, proc.stdout, proc.stderr, time.perf_counter() - start)


def with_diffs(report: dict) -> list[dict]:
    """The findings that carry a diff, one per distinct diff."""
    seen, out = set(), []
    for f in report.get("findings", []):
        if f.get("diff") and f["diff"] not in seen:
            seen.add(f["diff"])
            out.append(f)
    return out
