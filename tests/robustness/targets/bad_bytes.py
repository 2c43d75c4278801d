"""Writes bytes that are not UTF-8 to stdout and stderr, and echoes its (non-UTF-8) arguments as bytes."""

import sys

from busy import work

sys.stdout.buffer.write(b"not utf-8: \xff\xfe\x80\n")
sys.stdout.flush()
sys.stderr.buffer.write(b"also on stderr: \xc3\x28\n")
sys.stderr.flush()
work()
print("args:", [a.encode("utf-8", "surrogateescape") for a in sys.argv[1:]], flush=True)
