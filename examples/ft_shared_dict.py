"""Four threads count words into one shared dict (free-threaded builds: GS303 and GS304).

Without a GIL the threads run at once, and they all update `counts`: they take turns on the dict and on the
counts in it, thousands of times a second; and their update of `counts[word]` reads it and writes it back
with no lock, so updates are lost (stderr says how many). examples/after/ft_shared_dict.py gives each thread a
dict of its own: 15x faster on 3.13t, and no update lost. With the GIL, the threads take turns for the GIL,
and still lose a few updates now and then: the GIL, too, can switch threads inside that statement.
"""

import random
import sys
import threading

WORDS_PER_THREAD = 50_000
THREADS = 4

counts = {}
start = threading.Barrier(THREADS)  # all threads count at once, as the threads of a busy program would


def count(words):
    start.wait()
    for word in words:
        counts[word] = counts.get(word, 0) + 1


def main():
    rng = random.Random(1)
    words = [f"w{rng.randrange(200)}" for _ in range(WORDS_PER_THREAD * THREADS)]
    chunks = [words[i::THREADS] for i in range(THREADS)]
    workers = [threading.Thread(target=count, args=(chunk,)) for chunk in chunks]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print(f"{len(counts)} distinct words")
    lost = len(words) - sum(counts.values())
    print(f"counted {len(words) - lost} of {len(words)} words ({lost} updates lost)", file=sys.stderr)


if __name__ == "__main__":
    main()
