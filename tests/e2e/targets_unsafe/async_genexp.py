"""A coroutine function that crunches numbers, gathered from a generator expression.

Wrapping crunch(i) in asyncio.to_thread there would hand a coroutine function to a thread (TypeError/unrun
coroutine), and `await` cannot go inside the generator expression.
"""

import asyncio


async def crunch(i):
    total = 0
    for r in range(400_000):
        total = (total + r * i) % 1_000_003
    return total


async def main():
    results = await asyncio.gather(*(crunch(i) for i in range(6)))  # unsafe: crunch is a coroutine function
    print(results)


if __name__ == "__main__":
    asyncio.run(main())
