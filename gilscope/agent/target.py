"""Run the target script or module the way `python` itself would: same __name__, sys.argv, sys.path[0],
cwd, stdin and stdout, same traceback on an uncaught exception, same exit status."""

from __future__ import annotations

import os
import sys
import types

_AGENT_DIR = os.path.dirname(os.path.abspath(__file__))


class _NotCompiled(Exception):
    """The script itself has a SyntaxError (already printed as python prints it): status 1."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


def run(argv: list[str], collector=None) -> tuple[int, str | None]:
    """Run `SCRIPT ARGS...` or `-m MODULE ARGS...`. Returns (exit status, exception type name or None)."""
    try:
        if argv[0] == "-m":
            _run_module(argv[1], argv[2:])
        else:
            _run_script(argv[0], argv[1:])
    except _NotCompiled as exc:
        return 1, exc.kind
    except SystemExit as exc:
        return _exit_status(exc), None
    except KeyboardInterrupt:
        _print_exception(*sys.exc_info())
        return 130, "KeyboardInterrupt"
    except BaseException:  # the target's own failure, reported the way Python reports it
        etype, value, tb = sys.exc_info()
        _print_exception(etype, value, tb)
        return 1, etype.__name__ if etype is not None else None
    return 0, None


def _run_script(path: str, args: list[str]) -> None:
    sys.argv = [path, *args]
    if os.path.isdir(path) or not path.endswith((".py", ".pyw")) and _is_zip(path):
        sys.path[0] = path
        import runpy

        runpy.run_path(path, run_name="__main__")
        return
    sys.path[0] = os.path.dirname(os.path.realpath(path))
    with open(path, "rb") as fh:  # io.open_code semantics: bytes, so coding cookies are honoured
        source = fh.read()
    try:
        code = compile(source, os.path.abspath(path), "exec", dont_inherit=True)
    except SyntaxError as exc:
        import traceback

        sys.stderr.write("".join(traceback.format_exception_only(type(exc), exc)))
        raise _NotCompiled(type(exc).__name__) from None
    if getattr(sys, "_is_gil_enabled", None) is not None:
        # Free-threaded builds: `python script.py` makes the script's constants immortal and compile() does not
        # (marshal.loads does). A mortal constant's reference count is shared by every thread running the code,
        # updated atomically: examples/gil_threads.py's four threads used 2-4x the CPU time on 3.13t.
        import marshal

        code = marshal.loads(marshal.dumps(code))
    main = types.ModuleType("__main__")
    main.__file__ = os.path.abspath(path)
    main.__cached__ = None
    main.__spec__ = None
    main.__loader__ = None
    main.__builtins__ = __builtins__
    sys.modules["__main__"] = main
    exec(code, main.__dict__)  # this *is* running the user's program, as `python` does


def _run_module(name: str, args: list[str]) -> None:
    import runpy

    sys.argv = [name, *args]  # runpy replaces argv[0] with the module's path, as `python -m` does
    sys.path[0] = os.getcwd()
    _profile_if_library(name)
    runpy._run_module_as_main(name, alter_argv=True)  # exactly what `python -m` calls


LIBRARY_MODULE_NOTE = (
    "`-m {name}` runs library code ({where}): its own functions are the hotspots, with the "
    "time in what they call charged to them"
)


def _profile_if_library(name: str) -> None:
    """`-m gzip` profiles the standard library's gzip: count that module (its whole top-level package, for
    `-m json.tool`) as the user's code, or no hotspot would be found."""
    from gilscope.agent import stacks

    try:
        import importlib.util

        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError, AttributeError):
        return  # runpy reports it as python would
    origin = getattr(spec, "origin", None) if spec is not None else None
    if not origin or not os.path.isfile(origin) or stacks.is_user_file(origin):
        return
    top = importlib.util.find_spec(name.split(".")[0])
    locations = list(getattr(top, "submodule_search_locations", None) or [])
    where = locations[0] if locations else origin
    stacks.profile_library(where)
    NOTES.append(LIBRARY_MODULE_NOTE.format(name=name, where=where))


NOTES: list = []


def _is_zip(path: str) -> bool:
    import zipfile

    return os.path.isfile(path) and zipfile.is_zipfile(path)


def _exit_status(exc: SystemExit) -> int:
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF if code >= 0 else code & 0xFF
    sys.stderr.write(f"{code}\n")
    return 1


def _print_exception(etype, value, tb) -> None:
    """The traceback as Python prints it: without gilscope's own frames, through sys.excepthook."""
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(_AGENT_DIR):
        tb = tb.tb_next
    if value is not None:
        value.__traceback__ = tb  # the default hook prints value.__traceback__, not its tb argument
    try:
        sys.excepthook(etype, value, tb)
    except Exception:  # a broken user hook must not hide the original error
        import traceback

        traceback.print_exception(etype, value, tb)
