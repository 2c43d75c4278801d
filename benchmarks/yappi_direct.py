"""Runs a script under yappi directly, with no gilscope: the baseline for the yappi engine's overhead.

    python benchmarks/yappi_direct.py [--clock cpu|wall] [--builtins] script.py [args...]

yappi.start(), runpy.run_path(script, run_name="__main__"), yappi.stop(), then the function and
thread stats are read (and dropped), as a profiler has to. The script's exit status is kept.
"""

import argparse
import os
import runpy
import sys

import yappi


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--clock", choices=["cpu", "wall"], default="cpu", help="yappi clock type (default: cpu)"
    )
    parser.add_argument("--builtins", action="store_true", help="profile built-in functions too")
    parser.add_argument("script")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    ns = parser.parse_args()

    sys.argv = [ns.script, *ns.args]
    sys.path[0] = os.path.dirname(os.path.abspath(ns.script))
    yappi.set_clock_type(ns.clock)
    yappi.start(builtins=ns.builtins, profile_threads=True)
    try:
        runpy.run_path(ns.script, run_name="__main__")
    finally:
        yappi.stop()
        yappi.get_func_stats()
        yappi.get_thread_stats()


if __name__ == "__main__":
    main()
