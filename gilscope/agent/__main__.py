"""Runs the target exactly as `python SCRIPT ARGS` or `python -m MODULE ARGS` would, under a collector.

Invoked by `gilscope profile` as `python -m gilscope.agent` with the settings in $GILSCOPE_AGENT (JSON) and the
target's own command line after it. Writes the collected data to the file the settings name, whatever way the
target ends: return, exception, sys.exit, os._exit, SIGTERM, exec.
"""

from __future__ import annotations

import os
import sys

from gilscope import cache_own_bytecode, restore_bytecode_setting


def run_agent(argv: list[str]) -> int:
    cache_own_bytecode()  # the collector's modules, imported by start()
    from gilscope.agent import stacks

    stacks.exclude_file(sys.argv[0])  # gilscope's console script: `-m` runs start under it
    try:
        from gilscope.agent.session import Session, settings_from_env

        session = Session(settings_from_env(), argv)
        session.start()
    finally:
        restore_bytecode_setting()
    _leave_sys_path()
    return session.run_target()


def _leave_sys_path() -> None:
    """Under --python the agent came from a folder of its own on PYTHONPATH: the target's sys.path does not keep
    it (the agent's later imports go through its package, not sys.path)."""
    agent_path = os.environ.get("GILSCOPE_AGENT_PATH")
    if agent_path:
        sys.path[:] = [p for p in sys.path if not p or os.path.abspath(p) != os.path.abspath(agent_path)]


def main() -> None:
    sys.exit(run_agent(sys.argv[1:]))


if __name__ == "__main__":
    if "GILSCOPE_AGENT" not in os.environ:
        sys.stderr.write("gilscope.agent is started by `gilscope profile`; run that instead.\n")
        sys.exit(2)
    main()
