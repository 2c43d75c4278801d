"""What a sampled stack means: which frames are the user's code, which are waits on a lock or on the event
loop, and which call a blocked frame is making. Results are cached per code object, so a sample costs a
few dictionary look-ups per frame.

Nothing here imports a module lazily: these functions run in the sampler thread, which must never import
while the target's own threads may be importing the same module (it would see it half-initialised).
"""

from __future__ import annotations

import dis
import os
import site
import sys

from gilscope.agent.calls import INNERMOST_LOCK_CALLS, QUEUE_CALLS, QUICK_BUILTINS, SYNC_PARTS, is_queue
from gilscope.agent.ftsafe import lookup

# Flags per code object.
USER = 1
SYNC = 2  # threading, queue, concurrent.futures, multiprocessing: waiting here is waiting on a lock
HANDLE_RUN = 4  # asyncio.events.Handle._run: the event loop is running one callback
SELECTOR = 8  # selectors.*.select: waiting for events
LOOP = (
    16  # an event loop or server loop (asyncio _run_once, socketserver serve_forever): idle when it selects
)
NO_LOOPS = 32  # the code has no backward jump: its instruction pointer going back means a new call

_GILSCOPE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


_LIBRARY: tuple[str, ...] = ()
_EXCLUDED: set[str] = set()  # files that are gilscope's although outside its package (its launcher)
_PROFILED_LIBRARY: tuple[
    str, ...
] = ()  # library code the user asked to profile (`-m gzip`): counts as theirs


def exclude_file(filename: str) -> None:
    """Never count this file as the user's: gilscope's console script, which `-m` runs sit under."""
    if filename:
        _EXCLUDED.add(os.path.realpath(filename))
        _USER_BY_FILE.clear()


def profile_library(path: str) -> None:
    """Count this library file or folder as the user's own code (the module a `-m` run profiles)."""
    global _PROFILED_LIBRARY
    real = os.path.realpath(path)
    _PROFILED_LIBRARY = (*_PROFILED_LIBRARY, real + os.sep if os.path.isdir(real) else real)
    _USER_BY_FILE.clear()


_RAW_LIBRARY: tuple[str, ...] = ()  # the same folders as given, before symlinks are resolved
_USER_BY_FILE: dict[str, bool] = {}


def library_folders() -> None:
    """Resolve the library folders now, where no thread competes for the GIL (the agent's start): resolving
    is a walk of lstat calls, each of which lets go of the GIL, and a sampler that lets go of it while threads
    run C code holding it waits tens of ms to get it back, each time."""
    global _LIBRARY, _RAW_LIBRARY
    if not _LIBRARY:
        folders = _library_folders_as_given()
        _LIBRARY = tuple({os.path.realpath(p) + os.sep for p in folders})
        _RAW_LIBRARY = tuple({os.path.normpath(p.rstrip(os.sep)) + os.sep for p in folders})
        # where the user's files most likely are
        for folder in {os.getcwd(), sys.path[0] if sys.path else ""}:
            if folder and os.path.isabs(folder):
                _resolved_folder(folder)


_REAL_FOLDERS: dict[str, str] = {}


def _resolved_folder(folder: str) -> str:
    real = _REAL_FOLDERS.get(folder)
    if real is None:
        real = _REAL_FOLDERS[folder] = os.path.realpath(folder)
    return real


def _resolved(filename: str) -> str:
    """realpath, with each folder resolved once (a file is seldom a symlink of its own; its folder may be)."""
    if not os.path.isabs(filename):
        return os.path.realpath(filename)
    folder, name = os.path.split(os.path.normpath(filename))
    return os.path.join(_resolved_folder(folder), name)


def _library_folders_as_given() -> list[str]:
    # Python frames come from .py files: the stdlib's folder and site-packages (sysconfig would cost ~2 ms)
    paths = [os.path.dirname(os.__file__), _GILSCOPE_DIR]
    try:
        paths.extend(site.getsitepackages())
        paths.append(site.getusersitepackages())
    except AttributeError:  # site-less interpreters (virtualenv's old site.py)
        pass
    return [p for p in paths if p]


def is_user_file(filename: str) -> bool:
    """The user's own code: not the stdlib, not site-packages, not frozen or generated, not gilscope. Decided
    once per file (the sampler asks for every new code object; see library_folders for why that matters)."""
    known = _USER_BY_FILE.get(filename)
    if known is None:
        known = _USER_BY_FILE[filename] = _is_user_file(filename)
    return known


def _is_user_file(filename: str) -> bool:
    if not filename or filename.startswith("<"):
        return False
    if _PROFILED_LIBRARY or _EXCLUDED:
        real = _resolved(filename)
        if real in _EXCLUDED:
            return False
        if any(real == p or (p.endswith(os.sep) and real.startswith(p)) for p in _PROFILED_LIBRARY):
            return True
    if "site-packages" in filename or "dist-packages" in filename:
        return False
    library_folders()
    if os.path.isabs(filename) and os.path.normpath(filename).startswith(_RAW_LIBRARY):
        return False  # under a library folder as given: no need to resolve symlinks (no system call)
    return not _resolved(filename).startswith(_LIBRARY)


def code_flags(code) -> int:
    filename = code.co_filename
    flags = USER if is_user_file(filename) else 0
    if not flags:
        norm = filename.replace("\\", "/")
        if any(part in norm for part in SYNC_PARTS):
            flags |= SYNC
        if code.co_name == "_run" and norm.endswith("asyncio/events.py"):
            flags |= HANDLE_RUN
        if code.co_name == "select" and norm.endswith("/selectors.py"):
            flags |= SELECTOR
        if (code.co_name == "_run_once" and norm.endswith("asyncio/base_events.py")) or (
            code.co_name == "serve_forever" and norm.endswith("/socketserver.py")
        ):
            flags |= LOOP
    if not _has_backward_jump(code):
        flags |= NO_LOOPS
    return flags


def qualname(code) -> str:
    return getattr(code, "co_qualname", code.co_name)


_BACKWARD = {
    "JUMP_BACKWARD",
    "JUMP_BACKWARD_NO_INTERRUPT",
    "JUMP_ABSOLUTE",
    "FOR_ITER",
    "POP_JUMP_BACKWARD_IF_TRUE",
    "POP_JUMP_BACKWARD_IF_FALSE",
    "POP_JUMP_BACKWARD_IF_NONE",
    "POP_JUMP_BACKWARD_IF_NOT_NONE",
}
_CALLS = {
    "CALL",
    "CALL_KW",
    "CALL_FUNCTION_EX",
    "CALL_FUNCTION",
    "CALL_FUNCTION_KW",
    "CALL_METHOD",
    "PRECALL",
}
_OPERATORS = {
    "BINARY_OP",
    "BINARY_MULTIPLY",
    "BINARY_POWER",
    "BINARY_LSHIFT",
    "BINARY_MODULO",
    "BINARY_FLOOR_DIVIDE",
    "BINARY_ADD",
    "INPLACE_MULTIPLY",
    "INPLACE_ADD",
    "INPLACE_POWER",
    "COMPARE_OP",
    "CONTAINS_OP",
    "BINARY_SUBSCR",
    "BINARY_SLICE",
}


def _has_backward_jump(code) -> bool:
    try:
        return any(ins.opname in _BACKWARD for ins in dis.get_instructions(code))
    except Exception:  # say "may loop": only a loop-free answer is acted on
        return True


_call_cache: dict = {}
_c_cache: dict = {}


def call_at(code, lasti: int) -> str:
    """The callable of the call instruction a frame is at ("zlib.compress", "fp.write"), or ""."""
    key = (code, lasti, None)
    hit = lookup(_c_cache, key)
    if hit is None:
        try:
            instructions = list(dis.get_instructions(code))
            here = next((i for i, ins in enumerate(instructions) if ins.offset == lasti), None)
            hit = ""
            if here is not None and instructions[here].opname in _CALLS:
                name = _callable_of(instructions, here)
                hit = called_name(code, lasti)[0] if name is None else name
        except Exception:  # exotic code objects say nothing
            hit = ""
        _c_cache[key] = hit
    return hit


def c_code_at(code, lasti: int, held_long: bool) -> str:
    """The C code a thread that held the GIL was running, from where it stopped: "json.dumps" when it stopped
    on a call (CPython checks for a GIL hand-over right after a C function returns; a Python callee would be a
    frame of its own), or, after an uninterrupted hold (`held_long`), the operator on that line ("operator *"
    for big integers). "" means Python bytecode."""
    key = (code, lasti, held_long)
    hit = lookup(_c_cache, key)
    if hit is None:
        hit = _c_cache[key] = _c_code_at(code, lasti, held_long)
        if len(_c_cache) > 50_000:
            _c_cache.clear()
    return hit


_NAME_LOADS = {
    "LOAD_GLOBAL",
    "LOAD_NAME",
    "LOAD_FAST",
    "LOAD_DEREF",
    "LOAD_FAST_CHECK",
    "LOAD_FAST_BORROW",
    "LOAD_CLASSDEREF",
}


def _callable_of(instructions, call_index: int) -> str | None:
    """The dotted name of what the CALL at `call_index` calls, by replaying the line's stack with
    dis.stack_effect: `zlib.compress` in `[zlib.compress(b) for b in blobs]`, `json.loads` in
    `json.loads(json.dumps(x))`. "" when the callable has no name (a call on a call's result, say), None
    when the line could not be replayed."""
    try:
        if call_index and instructions[call_index - 1].opname == "PRECALL":  # 3.11: PRECALL n; CALL n
            call_index -= 1
        start = call_index
        while start > 0 and instructions[start].starts_line in (None, False):
            start -= 1
        stack: list = []
        for ins in instructions[start:call_index]:
            name = None
            if ins.opname in _NAME_LOADS and not str(ins.argval).startswith("."):
                name = str(ins.argval)
            elif ins.opname in ("LOAD_ATTR", "LOAD_METHOD") and stack and stack[-1]:
                name = f"{stack[-1]}.{ins.argval}"
            effect = (
                dis.stack_effect(ins.opcode, ins.arg)
                if ins.opcode >= dis.HAVE_ARGUMENT
                else dis.stack_effect(ins.opcode)
            )
            if name is not None:
                if ins.opname in ("LOAD_ATTR", "LOAD_METHOD"):
                    stack.pop()
                    effect += 1
                pushed = [None] * (effect - 1) + [name] if effect > 0 else []
                stack.extend(pushed)
            elif effect > 0:
                stack.extend([None] * effect)
            else:  # an operation: its result (on top) is a value without a name
                if effect:
                    del stack[effect:]
                if stack and ins.opname not in ("NOP", "KW_NAMES", "EXTENDED_ARG"):
                    stack[-1] = None
        call = instructions[call_index]
        argc = call.arg or 0
        if call.opname == "CALL_FUNCTION_EX":
            argc = 1 + (call.arg or 0) & 1
        slots = stack[: len(stack) - argc] if argc else stack
        return next((n for n in reversed(slots[-2:]) if n), "")
    except (ValueError, IndexError, TypeError):
        return None


def _c_code_at(code, lasti: int, held_long: bool) -> str:
    try:
        instructions = list(dis.get_instructions(code))
    except Exception:
        return ""
    here = next((i for i, ins in enumerate(instructions) if ins.offset == lasti), None)
    if here is None:
        return ""
    if instructions[here].opname in _CALLS:
        name = _callable_of(instructions, here)
        if name is None:
            name = called_name(code, lasti)[0]
        if not held_long and name.rsplit(".", 1)[-1] in QUICK_BUILTINS:
            return ""  # a quick builtin the interpreter checks for a hand-over after: bytecode's time
        return name or "a C function"
    if not held_long:
        return ""
    line = 0
    for ins in reversed(instructions[: here + 1]):  # the call or operator this line ran last
        if ins.opname in _CALLS and ins.offset != lasti:
            at = instructions.index(ins)
            name = _callable_of(instructions, at)
            return (called_name(code, ins.offset)[0] if name is None else name) or "a C function"
        if ins.opname in _OPERATORS:
            return f"operator {ins.argrepr}".strip() if ins.argrepr else ins.opname.lower()
        start = getattr(ins, "line_number", None) if isinstance(ins.starts_line, bool) else ins.starts_line
        if ins.starts_line not in (None, False):
            line = start or 0
            break
    return f"C code before line {line}" if line else "C code"


def called_name(code, lasti: int) -> tuple[str, bool]:
    """The dotted name a frame is calling at instruction `lasti` (e.g. "time.sleep", "lock.acquire"),
    and whether that call waits on a lock. Best effort: ("", False) when the bytecode says nothing."""
    key = (code, lasti)
    hit = lookup(_call_cache, key)
    if hit is None:
        hit = _call_cache[key] = _called_name(code, lasti)
        if len(_call_cache) > 50_000:
            _call_cache.clear()
    return hit


# Instructions that push a name's value. 3.13 added the LOAD_FAST_LOAD_FAST pair (argval a tuple of both names),
# 3.14 the borrowed-reference LOAD_FAST_BORROW and its pair.
_LOADS = {
    "LOAD_GLOBAL",
    "LOAD_NAME",
    "LOAD_FAST",
    "LOAD_DEREF",
    "LOAD_FAST_CHECK",
    "LOAD_FAST_LOAD_FAST",
    "LOAD_FAST_BORROW",
    "LOAD_FAST_BORROW_LOAD_FAST_BORROW",
}


def _is_enter(ins) -> bool:
    """3.14+'s LOAD_SPECIAL of __enter__ (its argval is an index; argrepr names the method)."""
    return ins.opname == "LOAD_SPECIAL" and ins.argrepr == "__enter__"


def _called_name(code, lasti: int) -> tuple[str, bool]:
    try:
        instructions = list(dis.get_instructions(code))
    except Exception:  # malformed or exotic code objects say nothing
        return "", False
    line_start = 0
    names: list[str] = []
    for index, ins in enumerate(instructions):
        if ins.offset > lasti:
            break
        if ins.starts_line is not None and ins.starts_line is not False:
            line_start, names = index, []
        if ins.offset == lasti and (
            ins.opname in ("BEFORE_WITH", "SETUP_WITH")
            or (ins.opname == "CALL" and index and _is_enter(instructions[index - 1]))
        ):
            # `with x:` waiting in x.__enter__: BEFORE_WITH up to 3.13; from 3.14 LOAD_SPECIAL __enter__ and the
            # CALL that f_lasti points at while the thread waits.
            return (names[-1] if names else "with"), True
        if ins.opname in _LOADS:
            names.extend(str(v) for v in (ins.argval if isinstance(ins.argval, tuple) else (ins.argval,)))
        elif ins.opname in ("LOAD_ATTR", "LOAD_METHOD") and names:
            names[-1] = f"{names[-1]}.{ins.argval}"
    del line_start
    for name in names:
        receiver, _, attr = name.rpartition(".")
        if attr in INNERMOST_LOCK_CALLS or (attr in QUEUE_CALLS and is_queue(receiver)):
            return name, True
    return (names[0] if names else ""), False
