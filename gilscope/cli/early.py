"""`gilscope profile` starts the target before typer, rich and pydantic are imported, so their import overlaps
the target's run instead of adding to it. Only a plain command line whose options are all understood here is
started early; anything else (and every error) is left to the typer command."""
_FLAGS = {"-q", "--quiet", "-v", "--verbose", "--threads"}   # terminal-summary flags: read again by typer


def _early_options(argv: list[str]) -> dict | None:
    """Options of a plain `profile ... -- TARGET` command line, or None to leave everything to typer."""
    from gilscope.cli.args import VALUE_OPTIONS
    if not argv or argv[0] != "profile" or "--" not in argv:
        return None
    split = argv.index("--")
    opts: dict[str, str] = {}
    i = 1
    while i < split:
        arg = argv[i]
        name, eq, value = arg.partition("=")
        if name in VALUE_OPTIONS:
            if not eq:
                if i + 1 >= split:
                    return None
                value = argv[i + 1]
                i += 1
            if name in ("--rules", "--config", "--baseline", "--python"):   # validated before anything runs
                return None
            opts[name] = value
        elif arg not in _FLAGS:
            return None                           # --help or something typer must judge
        i += 1
    return {"options": opts, "target": argv[split + 1:]}


def start_early(argv: list[str]) -> None:
    parsed = _early_options(argv)
    if parsed is None or not parsed["target"]:
        return
    opts = parsed["options"]
    try:
        interval_s = float(opts["--interval"]) / 1000.0 if "--interval" in opts else None
        limit = opts.get("--timeout", opts.get("--duration"))
        timeout_s = float(limit) if limit is not None else None
    except ValueError:
        return
    from pathlib import Path

    from gilscope.cli.config import resolve_profile
    from gilscope.errors import GilscopeError
    from gilscope.cli.profile import ProfileOptions, check_outputs, check_target
    outputs = {k: Path(opts[f"--{f}"]) for k, f in (("json", "json"), ("md", "markdown"), ("html", "html"),
                                                      ("sarif", "sarif"), ("speedscope", "speedscope"))
               if f"--{f}" in opts}
    options = ProfileOptions(target=parsed["target"], outputs=outputs, engine=opts.get("--engine"),
                             interval_s=interval_s, fail_on=opts.get("--fail-on"), timeout_s=timeout_s,
                             stop_is_timeout="--timeout" in opts)
    try:
        # [tool.gilscope] fills what the command line left unset, exactly as run_profile will (cheap without one)
        options = resolve_profile(options)
        check_target(options.target)
        check_outputs(options.outputs)
    except GilscopeError:
        return                                    # the full parse reports it
    from gilscope.formats import Engine
    if (options.engine not in (Engine.auto, Engine.sampler, Engine.cprofile, Engine.yappi) or options.rule_dirs
            or options.python      # [tool.gilscope] python: checked, then started under that interpreter
            or options.baseline
            or options.fail_on not in (None, "info", "warning", "error", "never")
            or not 0.0005 <= options.interval_s <= 1.0
            or (options.timeout_s is not None and options.timeout_s < 0.01)):
        return                  # typer judges these; user rules and a baseline are validated before anything runs
    from gilscope.collect import launch
    launch.EARLY = launch.start(launch.Launch(argv=options.target, engine=options.engine,
                                              interval_s=options.interval_s, timeout_s=options.timeout_s),
                                fork=True)   # nothing heavy is imported yet and no thread runs: a fork is safe
    _pass_signals_on(launch.EARLY.proc)


def _pass_signals_on(proc) -> None:
    """Until launch.wait takes over, a SIGINT/SIGTERM sent to gilscope goes on to the running target
    (which records it in its data) instead of killing gilscope in the middle of its imports."""
    from gilscope.collect import launch
    launch.relay_signals(proc)
