"""Every classification threshold, in one place."""

DOMINANT = 0.6  # a state with this share of a hotspot's time names its kind
GIL_WITH_CPU = 0.3  # cpu+gil dominate and gil has at least this share: threads queue for the GIL -> gil
NATIVE_OF_RUNNING = 0.65  # native's share of the running time above which running time counts as native:
# a thread that releases the GIL often for short calls (a write per chunk) is found
# between them about half the time, so half is not yet "C code that releases the GIL"
MIN_SHARE = 0.02  # hotspots below this share of the run are not listed
MAX_HOTSPOTS = 25
# A short run: the report says its shares are rough (a caveat), and no advice about its hotspots is more than
# info (engine/triage.py). rules/meta/GS901 says the same from the samples fact.
SHORT_RUN_S = 0.2
SHORT_RUN_SAMPLES = 100
CORE_WAIT_SHOWN = 0.05  # a hotspot's run-queue wait (of its wall time) shown as evidence from this share
CONFIDENT_SAMPLES = 50  # samples behind a hotspot for "high" confidence
SOME_SAMPLES = 10  # ... for "medium"
# Threads and the machine (threads.py, facts.py)
WORKING = 0.3  # a thread with work: running, or held up by the GIL or a shared object, this share of its life
HELD_BACK = 0.8  # threads with work used under this share of the cores they could: something held them back
BUSY_CORE_WAIT = 0.4  # threads waited this share of their runnable time for a core ...
BUSY_OTHER_LOAD = (
    0.25  # ... while other processes used this share of the machine or more: the machine was busy
)
IN_EVENT_LOOP = 0.5  # a hotspot ran inside an event loop's callbacks for this share of its time
POOL_WAIT = 0.5  # the main process's hotspot waits on a lock this share of its time while workers run
