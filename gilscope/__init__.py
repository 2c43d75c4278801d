"""gilscope: is it the CPU, the I/O or the GIL? Profiles a script and says what to change."""

import sys

__version__ = "0.1.0"

# As this Python started: -B or PYTHONDONTWRITEBYTECODE. gilscope caches the bytecode of its own modules even
# so (compiling them on every run would cost ~40 ms a run), and gives the target this setting back untouched.
DONT_WRITE_BYTECODE = sys.dont_write_bytecode


def cache_own_bytecode() -> None:
    sys.dont_write_bytecode = False


def restore_bytecode_setting() -> None:
    sys.dont_write_bytecode = DONT_WRITE_BYTECODE
