"""Works a little, then replaces itself with a plain Python child that exits 0."""

import os
import sys

from busy import work

work()
sys.stdout.flush()
os.execv(sys.executable, [sys.executable, "-c", "print('exec child ran')"])
