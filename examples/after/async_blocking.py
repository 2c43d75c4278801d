"""After-version of async_blocking.py: time.sleep in the coroutine replaced by await asyncio.sleep.

Same output; the twenty fetches now wait at the same time. build_report() is unchanged.
"""
import asyncio


async def fetch_user(i):
    await asyncio.sleep(0.04)         # yields to the event loop while waiting
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
