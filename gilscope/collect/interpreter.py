"""`--python PATH`: which interpreter the target runs under, checked before anything runs.

The probe is one line that every Python since 2.6 can run, so that even a python2.7 gets a clear refusal.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass

from gilscope.errors import UsageError

MINIMUM = (3, 9)  # the oldest CPython the stdlib agent runs on
_PROBE = (
    "import sys, platform; v = sys.version_info; "
    "sys.stdout.write('gilscope-probe %s %d.%d.%d %s %s' % (platform.python_implementation(), v[0], v[1], "
    "v[2], int(bool(getattr(sys, 'abiflags', '').count('t'))), int(getattr(sys, '_is_gil_enabled', "
    "lambda: True)())))"
)


@dataclass(frozen=True)
class TargetPython:
    path: str
    implementation: str
    version: tuple[int, int, int]
    free_threaded_build: bool
    gil_enabled: bool

    @property
    def version_text(self) -> str:
        return ".".join(map(str, self.version))


def resolve(value: str) -> str:
    """A path as given (a folder-less name is looked up on PATH)."""
    if os.sep in value or (os.altsep and os.altsep in value):
        return os.path.abspath(os.path.expanduser(value))
    return shutil.which(value) or value


def check(value: str) -> TargetPython:
    """The interpreter at `value`, or a one-line UsageError saying why the agent cannot run under it."""
    path = resolve(value)
    if not os.path.exists(path):
        raise UsageError(f"--python {value}: no such interpreter")
    if os.path.isdir(path) or not os.access(path, os.X_OK):
        raise UsageError(f"--python {value}: not an executable file")
    try:
        done = subprocess.run(
            [path, "-c", _PROBE], stdin=subprocess.DEVNULL, capture_output=True, timeout=30, env=_probe_env()
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UsageError(f"--python {value}: cannot run it ({exc})") from None
    words = done.stdout.decode(errors="replace").split()
    if done.returncode != 0 or len(words) != 5 or words[0] != "gilscope-probe":
        raise UsageError(f"--python {value}: not a Python interpreter (it did not run a Python one-liner)")
    implementation, version = words[1], tuple(int(n) for n in words[2].split("."))
    found = f"{implementation} {words[2]}"
    if implementation != "CPython":
        raise UsageError(
            f"--python {value} is {found}: gilscope's agent needs CPython "
            f"{'.'.join(map(str, MINIMUM))} or newer"
        )
    if version[:2] < MINIMUM:
        raise UsageError(
            f"--python {value} is {found}: gilscope's agent needs CPython "
            f"{'.'.join(map(str, MINIMUM))} or newer"
        )
    major, minor, micro = (version + (0, 0, 0))[:3]
    return TargetPython(path, implementation, (major, minor, micro), words[3] == "1", words[4] == "1")


def _probe_env() -> dict:
    """The probe must not start a profile of itself through an inherited sitecustomize."""
    return {k: v for k, v in os.environ.items() if not k.startswith("GILSCOPE_")}
