"""A threaded HTTP load client for benchmarks/realworld.py (loopback only, bounded in count and time).

    python http_load.py PORT [--threads 8] [--requests 150] [--max-seconds 20] [--path /blob.bin]

Each of --threads threads makes --requests GET requests to http://127.0.0.1:PORT/PATH, one connection per
request (http.server answers HTTP/1.0), and reads the whole body. It refuses any host but 127.0.0.1. If the
whole run passes --max-seconds, the remaining requests are skipped and it exits 1. Prints the request count
and total bytes, which are the same on every run against the same file.
"""
import argparse
import http.client
import sys
import time
from concurrent.futures import ThreadPoolExecutor

HOST = "127.0.0.1"


def fetch(port, path, deadline):
    if time.monotonic() > deadline:
        return None
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        body = resp.read()
        return resp.status, len(body)
    finally:
        conn.close()


def worker(port, path, count, deadline):
    done, nbytes = 0, 0
    for _ in range(count):
        got = fetch(port, path, deadline)
        if got is None:
            break
        status, size = got
        if status == 200:
            done += 1
            nbytes += size
    return done, nbytes


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--requests", type=int, default=150)
    ap.add_argument("--max-seconds", type=float, default=20.0)
    ap.add_argument("--path", default="/blob.bin")
    ns = ap.parse_args(argv)
    deadline = time.monotonic() + ns.max_seconds
    with ThreadPoolExecutor(max_workers=ns.threads) as pool:
        results = list(pool.map(lambda _: worker(ns.port, ns.path, ns.requests, deadline), range(ns.threads)))
    done = sum(r[0] for r in results)
    nbytes = sum(r[1] for r in results)
    print(f"requests {done} bytes {nbytes}")
    if done < ns.threads * ns.requests:
        print(f"stopped early: {done} of {ns.threads * ns.requests} requests", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
