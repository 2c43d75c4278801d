"""Where gilscope's own options end and the target's command line begins (stdlib only: used before typer).

The profile options that take a value (from the option table) say where SCRIPT starts: everything after it is
the script's."""

from gilscope.cli.options import VALUE_OPTIONS


def split_profile_args(argv: list[str]) -> list[str]:
    """Insert `--` where the target's command line starts, so that no option after SCRIPT (or after
    `-m MODULE`) is taken for gilscope's own."""
    if "profile" not in argv:
        return argv
    start = argv.index("profile") + 1
    i = start
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            return argv
        if arg in ("-m", "--module"):
            return argv[:i] + ["--", "-m"] + argv[i + 1 :]
        if arg.startswith("-") and arg != "-":
            i += 2 if (arg in VALUE_OPTIONS and "=" not in arg) else 1
            continue
        return argv[:i] + ["--"] + argv[i:]
    return argv
