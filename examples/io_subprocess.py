"""Runs a slow external command several times in a row and waits for each to finish.

Each job is a child Python process that sleeps 0.2 s and prints its number; the parent
only waits on the pipe and on the child's exit.
Expected: hotspot run_job -> io; advice threads or asyncio (start the jobs together).
"""
import subprocess
import sys

JOB = "import sys, time; time.sleep(0.2); print('job', sys.argv[1])"


def run_job(i):
    done = subprocess.run([sys.executable, "-c", JOB, str(i)],
                          capture_output=True, text=True, check=True)
    return done.stdout.strip()


def run_all(n):
    return [run_job(i) for i in range(n)]


if __name__ == "__main__":
    for line in run_all(5):
        print(line)
