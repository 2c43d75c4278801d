"""The progress line: only on a terminal, never with -q, erased at the end, and it counts processes."""

import io
import os
import subprocess
import sys
import time

from gilscope.cli import progress


class _Tty(io.StringIO):
    def isatty(self):
        return True


def test_shown_only_on_a_terminal_and_not_quiet(monkeypatch):
    monkeypatch.setenv("TERM", "xterm")
    assert progress.wanted(False, _Tty())
    assert not progress.wanted(True, _Tty())
    assert not progress.wanted(False, io.StringIO())  # a pipe or a CI log: nothing


def test_the_line_is_drawn_and_erased(monkeypatch):
    monkeypatch.setattr(progress, "REFRESH_S", 0.02)
    out = _Tty()
    with progress.Progress(lambda: os.getpid(), 0.005, stream=out):
        time.sleep(0.15)
    text = out.getvalue()
    assert "gilscope: profiling" in text and "samples" in text
    assert text.endswith(progress.ERASE)  # nothing of it stays on the screen
    assert "\n" not in text  # one line, redrawn in place


def test_line_text():
    assert progress.line(2.0, 0.005, 3) == "gilscope: profiling   2.0 s, ~400 samples, 3 processes"
    assert progress.line(0.5, 0.0, 1) == "gilscope: profiling   0.5 s"


def test_descendants_counts_children():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"])
    try:
        time.sleep(0.1)
        assert progress.descendants(os.getpid()) >= 2
        assert progress.descendants(child.pid) == 1
    finally:
        child.kill()
        child.wait()
