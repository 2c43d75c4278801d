"""The console entry point: small, so that it costs nothing to compile (it is imported before gilscope can
cache its own bytecode). `gilscope profile` starts the target early (gilscope/cli/early.py) and, for that
plain command line, runs the profile command without importing typer; any other command line goes to typer."""

import sys


def main() -> None:
    from gilscope import cache_own_bytecode

    cache_own_bytecode()  # this process never runs user code; the agent gives the target the user's setting
    from gilscope.cli.args import split_profile_args
    from gilscope.cli.early import start_early

    argv = split_profile_args(sys.argv[1:])
    early = start_early(argv)
    if early is not None and early.started is not None:  # parsed and checked: typer would find the same
        from gilscope.cli.profile import run_command

        _exit_now(run_command(early.given, early))
    from gilscope.cli.app import app

    try:
        app(args=argv, prog_name="gilscope", obj=early)  # the config already resolved, if it was
    except SystemExit as done:
        _exit_now(done.code)
    _exit_now(0)


def _exit_now(code) -> None:
    """Exit without tearing the interpreter down (ms to tens of ms with gilscope's modules loaded, paid after
    the target has ended). Every report was written, synced and closed before this point."""
    import os

    if code is None:
        code = 0
    elif not isinstance(code, int):
        sys.stderr.write(f"{code}\n")
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # stdout closed or gone: nothing left to flush
        pass
    os._exit(code & 0xFF)


if __name__ == "__main__":
    main()
