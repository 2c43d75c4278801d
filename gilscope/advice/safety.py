"""Can a rewrite run this code somewhere else without changing what the program does? Decided from the source.

A rewrite moves code: into worker processes, into several threads at once, out of a lock, or lets other
coroutines run while it waits. Each check below reads the user's source (never runs it) and returns the
problems it found, one sentence each, saying what must hold for the change to be safe. No problems: safe.

    task_problems(src, func, mode)           # a callable handed to a pool, a thread or a process
    call_problems(src, call, mode)           # one call, as the task (its function, its arguments)
    body_problems(src, loop, mode)           # a for loop's body run as one task per item
    function_problems(src, fdef, mode)       # a def's body run elsewhere (async mode: a coroutine)

Calls into code not in the user's file are unknown, except the few in KNOWN_CALLS, PURE_BUILTINS and
PURE_METHODS: anything else is a problem, so no diff is printed.
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass, field
from typing import Literal

from gilscope.advice.source import FUNCS, Source, call_name, dotted, has_yield, last, module_bindings

Mode = Literal["process", "thread", "async", "offload", "unlocked"]
DEPTH = 2  # user functions followed from the task: the task's own, then two levels of calls

WHY: dict[str, str] = {
    "process": "it would run in another process, so the parent would never see the change",
    "thread": "it would run in several threads at once, in no fixed order",
    "async": "other coroutines would run while it waits, and their changes interleave with its own",
    "offload": "it would run in a thread while the event loop runs other coroutines",
    "unlocked": "it would run without the lock, alongside the threads that hold it",
}

# Library calls known to be free of side effects visible to the program (or to only wait/release the GIL).
KNOWN_CALLS = frozenset(
    {
        "zlib.compress",
        "zlib.decompress",
        "zlib.crc32",
        "zlib.adler32",
        "bz2.compress",
        "bz2.decompress",
        "lzma.compress",
        "lzma.decompress",
        "binascii.crc32",
        "binascii.hexlify",
        "hashlib.md5",
        "hashlib.sha1",
        "hashlib.sha224",
        "hashlib.sha256",
        "hashlib.sha384",
        "hashlib.sha512",
        "hashlib.blake2b",
        "hashlib.blake2s",
        "hashlib.sha3_256",
        "hashlib.sha3_512",
        "hashlib.new",
        "time.sleep",
        "asyncio.sleep",
        "time.perf_counter",
        "time.monotonic",
        "time.thread_time",
        "time.process_time",
        "time.time",
        "urllib.request.urlopen",
        "json.dumps",
        "json.loads",
        "struct.pack",
        "struct.unpack",
    }
)
KNOWN_MODULES = frozenset({"math", "operator"})  # every function of these is pure
PURE_BUILTINS = frozenset(
    {
        "abs",
        "all",
        "any",
        "ascii",
        "bin",
        "bool",
        "bytes",
        "bytearray",
        "chr",
        "complex",
        "dict",
        "divmod",
        "enumerate",
        "filter",
        "float",
        "format",
        "frozenset",
        "hash",
        "hex",
        "int",
        "isinstance",
        "issubclass",
        "len",
        "list",
        "map",
        "max",
        "min",
        "oct",
        "ord",
        "pow",
        "range",
        "repr",
        "reversed",
        "round",
        "set",
        "slice",
        "sorted",
        "str",
        "sum",
        "tuple",
        "zip",
    }
)
PURE_METHODS = frozenset(
    {
        "upper",
        "lower",
        "strip",
        "lstrip",
        "rstrip",
        "split",
        "rsplit",
        "splitlines",
        "join",
        "encode",
        "decode",
        "translate",
        "replace",
        "startswith",
        "endswith",
        "format",
        "count",
        "index",
        "find",
        "rfind",
        "isdigit",
        "isalpha",
        "isspace",
        "zfill",
        "ljust",
        "rjust",
        "center",
        "hex",
        "title",
        "partition",
        "rpartition",
        "get",
        "keys",
        "values",
        "items",
        "copy",
        "digest",
        "hexdigest",
        "bit_length",
        "to_bytes",
    }
)
MUTATING_METHODS = frozenset(
    {
        "append",
        "extend",
        "insert",
        "add",
        "update",
        "pop",
        "popitem",
        "remove",
        "setdefault",
        "clear",
        "sort",
        "reverse",
        "discard",
        "__setitem__",
        "__delitem__",
        "put",
        "put_nowait",
        "write",
        "writelines",
        "send",
        "sendall",
        "appendleft",
        "extendleft",
        "rotate",
        "acquire",
        "release",
        "set",
        "move_to_end",
        "seek",
        "close",
        "flush",
        "difference_update",
        "intersection_update",
        "symmetric_difference_update",
    }
)
UNPICKLABLE_CALLS = frozenset(
    {
        "open",
        "Lock",
        "RLock",
        "Condition",
        "Semaphore",
        "BoundedSemaphore",
        "Event",
        "socket",
        "create_connection",
        "Queue",
        "SimpleQueue",
        "Thread",
        "local",
    }
)
_FRESH_VALUES = (
    ast.List,
    ast.Dict,
    ast.Set,
    ast.Tuple,
    ast.Constant,
    ast.JoinedStr,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
    ast.GeneratorExp,
    ast.BinOp,
    ast.UnaryOp,
    ast.Compare,
)
_BUILTIN_NAMES = frozenset(dir(builtins))


def _fresh_value(value: ast.AST | None) -> bool:
    """A value that is a new object (not another name for an existing one)."""
    if isinstance(value, _FRESH_VALUES):
        return True
    if isinstance(value, ast.IfExp):
        return _fresh_value(value.body) and _fresh_value(value.orelse)
    if isinstance(value, ast.Call):
        func = value.func
        return (
            not isinstance(func, ast.Attribute)
            or func.attr == "copy"
            or isinstance(func.value, (ast.Call, ast.Constant))
            or dotted(func).split(".")[0] in KNOWN_MODULES | {m.split(".")[0] for m in KNOWN_CALLS}
        )
    return False


def fresh_names(nodes: list[ast.AST], params: set[str] = frozenset()) -> set[str]:
    """Names every binding of which (in `nodes`) makes a new object: changing them changes nothing shared."""
    fresh: dict[str, bool] = {}
    for node in (n for top in nodes for n in ast.walk(top)):
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Name):
                    fresh[t.id] = fresh.get(t.id, True) and _fresh_value(node.value)
                for n in ast.walk(t):
                    if isinstance(n, ast.Name) and n is not t and isinstance(n.ctx, ast.Store):
                        fresh[n.id] = False  # unpacking: items of something else
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id not in fresh:
            fresh[node.id] = False  # for/with/walrus targets: items of something else
    for node in (n for top in nodes for n in ast.walk(top)):  # bindings the first pass saw only as targets
        if isinstance(node, (ast.For, ast.comprehension, ast.withitem, ast.NamedExpr)):
            target = getattr(node, "target", None) or getattr(node, "optional_vars", None)
            for n in ast.walk(target) if target is not None else ():
                if isinstance(n, ast.Name):
                    fresh[n.id] = False
    return {name for name, ok in fresh.items() if ok and name not in params}


def root_name(node: ast.AST) -> str:
    """'self' for self.a.b[0], 'rows' for rows[i].x; '' when the chain does not start at a name."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else ""


@dataclass
class _Checker:
    src: Source
    mode: Mode
    problems: list[str] = field(default_factory=list)
    seen: set[int] = field(default_factory=set)

    def add(self, who: str, what: str) -> None:
        text = f"{who} must not {what}: {WHY[self.mode]}"
        if text not in self.problems:
            self.problems.append(text)

    def unknown(self, who: str, name: str) -> None:
        text = (
            f"{who} calls {name}(), which gilscope cannot see into: it must have no side effect, because "
            f"{WHY[self.mode]}"
        )
        if text not in self.problems:
            self.problems.append(text)

    # ---- a def -----------------------------------------------------------------------------------------
    def function(self, fdef: ast.AST, depth: int) -> None:
        if id(fdef) in self.seen:
            return
        self.seen.add(id(fdef))
        who = f"{self.src.qualname(fdef)}()"
        if isinstance(fdef, ast.AsyncFunctionDef) and self.mode != "async":
            self.problems.append(
                f"{who} is a coroutine function: called there, it returns a coroutine that never runs"
            )
            return
        if has_yield(fdef):
            self.add(who, "be a generator (it yields)")
        args = fdef.args
        params = {
            a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg] if a
        }
        self.nodes(fdef.body, fresh_names(fdef.body, params), who, depth, fdef)

    # ---- statements run as the task ----------------------------------------------------------------------
    def nodes(
        self, body: list[ast.AST], fresh: set[str], who: str, depth: int, owner: ast.AST | None
    ) -> None:
        for node in (n for top in body for n in ast.walk(top)):
            if isinstance(node, (ast.Global, ast.Nonlocal)):
                self.add(who, f"declare {', '.join(node.names)} {type(node).__name__.lower()}")
            elif isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(
                node.ctx, (ast.Store, ast.Del)
            ):
                if root_name(node) not in fresh:
                    self.add(who, f"set {self.src.segment(node) or ast.unparse(node)}")
            elif (
                isinstance(node, ast.AugAssign)
                and isinstance(node.target, ast.Name)
                and node.target.id not in fresh
                and isinstance(node.value, (ast.List, ast.Set, ast.ListComp))
            ):
                self.add(who, f"extend {node.target.id} in place")
            elif isinstance(node, ast.Await) and self.mode != "async":
                self.add(who, "await")
            elif isinstance(node, ast.Call):
                self.call(node, fresh, who, depth, owner)

    def call(self, call: ast.Call, fresh: set[str], who: str, depth: int, owner: ast.AST | None) -> None:
        func = call.func
        for arg in [*call.args, *(k.value for k in call.keywords)]:  # functions handed to map/sorted/...
            if isinstance(arg, ast.Name) and not _local(arg.id, fresh, owner):
                for fdef in _module_defs(self.src, arg.id):
                    self.follow(fdef, who, depth)
        if isinstance(func, ast.Name):
            self.named(func.id, call, fresh, who, depth, owner)
            return
        if not isinstance(func, ast.Attribute):
            self.unknown(who, self.src.segment(func) or "a computed function")
            return
        name = dotted(func)
        module = resolved_module(self.src, name, fresh, owner)
        if module:
            if module in KNOWN_CALLS or module.rsplit(".", 1)[0] in KNOWN_MODULES:
                return
            self.unknown(who, module)
            return
        receiver = func.value
        if isinstance(receiver, (ast.Call, ast.Constant, ast.JoinedStr, ast.List, ast.Tuple, ast.Dict)):
            if isinstance(receiver, ast.Call) or func.attr in PURE_METHODS:
                return  # a method of a new object, checked as its own call
        root = root_name(receiver)
        if root and root in fresh:
            return  # an object made in this iteration
        if func.attr in MUTATING_METHODS:
            self.add(who, f"change {self.src.segment(receiver) or root} ({func.attr}())")
            return
        if func.attr in PURE_METHODS:
            return
        if root == "self" and isinstance(receiver, ast.Name) and owner is not None:
            method = _method(self.src, owner, func.attr)
            if method is not None:
                self.follow(method, who, depth)
                return
        self.unknown(who, self.src.segment(func) or name)

    def named(
        self, name: str, call: ast.Call, fresh: set[str], who: str, depth: int, owner: ast.AST | None
    ) -> None:
        defs = _module_defs(self.src, name)
        if defs and not _local(name, fresh, owner):
            for fdef in defs:
                self.follow(fdef, who, depth)
            return
        origin = self.src.imported_from(name)
        if origin:
            if f"{origin}.{name}" in KNOWN_CALLS or origin in KNOWN_MODULES:
                return
            self.unknown(who, f"{origin}.{name}")
            return
        if name in PURE_BUILTINS and not _local(name, fresh, owner):
            return
        self.unknown(who, name)

    def follow(self, fdef: ast.AST, who: str, depth: int) -> None:
        if depth <= 0:
            self.problems.append(
                f"{who} calls {self.src.qualname(fdef)}() through more than {DEPTH} levels of "
                "calls, further than gilscope follows"
            )
            return
        self.function(fdef, depth - 1)


def _local(name: str, fresh: set[str], owner: ast.AST | None) -> bool:
    """`name` is bound inside `owner` (so it is not the module-level def or import of that name)."""
    if name in fresh or owner is None:
        return name in fresh
    return (
        any(
            isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store) for n in ast.walk(owner)
        )
        or any(isinstance(n, ast.arg) and n.arg == name for n in ast.walk(owner))
        or bool(_nested_defs(owner, name))
    )


def _nested_defs(owner: ast.AST, name: str) -> list[ast.AST]:
    return [
        n
        for n in ast.walk(owner)
        if isinstance(n, (*FUNCS, ast.ClassDef)) and n.name == name and n is not owner
    ]


def resolved_module(src: Source, name: str, fresh: set[str], owner: ast.AST | None) -> str:
    """'zlib.compress' for zlib.compress when `zlib` is an imported module (not a local), else ''."""
    head = name.split(".")[0]
    if not head or head in fresh or (owner is not None and _local(head, fresh, owner)):
        return ""
    for node in src.tree.body:
        if isinstance(node, ast.Import) and any(
            (a.asname or a.name).split(".")[0] == head for a in node.names
        ):
            alias = next(a for a in node.names if (a.asname or a.name).split(".")[0] == head)
            return (alias.name + name[len(head) :]) if alias.asname else name
        if isinstance(node, ast.ImportFrom) and any((a.asname or a.name) == head for a in node.names):
            return f"{node.module}.{name}"
    return ""


def _module_defs(src: Source, name: str) -> list[ast.AST]:
    return [n for n in src.tree.body if isinstance(n, FUNCS) and n.name == name]


def _method(src: Source, owner: ast.AST, name: str) -> ast.AST | None:
    cls = src.parents.get(owner)
    if not isinstance(cls, ast.ClassDef):
        return None
    return next((n for n in cls.body if isinstance(n, FUNCS) and n.name == name), None)


# ---- the entry points ----------------------------------------------------------------------------------------
def function_problems(src: Source, fdef: ast.AST, mode: Mode) -> list[str]:
    checker = _Checker(src, mode)
    checker.function(fdef, DEPTH)
    return checker.problems


def call_problems(src: Source, expr: ast.AST, mode: Mode, exclude: ast.AST | None = None) -> list[str]:
    """The calls in `expr` (all but those in `exclude`'s subtree) run as the task, with their arguments."""
    checker = _Checker(src, mode)
    owner = src.function_of(expr)
    skip = {id(n) for n in ast.walk(exclude)} if exclude is not None else set()
    fresh: set[str] = set()  # the names around the call are shared by every task that runs it
    for node in ast.walk(expr):
        if isinstance(node, ast.Call) and id(node) not in skip:
            checker.call(node, fresh, f"{src.segment(node.func) or 'the call'}()", DEPTH, owner)
    return checker.problems


def task_problems(src: Source, func: ast.AST | None, mode: Mode, extra_args: list[ast.AST] = ()) -> list[str]:
    """A callable handed to a pool, Thread or Process: its body, whether a worker process can import it, and
    whether its arguments can be pickled (process mode)."""
    if func is None:
        return ["the task must be a function gilscope can find in this file"]
    checker = _Checker(src, mode)
    label = src.segment(func) or "the task"
    if isinstance(func, ast.Call) and last(call_name(func)) == "partial" and func.args:
        extra_args = [*func.args[1:], *(k.value for k in func.keywords), *extra_args]
        func = func.args[0]
        label = src.segment(func) or label
    if mode == "process":
        checker.problems += importable_problems(src, func) + pickle_problems(src, list(extra_args))
        if isinstance(func, ast.Attribute) and checker.problems:
            return checker.problems  # a method sent to processes: nothing more to say about it
    if isinstance(func, ast.Lambda):
        if mode != "process":
            checker.nodes([func.body], set(), f"the lambda {label}", DEPTH, src.function_of(func))
        return checker.problems
    name = dotted(func)
    owner = src.function_of(func)
    if isinstance(func, ast.Name):
        defs = _module_defs(src, func.id) if not _local(func.id, set(), owner) else []
        if defs:
            for fdef in defs:
                checker.function(fdef, DEPTH)
                if mode == "process":
                    checker.problems += worker_globals_problems(src, fdef)
            return checker.problems
        nested = _nested_defs(owner, func.id) if owner is not None else []
        if nested and mode != "process":
            checker.function(nested[0], DEPTH)
        elif not nested:
            checker.named(func.id, ast.Call(func=func, args=[], keywords=[]), set(), label, DEPTH, owner)
        return checker.problems
    module = resolved_module(src, name, set(), owner)
    if module and (module in KNOWN_CALLS or module.rsplit(".", 1)[0] in KNOWN_MODULES):
        return checker.problems
    if (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id == "self"
        and owner is not None
        and mode != "process"
    ):
        method = _method(src, owner, func.attr)
        if method is not None:
            checker.function(method, DEPTH)
            return checker.problems
    checker.unknown(label, name or label)
    return checker.problems


def importable_problems(src: Source, func: ast.AST) -> list[str]:
    """A worker process gets the task by name: it must be a function defined at the top of a module."""
    label = src.segment(func) or "the task"
    why = "a worker process imports the task by name"
    if isinstance(func, ast.Lambda):
        return [f"the task must be a module-level function, not a lambda: {why}"]
    if isinstance(func, ast.Attribute):
        head = root_name(func)
        if head == "self":
            return [
                f"{label} must not be a bound method: {why}, and self would be copied to the worker, so "
                "what it changes in self never reaches the parent"
            ]
        if resolved_module(src, dotted(func), set(), src.function_of(func)):
            return []
        return [f"{label} must be a module-level function, not a method or an attribute of an object: {why}"]
    if isinstance(func, ast.Name):
        owner = src.function_of(func)
        if owner is not None and _local(func.id, set(), owner):
            return [
                f"{label} must be a module-level function, not one defined inside {src.qualname(owner)}(): "
                f"{why}"
            ]
        if _module_defs(src, func.id):
            if func.id not in module_bindings(src):
                return [f'{label}() must be defined outside `if __name__ == "__main__":`: {why}']
            return []
        if src.imported_from(func.id) or func.id in _BUILTIN_NAMES:
            return []
        return [f"{label} must be a module-level function gilscope can find: {why}"]
    return [f"the task must be a plain module-level function: {why}"]


def pickle_problems(src: Source, args: list[ast.AST]) -> list[str]:
    """Arguments sent to a worker process that cannot be pickled, or whose changes would stay in the worker."""
    out = []
    imported = src.module_names()
    for arg in args:
        for node in ast.walk(arg):
            label = src.segment(node) or ast.unparse(node)
            if isinstance(node, (ast.Lambda, ast.GeneratorExp)):
                out.append(f"the argument {label} cannot be sent to another process (it cannot be pickled)")
            elif isinstance(node, ast.Name) and node.id == "self":
                out.append(
                    "self must not be sent to a worker process: the worker changes a copy, the parent "
                    "never sees it"
                )
            elif isinstance(node, ast.Call) and last(call_name(node)) in UNPICKLABLE_CALLS:
                out.append(f"the argument {label} cannot be sent to another process (it cannot be pickled)")
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                bound = _bound_to(src, node)
                if node.id in imported and not bound:
                    out.append(f"the module {node.id} cannot be sent to another process")
                elif any(_unpicklable_value(v) for v in bound):
                    out.append(
                        f"{node.id} cannot be sent to another process: it holds a lock, file, socket, "
                        "lambda or generator"
                    )
    return list(dict.fromkeys(out))


def _unpicklable_value(value: ast.AST) -> bool:
    if isinstance(value, (ast.Lambda, ast.GeneratorExp)):
        return True
    return isinstance(value, ast.Call) and last(call_name(value)) in UNPICKLABLE_CALLS


def _bound_to(src: Source, name: ast.Name) -> list[ast.AST]:
    """The values assigned to `name` in its function (or at module level), including `with X as name`."""
    values: list[ast.AST] = []
    for scope in (src.function_of(name), src.tree):
        if scope is not None and not values:
            values = _assigned(scope, name.id)
    return values


def _assigned(scope: ast.AST, name: str) -> list[ast.AST]:
    values = []
    for node in ast.walk(scope):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            values.append(node.value)
        elif (
            isinstance(node, ast.withitem)
            and isinstance(node.optional_vars, ast.Name)
            and node.optional_vars.id == name
        ):
            values.append(node.context_expr)
    return values


def worker_globals_problems(src: Source, fdef: ast.AST) -> list[str]:
    """Module names the task reads must exist in a worker, which does not run the `__main__` block."""
    bound = module_bindings(src)
    local = {n.id for n in ast.walk(fdef) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    local |= {a.arg for a in ast.walk(fdef) if isinstance(a, ast.arg)}
    out = []
    for node in ast.walk(fdef):
        if (
            isinstance(node, ast.Name)
            and isinstance(node.ctx, ast.Load)
            and node.id not in local
            and node.id not in bound
            and node.id not in _BUILTIN_NAMES
        ):
            out.append(
                f'{node.id} must be set at module level, outside `if __name__ == "__main__":`: '
                f"{src.qualname(fdef)}() reads it in a worker process, which does not run that block"
            )
    return list(dict.fromkeys(out))


# ---- a for loop's body as one task per item ---------------------------------------------------------------------
_EXITS = {
    ast.Break: "break",
    ast.Continue: "continue",
    ast.Return: "return",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Await: "await",
}


def body_problems(src: Source, loop: ast.For, mode: Mode) -> list[str]:
    """The statements of `loop`'s body, run once per item elsewhere: no exits, nothing shared changed,
    nothing carried from one iteration to the next."""
    checker = _Checker(src, mode)
    who = "the loop body"
    for node in (n for s in loop.body for n in _own(s)):
        word = _EXITS.get(type(node))
        if word:
            checker.problems.append(f"the loop body must not {word}: each item becomes a separate task")
    fresh = fresh_names(loop.body) - {n.id for n in ast.walk(loop.target) if isinstance(n, ast.Name)}
    checker.nodes(loop.body, fresh, who, DEPTH, src.function_of(loop))
    for name in carried(loop.body):
        checker.problems.append(
            f"{name} must not be carried from one iteration to the next (the body reads it "
            "before setting it): each item becomes a separate task"
        )
    return checker.problems


def _own(node: ast.AST):
    """`node` and its descendants, not entering nested defs, lambdas, classes or inner loops' own exits."""
    yield node
    if isinstance(node, (*FUNCS, ast.Lambda, ast.ClassDef)):
        return
    for child in ast.iter_child_nodes(node):
        if isinstance(node, (ast.For, ast.While, ast.AsyncFor)) and isinstance(child, ast.stmt):
            yield from (n for n in _own(child) if not isinstance(n, (ast.Break, ast.Continue)))
        else:
            yield from _own(child)


def carried(body: list[ast.stmt]) -> list[str]:
    """Names the body sets and reads before setting them: each iteration reads the previous one's value."""
    events: list[tuple[tuple[int, int], int, str]] = []  # (position, 0 store / 1 load, name)
    for stmt in body:
        for node in ast.walk(stmt):
            if isinstance(node, (ast.Assign, ast.AnnAssign)):
                at = (node.end_lineno, node.end_col_offset)
                for t in node.targets if isinstance(node, ast.Assign) else [node.target]:
                    events += [(at, 0, n.id) for n in ast.walk(t) if isinstance(n, ast.Name)]
            elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
                events.append(((node.lineno, node.col_offset), 1, node.target.id))
                events.append(((node.end_lineno, node.end_col_offset), 0, node.target.id))
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                events.append(((node.lineno, node.col_offset), 1, node.id))
            elif (
                isinstance(node, ast.Name)
                and isinstance(node.ctx, ast.Store)
                and not _assign_target(node, stmt)
            ):
                events.append(((node.lineno, node.col_offset), 0, node.id))
    stored = {name for _, kind, name in events if kind == 0}
    seen: set[str] = set()
    out = []
    for _, kind, name in sorted(events):
        if kind == 0:
            seen.add(name)
        elif name in stored and name not in seen and name not in out:
            out.append(name)
    return out


def _assign_target(name: ast.Name, stmt: ast.stmt) -> bool:
    for node in ast.walk(stmt):
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(name is n for t in targets for n in ast.walk(t)):
                return True
    return False
