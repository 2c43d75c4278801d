"""After-version of io_sleep.py: the waits overlap in a thread pool.

Same output; sleeping (like a socket read) releases the GIL, so ten threads wait at once.
"""
import time
from concurrent.futures import ThreadPoolExecutor


def fetch_page(i):
    time.sleep(0.04)                  # stands for a slow HTTP request
    return (i * 7919) % 1000


def crawl(n):
    with ThreadPoolExecutor(max_workers=10) as pool:
        return list(pool.map(fetch_page, range(n)))


if __name__ == "__main__":
    pages = crawl(30)
    print(len(pages), sum(pages))
