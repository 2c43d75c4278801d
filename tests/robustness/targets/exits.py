"""`exits.py sys N` calls sys.exit(N); `exits.py os N` calls os._exit(N) (no atexit, no flush)."""

import os
import sys

how, code = sys.argv[1], int(sys.argv[2])
if how == "os":
    os._exit(code)
sys.exit(code)
