"""Closes stdout (the Python object and fd 1), then keeps working."""

import os
import sys

from busy import work

print("before close", flush=True)
sys.stdout.close()
os.close(1)
work()
sys.stderr.write("still running\n")
