"""Runs the target exactly as `python SCRIPT ARGS` or `python -m MODULE ARGS` would, under a collector.

Invoked by `gilscope profile` as `python -m gilscope.agent` with the settings in $GILSCOPE_AGENT (JSON) and the
target's own command line after it. Writes the collected data to the file the settings name, whatever way the
target ends: return, exception, sys.exit, os._exit, SIGTERM, exec.
"""
import os
import sys

from gilscope.agent.session import Session, settings_from_env


def main() -> None:
    settings = settings_from_env()
    argv = sys.argv[1:]
    session = Session(settings, argv)
    session.start()
    code = session.run_target()
    sys.exit(code)


if __name__ == "__main__":
    if "GILSCOPE_AGENT" not in os.environ:
        sys.stderr.write("gilscope.agent is started by `gilscope profile`; run that instead.\n")
        sys.exit(2)
    main()
