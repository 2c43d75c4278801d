"""Says "ready" once it runs, then sleeps for 30 minutes (to be interrupted or timed out).
With `--ignore-sigterm` it ignores SIGTERM first, so only a SIGKILL stops it."""

import signal
import sys
import time

if "--ignore-sigterm" in sys.argv:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("ready", flush=True)
time.sleep(1800)
