"""What a call waits for, by its name: the one table of call names and library paths, shared by the sampler
(agent/sampler.py, agent/stacks.py), the deterministic engines (agent/callgraph.py) and the py-spy parser
(collect/pyspy_parse.py). Stdlib only: it runs inside the target.
"""

from __future__ import annotations

import re

# Library files whose frames wait on a lock: threading, queue, concurrent.futures, multiprocessing
SYNC_PARTS = ("/threading.py", "/queue.py", "/concurrent/futures/", "/multiprocessing/", "/asyncio/locks.py")
# ... and whose frames wait on I/O (py-spy's stacks, which carry no OS state)
IO_FILES = ("/selectors.py", "/socket.py", "/ssl.py", "/subprocess.py", "/http/", "/urllib/", "/asyncio/")

# A call by name (an attribute as written, or a C function's label): what it waits for
IO_CALLS = {
    "sleep",
    "recv",
    "recv_into",
    "recvfrom",
    "recvfrom_into",
    "recvmsg",
    "send",
    "sendall",
    "sendto",
    "sendmsg",
    "sendfile",
    "read",
    "readinto",
    "readline",
    "readlines",
    "readall",
    "write",
    "flush",
    "accept",
    "connect",
    "connect_ex",
    "select",
    "poll",
    "control",
    "waitpid",
    "wait3",
    "wait4",
    "waitid",
    "communicate",
    "getaddrinfo",
    "gethostbyname",
    "getresponse",
    "urlopen",
    "fsync",
    "input",
    "_recv",
    "_recv_bytes",
    "do_handshake",
}

LOCK_WAIT_CALLS = {"acquire", "join", "wait", "wait_for", "result", "as_completed", "_wait_for_tstate_lock"}
NATIVE_MODULES = {
    "zlib",
    "hashlib",
    "bz2",
    "lzma",
    "md5",
    "sha1",
    "sha256",
    "sha512",
    "sha3",
    "blake2",
    "numpy",
    "scipy",
}

# C modules as users import them
MODULE_ALIASES = {"posix": "os", "_socket": "socket", "_thread": "thread"}

# Calls that wait on a lock when the innermost frame makes them. Only C calls are made there (a Python-level call
# has its own frame): lock.acquire and __enter__, and a C queue's get/put (SimpleQueue). Thread.join, Event.wait,
# Queue.get and Future.result run in threading/queue code (SYNC frames); a C "get" or "join" is dict.get, str.join.
INNERMOST_LOCK_CALLS = {"acquire", "__enter__", "acquire_lock"}
QUEUE_CALLS = {"get", "put", "get_nowait", "put_nowait"}

# Builtins too quick to hold the GIL for long: stopping right after one says little about where time went.
QUICK_BUILTINS = {
    "len",
    "isinstance",
    "issubclass",
    "range",
    "enumerate",
    "zip",
    "iter",
    "next",
    "min",
    "max",
    "abs",
    "int",
    "float",
    "str",
    "bool",
    "repr",
    "hash",
    "id",
    "ord",
    "chr",
    "round",
    "divmod",
    "getattr",
    "setattr",
    "hasattr",
    "append",
    "pop",
    "get",
    "items",
    "keys",
    "values",
    "add",
    "time",
    "perf_counter",
    "monotonic",
    "thread_time",
    "process_time",
    "perf_counter_ns",
    "time_ns",
    "monotonic_ns",
    "startswith",
    "endswith",
    "isdigit",
    "lower",
    "upper",
    "strip",
    "type",
    "tuple",
    "list",
    "dict",
    "set",
    "frozenset",
    "sum",
    "any",
    "all",
    "sorted",
    "reversed",
    "callable",
    "super",
    "format",
    "encode",
    "decode",
    "update",
    "extend",
    "insert",
    "remove",
    "index",
    "count",
    "copy",
    "sleep",
}

# py-spy: builtins and methods that run holding the GIL (a user line calling only these is Python work)
HOLDS_GIL = {
    "range",
    "len",
    "int",
    "float",
    "str",
    "bytes",
    "list",
    "dict",
    "set",
    "tuple",
    "sum",
    "min",
    "max",
    "sorted",
    "reversed",
    "enumerate",
    "zip",
    "map",
    "filter",
    "isinstance",
    "abs",
    "round",
    "divmod",
    "pow",
    "hash",
    "iter",
    "next",
    "getattr",
    "hasattr",
    "repr",
    "format",
    "append",
    "extend",
    "pop",
    "get",
    "items",
    "keys",
    "values",
    "update",
    "join",
    "split",
    "strip",
    "replace",
    "bool",
    "any",
    "all",
    "type",
    "super",
    "print",
}

# Blocking system calls, by name as /proc/<tid>/syscall gives them
SLEEP_SYSCALLS = {"nanosleep", "clock_nanosleep"}
POLL_SYSCALLS = {"select", "pselect6", "poll", "ppoll", "epoll_wait", "epoll_pwait", "epoll_pwait2"}

# Without /proc/<tid>/syscall: the system call a Python call blocks in, by the call's last name
SYSCALL_OF_CALL = {
    "sleep": "nanosleep",
    "recv": "recvfrom",
    "recv_into": "recvfrom",
    "read": "read",
    "readline": "read",
    "accept": "accept",
    "connect": "connect",
    "select": "select",
    "poll": "poll",
    "communicate": "wait4",
    "wait": "wait4",
    "sendall": "sendto",
    "send": "sendto",
    "urlopen": "recvfrom",
    "getresponse": "recvfrom",
}


_LABEL = re.compile(r"<(?:built-in method|method) '?([\w.]+)'?(?: of '([\w.]+)' objects)?>")


def builtin_name(label: str) -> str:
    """A C function's profiler label as users write the call: "<built-in method time.sleep>" -> "time.sleep",
    "<method 'acquire' of '_thread.lock' objects>" -> "lock.acquire", "posix.waitpid" -> "os.waitpid"."""
    match = _LABEL.fullmatch(label.strip())
    attr, owner = match.groups() if match else (label, None)
    if owner is None:
        owner, _, attr = attr.rpartition(".")
    parts = [p for p in owner.split(".") if p]
    if parts:
        parts[0] = MODULE_ALIASES.get(parts[0], parts[0].lstrip("_") or parts[0])
        if len(parts) == 2 and parts[0] in ("thread", "socket"):  # lock.acquire, socket.recv, RLock.release
            parts = parts[1:]
    return ".".join([*parts, attr])


def wait_kind(name: str, receiver_needed: bool = False) -> str | None:
    """What a call to `name` (dotted, as written or as builtin_name gives it) waits for: "io", "lock",
    "native" (C code that releases the GIL), or None (runs holding the GIL). With `receiver_needed` (names
    read from source text), a bare `join(` or `get(` is str.join or dict.get-like, not a thread or a queue."""
    owner, _, attr = name.rpartition(".")
    low = name.lower()
    if owner in ("str", "bytes", "dict", "list", "os.path"):
        return None
    if owner.split(".")[0].lstrip("_").lower() in NATIVE_MODULES:
        return "native"
    if attr == "wait" and ("proc" in low or "popen" in low or owner in ("os", "subprocess")):
        return "io"
    if attr in IO_CALLS:
        return "io"
    if attr in LOCK_WAIT_CALLS and (owner or not receiver_needed):
        return "lock"
    if attr in ("get", "put") and is_queue(owner):
        return "lock"
    return None


def is_queue(receiver: str) -> bool:
    """A receiver named like a queue (`work_queue`, `q`, `inq`): its get/put wait on the queue's lock."""
    return "queue" in receiver.lower() or receiver[-1:] in ("q", "Q")
