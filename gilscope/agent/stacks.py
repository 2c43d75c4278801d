"""What a sampled stack means: which frames are the user's code, which are waits on a lock or on the event
loop, and which call a blocked frame is making. Results are cached per code object, so a sample costs a
few dictionary look-ups per frame.

Nothing here imports a module lazily: these functions run in the sampler thread, which must never import
while the target's own threads may be importing the same module (it would see it half-initialised).
"""
import dis
import os
import site

# Flags per code object.
USER = 1
SYNC = 2          # threading, queue, concurrent.futures, multiprocessing: waiting here is waiting on a lock
HANDLE_RUN = 4    # asyncio.events.Handle._run: the event loop is running one callback
SELECTOR = 8      # selectors.*.select: waiting for events
LOOP = 16         # an event loop or server loop (asyncio _run_once, socketserver serve_forever): idle when it selects

_SYNC_PARTS = ("/threading.py", "/queue.py", "/concurrent/futures/", "/multiprocessing/", "/asyncio/locks.py")
_LOCK_CALLS = {"acquire", "join", "wait", "wait_for", "get", "put", "result", "__enter__", "as_completed"}
_GILSCOPE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _library_prefixes() -> tuple[str, ...]:
    # Python frames come from .py files: the stdlib's folder and site-packages (sysconfig would cost ~2 ms)
    paths = {os.path.dirname(os.__file__)}
    try:
        paths.update(site.getsitepackages())
        paths.add(site.getusersitepackages())
    except AttributeError:   # site-less interpreters (virtualenv's old site.py)
        pass
    paths.add(_GILSCOPE_DIR)
    return tuple(os.path.realpath(p) + os.sep for p in paths if p)


_LIBRARY: tuple[str, ...] = ()


def is_user_file(filename: str) -> bool:
    """The user's own code: not the stdlib, not site-packages, not frozen or generated, not gilscope."""
    global _LIBRARY
    if not filename or filename.startswith("<"):
        return False
    if "site-packages" in filename or "dist-packages" in filename:
        return False
    if not _LIBRARY:   # computed on first use, in the sampler thread, off the target's start-up path (no imports)
        _LIBRARY = _library_prefixes()
    real = os.path.realpath(filename)
    return not real.startswith(_LIBRARY)


def code_flags(code) -> int:
    filename = code.co_filename
    flags = USER if is_user_file(filename) else 0
    if not flags:
        norm = filename.replace("\\", "/")
        if any(part in norm for part in _SYNC_PARTS):
            flags |= SYNC
        if code.co_name == "_run" and norm.endswith("asyncio/events.py"):
            flags |= HANDLE_RUN
        if code.co_name == "select" and norm.endswith("/selectors.py"):
            flags |= SELECTOR
        if (code.co_name == "_run_once" and norm.endswith("asyncio/base_events.py")) or (
                code.co_name == "serve_forever" and norm.endswith("/socketserver.py")):
            flags |= LOOP
    return flags


def qualname(code) -> str:
    return getattr(code, "co_qualname", code.co_name)


_call_cache: dict = {}


def called_name(code, lasti: int) -> tuple[str, bool]:
    """The dotted name a frame is calling at instruction `lasti` (e.g. "time.sleep", "lock.acquire"),
    and whether that call waits on a lock. Best effort: ("", False) when the bytecode says nothing."""
    key = (code, lasti)
    hit = _call_cache.get(key)
    if hit is None:
        hit = _call_cache[key] = _called_name(code, lasti)
        if len(_call_cache) > 50_000:
            _call_cache.clear()
    return hit


def _called_name(code, lasti: int) -> tuple[str, bool]:
    try:
        instructions = list(dis.get_instructions(code))
    except Exception:  # noqa: BLE001 - malformed or exotic code objects say nothing
        return "", False
    line_start = 0
    names: list[str] = []
    for index, ins in enumerate(instructions):
        if ins.offset > lasti:
            break
        if ins.starts_line is not None and ins.starts_line is not False:
            line_start, names = index, []
        if ins.opname in ("BEFORE_WITH", "SETUP_WITH") and ins.offset == lasti:
            return (names[-1] if names else "with"), True
        if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME", "LOAD_FAST", "LOAD_DEREF", "LOAD_FAST_CHECK"):
            names.append(str(ins.argval))
        elif ins.opname in ("LOAD_ATTR", "LOAD_METHOD") and names:
            names[-1] = f"{names[-1]}.{ins.argval}"
    del line_start
    for name in names:
        if name.rsplit(".", 1)[-1] in _LOCK_CALLS:
            return name, True
    return (names[0] if names else ""), False
