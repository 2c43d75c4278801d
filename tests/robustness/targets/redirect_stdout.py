"""Redirects stdout twice: contextlib.redirect_stdout to a StringIO, and fd 1 onto a file with os.dup2."""

import contextlib
import io
import os
import sys

from busy import work

buffer = io.StringIO()
with contextlib.redirect_stdout(buffer):
    print("into the buffer")
assert buffer.getvalue() == "into the buffer\n"
fd = os.open("redirected.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
sys.stdout.flush()
os.dup2(fd, 1)
print("into the file", flush=True)
work()
