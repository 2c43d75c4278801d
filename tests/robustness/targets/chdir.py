"""Changes folder: into a fresh one that is removed while the run goes on, then into ./sub for good."""

import os
import tempfile

from busy import work

start = os.getcwd()
with tempfile.TemporaryDirectory() as elsewhere:
    os.chdir(elsewhere)
    work(0.15)
    os.chdir(start)
os.makedirs("sub", exist_ok=True)
os.chdir("sub")
work(0.15)
print("cwd ends in", os.path.basename(os.getcwd()))
