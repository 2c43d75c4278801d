"""Find, in the parsed source, the construct a finding's advice is about, matched against the runtime evidence.

Each matcher yields `Site`s in order of preference; the first one is the place to change:

- thread-pool / thread: the ThreadPoolExecutor(...) or threading.Thread(...) feeding the hotspot function
  (it is the target, the submitted or the mapped function, or calls it), for multiprocessing advice;
- sleep-in-async / blocking-in-async: time.sleep(...), or a blocking call (the hotspot, its blocker), inside
  an `async def`, for asyncio and offload advice;
- lock: the `with lock:` whose block calls the lock holder's slow function (or the blocker), for lock-scope;
- chunksize: pool.map/imap(..., chunksize=1) or without a chunksize, for batching;
- loop: the for loop or comprehension calling the hotspot (or, inside it, the blocking/native call), for
  threads (I/O, native) and multiprocessing (CPU) advice;
- key: max/min/sorted(..., key=hotspot), for multiprocessing advice (located, no rewrite).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field

from gilscope.advice.source import FUNCS, Source, call_name, dotted, last, own_nodes
from gilscope.model import Strategy

THREAD_POOLS = {"ThreadPoolExecutor", "ThreadPool"}
POOL_FEEDERS = {
    "map",
    "submit",
    "imap",
    "imap_unordered",
    "starmap",
    "apply_async",
    "map_async",
    "apply",
    "starmap_async",
}
AUTO_CHUNKED = {
    "map",
    "starmap",
    "map_async",
    "starmap_async",
}  # multiprocessing.Pool picks a chunksize for these
NATIVE_MODULES = {
    "zlib",
    "hashlib",
    "bz2",
    "lzma",
    "gzip",
    "numpy",
    "np",
    "cv2",
    "PIL",
    "lz4",
    "zstd",
    "brotli",
}
BLOCKING_CALLS = {
    "sleep",
    "get",
    "post",
    "put",
    "delete",
    "head",
    "request",
    "urlopen",
    "recv",
    "recv_into",
    "recvfrom",
    "send",
    "sendall",
    "connect",
    "create_connection",
    "accept",
    "read",
    "readline",
    "readlines",
    "write",
    "run",
    "call",
    "check_call",
    "check_output",
    "communicate",
    "wait",
    "execute",
    "fetchall",
    "fetchone",
    "query",
    "getaddrinfo",
    "select",
}
COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


@dataclass
class Clues:
    """What the runtime evidence says about the finding, in names the source can be searched for."""

    target: str  # the hotspot function (qualified name)
    strategy: Strategy
    kind: str = ""
    blockers: tuple[str, ...] = ()  # last parts of the blocking calls, e.g. ("sleep", "recv")
    holder: str = ""  # the function the lock holder runs
    callers: tuple[str, ...] = ()  # functions seen calling the hotspot
    waits: int = 0
    in_event_loop: bool = False
    line: int = 0  # the line the evidence points at, where known (a shared object's update)

    @property
    def name(self) -> str:
        return last(self.target)


@dataclass
class Site:
    construct: str
    node: ast.AST  # its first line is the line to change
    scope: ast.AST | None  # the enclosing def (None: module level)
    call: ast.Call | None = None  # the call the rewrite is about
    extra: dict = field(default_factory=dict)

    @property
    def line(self) -> int:
        return self.node.lineno


def blocker_names(blockers) -> tuple[str, ...]:
    """'c.recv (recvfrom)' -> 'recv', 'time.sleep' -> 'sleep'; GIL and lock pseudo-blockers dropped."""
    out = []
    for b in blockers:
        name = last(str(b).split(" (")[0])
        if name and name not in ("GIL", "acquire", "join", "wait", "result") and name not in out:
            out.append(name)
    return tuple(out)


def sites(src: Source, clues: Clues) -> Iterator[Site]:
    """Every candidate construct for this finding, best first."""
    s = clues.strategy
    if s is Strategy.multiprocessing:
        yield from _feeders(src, clues)
        yield from _loops(src, clues, pool="process")
        yield from _keyed(src, clues)
    elif s in (Strategy.asyncio, Strategy.offload):
        yield from _in_async(src, clues)
        if s is Strategy.asyncio and not clues.in_event_loop:
            yield from _loops(src, clues, pool="")  # located; the asyncio rewrite is left to the docs
    elif s is Strategy.threads:
        yield from _loops(src, clues, pool="native" if clues.kind == "native" else "io")
    elif s is Strategy.lock_scope:
        yield from _locks(src, clues)
    elif s is Strategy.batching:
        yield from _chunks(src, clues)
    elif s is Strategy.per_thread_data:
        yield from _shared_updates(src, clues)


def _shared_updates(src: Source, clues: Clues) -> Iterator[Site]:
    """The simple statement on the line where the threads queued on a shared object."""
    for node in ast.walk(src.tree):
        if isinstance(node, ast.stmt) and not hasattr(node, "body") and node.lineno == clues.line:
            yield Site("shared-update", node, src.function_of(node))
            return


# ---- scopes: the hotspot, its callers, then the whole file --------------------------------------------------
def scopes(src: Source, clues: Clues, callers_first: bool = False) -> list[ast.AST]:
    own = src.functions(clues.target)
    callers = [f for name in clues.callers for f in src.functions(name)]
    callers += [f for f in _static_callers(src, clues.name) if f not in callers]
    ordered = (callers + own) if callers_first else (own + callers)
    seen, out = set(), []
    for node in ordered:
        if id(node) not in seen:
            seen.add(id(node))
            out.append(node)
    return out


def _static_callers(src: Source, name: str) -> list[ast.AST]:
    found = []
    for node in ast.walk(src.tree):
        if isinstance(node, ast.Call) and last(call_name(node)) == name:
            found.append(src.function_of(node) or src.tree)
        elif isinstance(node, ast.keyword) and isinstance(node.value, ast.Name) and node.value.id == name:
            found.append(src.function_of(node) or src.tree)
    return found


def calls_in(scope: ast.AST) -> Iterator[ast.Call]:
    for node in own_nodes(scope):
        if isinstance(node, ast.Call):
            yield node


def reaches(src: Source, func: ast.AST | None, name: str, depth: int = 3) -> bool:
    """`func` (a Name, Attribute or Lambda fed to a pool/thread) is `name` or calls it, up to `depth` calls deep."""
    if func is None:
        return False
    if isinstance(func, ast.Lambda):
        return any(
            last(call_name(c)) == name or reaches(src, c.func, name, depth - 1)
            for c in ast.walk(func.body)
            if isinstance(c, ast.Call)
        )
    if isinstance(func, ast.Call) and last(call_name(func)) == "partial" and func.args:
        return reaches(src, func.args[0], name, depth)
    fname = last(dotted(func))
    if not fname:
        return False
    if fname == name:
        return True
    if depth <= 0:
        return False
    for fdef in src.functions(fname):
        for call in calls_in(fdef):
            if last(call_name(call)) == name or (depth > 1 and reaches(src, call.func, name, depth - 1)):
                return True
    return False


# ---- thread pools and threads that feed GIL-bound work -----------------------------------------------------
def _pool_names(src: Source, call: ast.Call) -> set[str]:
    """The names a pool constructor is bound to: `with X(...) as pool`, `pool = X(...)`."""
    parent = src.parents.get(call)
    if isinstance(parent, ast.withitem) and isinstance(parent.optional_vars, ast.Name):
        return {parent.optional_vars.id}
    if isinstance(parent, ast.Assign):
        return {t.id for t in parent.targets if isinstance(t, ast.Name)}
    if isinstance(parent, ast.Attribute):  # ThreadPoolExecutor(4).map(...)
        return {"<inline>"}
    return set()


def _fed(src: Source, ctor: ast.Call, scope: ast.AST) -> list[ast.AST]:
    """Functions handed to the pool built by `ctor`."""
    names = _pool_names(src, ctor)
    fed = []
    for call in calls_in(scope):
        if not isinstance(call.func, ast.Attribute) or call.func.attr not in POOL_FEEDERS:
            continue
        receiver = call.func.value
        if (isinstance(receiver, ast.Name) and receiver.id in names) or receiver is ctor:
            if call.args:
                fed.append(call.args[0])
    for call in calls_in(scope):  # loop.run_in_executor(pool, func, ...)
        if (
            last(call_name(call)) == "run_in_executor"
            and len(call.args) >= 2
            and isinstance(call.args[0], ast.Name)
            and call.args[0].id in names
        ):
            fed.append(call.args[1])
    return fed


def _thread_target(call: ast.Call) -> ast.AST | None:
    for kw in call.keywords:
        if kw.arg == "target":
            return kw.value
    return call.args[1] if len(call.args) >= 2 else None


def _feeders(src: Source, clues: Clues) -> Iterator[Site]:
    found = []
    for node in ast.walk(src.tree):
        if not isinstance(node, ast.Call):
            continue
        name = last(call_name(node))
        scope = src.function_of(node)
        if name in THREAD_POOLS:
            if any(reaches(src, f, clues.name) for f in _fed(src, node, scope or src.tree)):
                found.append(Site("thread-pool", node, scope, node))
        elif name == "Thread" and call_name(node) in ("Thread", "threading.Thread"):
            if reaches(src, _thread_target(node), clues.name):
                found.append(Site("thread", node, scope, node))
    yield from sorted(found, key=lambda s: s.line)


# ---- blocking calls in coroutines -----------------------------------------------------------------------
def _awaited(src: Source, call: ast.Call) -> bool:
    return isinstance(src.parents.get(call), ast.Await)


def _in_async(src: Source, clues: Clues) -> Iterator[Site]:
    coroutines = [n for n in ast.walk(src.tree) if isinstance(n, ast.AsyncFunctionDef)]
    target = [n for n in src.functions(clues.target) if isinstance(n, ast.AsyncFunctionDef)]
    ordered = target + [c for c in coroutines if c not in target]
    for coro in ordered:
        for call in sorted(calls_in(coro), key=lambda c: (c.lineno, c.col_offset)):
            if _awaited(src, call):
                continue
            name = call_name(call)
            if name == "time.sleep" or (name == "sleep" and src.imported_from("sleep") == "time"):
                if coro in target or "sleep" in clues.blockers:
                    yield Site("sleep-in-async", call, coro, call)
            elif last(name) == clues.name and coro not in target:
                yield Site("blocking-in-async", call, coro, call)
            elif coro in target and last(name) in clues.blockers and last(name) in BLOCKING_CALLS:
                yield Site("blocking-in-async", call, coro, call)


# ---- locks held across slow work ----------------------------------------------------------------------------
def _lockish(src: Source, expr: ast.AST) -> bool:
    name = dotted(expr)
    if not name or isinstance(expr, ast.Call):
        return False
    if "lock" in name.lower() or "mutex" in name.lower() or "cond" in name.lower():
        return True
    for node in ast.walk(src.tree):  # NAME = threading.Lock() / RLock() / Condition() / Semaphore()
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and last(call_name(node.value)) in ("Lock", "RLock", "Condition", "Semaphore", "BoundedSemaphore")
            and any(dotted(t) == name for t in node.targets)
        ):
            return True
    return False


def _locks(src: Source, clues: Clues) -> Iterator[Site]:
    slow = {clues.holder and last(clues.holder)} - {""} or set()
    slow_blockers = {b for b in clues.blockers if b in BLOCKING_CALLS}
    for scope in scopes(src, clues) + [src.tree]:
        for node in sorted(
            (n for n in own_nodes(scope) if isinstance(n, (ast.With, ast.AsyncWith))), key=lambda n: n.lineno
        ):
            if not any(_lockish(src, item.context_expr) for item in node.items):
                continue
            calls = [c for stmt in node.body for c in ast.walk(stmt) if isinstance(c, ast.Call)]
            hit = next((c for c in calls if last(call_name(c)) in slow), None)
            hit = hit or next((c for c in calls if last(call_name(c)) in slow_blockers), None)
            if hit is None and scope is not src.tree and slow:
                # the holder is reached through a user function called under the lock
                hit = next((c for c in calls if reaches(src, c.func, next(iter(slow)))), None)
            if hit is not None:
                yield Site("lock", node, src.function_of(node), hit)


# ---- pools fed tiny tasks -----------------------------------------------------------------------------------
def _chunks(src: Source, clues: Clues) -> Iterator[Site]:
    for scope in scopes(src, clues) + [src.tree]:
        for call in sorted(calls_in(scope), key=lambda c: c.lineno):
            if (
                not isinstance(call.func, ast.Attribute)
                or call.func.attr
                not in ("map", "imap", "imap_unordered", "starmap", "map_async", "starmap_async")
                or len(call.args) < 2
            ):
                continue
            chunk = next((kw for kw in call.keywords if kw.arg == "chunksize"), None)
            pool = _pool_of(src, call)
            if pool == "thread":
                continue
            if chunk is not None:
                small = (
                    isinstance(chunk.value, ast.Constant)
                    and isinstance(chunk.value.value, int)
                    and chunk.value.value <= 4
                )
                if small:
                    yield Site("chunksize", call, src.function_of(call), call, {"pool": pool})
            elif not (pool == "mp" and call.func.attr in AUTO_CHUNKED) and pool:
                yield Site("chunksize", call, src.function_of(call), call, {"pool": pool})


def pool_ctor(src: Source, call: ast.Call) -> ast.Call | None:
    """The constructor call of the pool a `pool.map(...)` call goes to, when the source binds it plainly."""
    receiver = call.func.value
    ctor = receiver if isinstance(receiver, ast.Call) else None
    if isinstance(receiver, ast.Name):
        for node in ast.walk(src.tree):
            if (
                isinstance(node, ast.withitem)
                and isinstance(node.optional_vars, ast.Name)
                and node.optional_vars.id == receiver.id
                and isinstance(node.context_expr, ast.Call)
            ):
                ctor = node.context_expr
            elif (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Call)
                and any(isinstance(t, ast.Name) and t.id == receiver.id for t in node.targets)
            ):
                ctor = node.value
    return ctor


def _pool_of(src: Source, call: ast.Call) -> str:
    """'mp' (multiprocessing.Pool), 'executor' (ProcessPoolExecutor), 'thread' or '' (unknown receiver)."""
    ctor = pool_ctor(src, call)
    if ctor is None:
        return ""
    name = last(call_name(ctor))
    if name in THREAD_POOLS:
        return "thread"
    if name == "ProcessPoolExecutor":
        return "executor"
    if name == "Pool":
        return "mp"
    return ""


# ---- loops of calls that could overlap ---------------------------------------------------------------------
def _loop_calls(src: Source, loop: ast.AST) -> list[ast.Call]:
    """Calls made per iteration: in the element/conditions of a comprehension, in the body of a for loop."""
    if isinstance(loop, COMPREHENSIONS):
        parts = [loop.elt] if not isinstance(loop, ast.DictComp) else [loop.key, loop.value]
        parts += [cond for gen in loop.generators for cond in gen.ifs]
        parts += [gen.iter for gen in loop.generators[1:]]
    else:
        parts = loop.body
    return [c for part in parts for c in ast.walk(part) if isinstance(c, ast.Call)]


def _loops(src: Source, clues: Clues, pool: str) -> Iterator[Site]:
    native = pool == "native"
    own = src.functions(clues.target)
    for scope in scopes(src, clues, callers_first=True) + [src.tree]:
        inside_target = scope in own
        for loop in sorted(
            (n for n in own_nodes(scope) if isinstance(n, (ast.For, *COMPREHENSIONS))),
            key=lambda n: (n.lineno, n.col_offset),
        ):
            calls = _loop_calls(src, loop)
            hit = next((c for c in calls if last(call_name(c)) == clues.name), None)
            if hit is None and inside_target:
                if native:
                    hit = next((c for c in calls if call_name(c).split(".")[0] in NATIVE_MODULES), None)
                else:
                    hit = next((c for c in calls if last(call_name(c)) in clues.blockers), None)
            if hit is not None:
                yield Site(
                    "loop",
                    loop,
                    src.function_of(loop) if not isinstance(scope, ast.Module) else None,
                    hit,
                    {"pool": pool},
                )


def _keyed(src: Source, clues: Clues) -> Iterator[Site]:
    for scope in scopes(src, clues, callers_first=True):
        for call in calls_in(scope):
            if last(call_name(call)) in ("max", "min", "sorted") and any(
                kw.arg == "key" and last(dotted(kw.value)) == clues.name for kw in call.keywords
            ):
                yield Site("key", call, src.function_of(call), call)


def site_at(src: Source, clues: Clues, line: int) -> Site | None:
    return next((s for s in sites(src, clues) if s.line == line), None)


def is_async_scope(node: ast.AST | None) -> bool:
    return isinstance(node, ast.AsyncFunctionDef)


__all__ = ["Clues", "Site", "blocker_names", "is_async_scope", "site_at", "sites", "FUNCS"]
