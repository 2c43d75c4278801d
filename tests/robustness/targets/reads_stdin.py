"""Reads all of stdin, works, and says how many lines and bytes it read."""

import sys

from busy import work

data = sys.stdin.buffer.read()
work()
lines = data.count(b"\n")
print(f"read {lines} lines, {len(data)} bytes", flush=True)
