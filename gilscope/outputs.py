"""Writing results: atomic files, and GitHub Actions annotations plus the step summary."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from gilscope.errors import UsageError
from gilscope.model import Report

STEP_SUMMARY_LIMIT = 1_000_000  # GitHub caps a step summary at 1 MiB


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write `text` (UTF-8) to `path` via a temporary file in the same folder and os.replace.

    Readers never see a half-written file. Raises UsageError naming the path when it cannot be written.
    """
    target = Path(path)
    fd, tmp = -1, ""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fd = -1
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _file_mode(target))
        os.replace(tmp, target)
        tmp = ""
    except OSError as exc:
        raise UsageError(f"cannot write {os.fspath(path)}: {exc.strerror or exc}") from None
    finally:
        if fd >= 0:
            os.close(fd)
        if tmp:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _file_mode(target: Path) -> int:
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def emit_github(
    report: Report,
    *,
    env: Mapping[str, str] | None = None,
    out: TextIO | None = None,
    root: str | os.PathLike[str] | None = None,
) -> bool:
    """On a GitHub Actions runner: print annotations to stdout, append the Markdown summary and the findings
    that did not fit as annotations to $GITHUB_STEP_SUMMARY. Returns whether it did anything."""
    env = os.environ if env is None else env
    if env.get("GITHUB_ACTIONS") != "true":
        return False
    from gilscope.render.annotations import render_annotations
    from gilscope.render.markdown import render_markdown

    annotations, overflow = render_annotations(report, root=root)
    (out or sys.stdout).write(annotations)
    summary_path = env.get("GITHUB_STEP_SUMMARY")
    if summary_path:
        text = render_markdown(report) + ("\n" + overflow if overflow else "")
        data = text.encode("utf-8")
        if len(data) > STEP_SUMMARY_LIMIT:
            cut = data[:STEP_SUMMARY_LIMIT].decode("utf-8", "ignore")
            text = (
                cut[: cut.rfind("\n") + 1] + "\n…summary cut at GitHub's 1 MiB limit; see the full report.\n"
            )
        try:
            with open(summary_path, "a", encoding="utf-8") as fh:
                fh.write(text + "\n")
        except OSError as exc:
            raise UsageError(
                f"cannot append to $GITHUB_STEP_SUMMARY ({summary_path}): {exc.strerror or exc}"
            ) from None
    return True
