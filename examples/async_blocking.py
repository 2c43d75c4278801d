"""Coroutines that block the event loop: one calls time.sleep, another runs a long CPU loop.

fetch_user() sleeps with time.sleep instead of awaiting asyncio.sleep, so the twenty
"concurrent" fetches run one after another; build_report() crunches numbers inside a
coroutine, so nothing else on the loop can run meanwhile.
Expected: hotspot fetch_user -> io, advice offload or asyncio (await asyncio.sleep, see
after/async_blocking.py); hotspot build_report -> cpu, advice offload (run_in_executor
with a process pool) or multiprocessing.
"""
import asyncio
import time


async def fetch_user(i):
    time.sleep(0.04)                  # blocks the whole event loop
    return {"id": i, "score": (i * 37) % 101}


async def build_report(users, rounds=4_000_000):
    total = 0
    for r in range(rounds):           # CPU work on the event loop thread
        total = (total + users[r % len(users)]["score"] * r) % 1_000_000_007
    return total


async def main():
    users = await asyncio.gather(*(fetch_user(i) for i in range(20)))
    report = await build_report(users)
    print(len(users), report)


if __name__ == "__main__":
    asyncio.run(main())
