"""Fetches pages from a slow service one after another; each fetch is a wait, simulated by time.sleep.

The process is idle nearly all the time: wall time is the sum of the waits.
Expected: hotspot fetch_page -> io; advice threads or asyncio (overlap the waits, see
after/io_sleep.py).
"""
import time


def fetch_page(i):
    time.sleep(0.04)                  # stands for a slow HTTP request
    return (i * 7919) % 1000


def crawl(n):
    return [fetch_page(i) for i in range(n)]


if __name__ == "__main__":
    pages = crawl(30)
    print(len(pages), sum(pages))
