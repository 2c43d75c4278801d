"""What a line that threads queued on (free-threaded builds) does to shared data, read from its source.

The sampler measures that threads queued on an object's internal lock at a line; the source says which object
the line changes, whether it reads and writes it in one statement (a read-modify-write that loses updates
without a lock, once no GIL serialises it), and whether a `with ...lock:` around it makes the queue the user's
own lock rather than the object's.
"""

from __future__ import annotations

import ast
import tokenize
from dataclasses import dataclass
from functools import lru_cache

# Methods that change a container in place (each takes the container's internal lock on a free-threaded build).
MUTATORS = frozenset(
    {
        "append",
        "extend",
        "insert",
        "pop",
        "popitem",
        "remove",
        "clear",
        "add",
        "discard",
        "update",
        "setdefault",
        "appendleft",
        "extendleft",
        "popleft",
        "sort",
        "reverse",
        "__setitem__",
    }
)
_READERS = frozenset({"get", "setdefault", "__getitem__", "count", "index"})


@dataclass(frozen=True)
class SharedUpdate:
    """A statement that changes an object other threads share: `counts[w] = counts.get(w, 0) + 1`."""

    name: str  # the object as the code names it: "counts", "self.results"
    line: int
    statement: str  # the statement's source, stripped
    read_modify_write: bool  # reads the object and writes it back in one statement
    under_lock: bool  # inside a `with` whose context names a lock, or after an .acquire() in the function
    scope: str  # "global", "closure", "attribute", "parameter" or "local"
    function: str  # the enclosing function's name ("" at module level)


def shared_update_at(file: str, line: int) -> SharedUpdate | None:
    """The shared-object update on `line` of `file`, or None when there is none (or no readable source)."""
    tree = _parse(file)
    if tree is None:
        return None
    function, statement, with_stack = _locate(tree, line)
    if statement is None:
        return None
    found = _update_in(statement)
    if found is None:
        return None
    target_expr, rmw = found
    name = ast.unparse(target_expr)
    root = _root_name(target_expr)
    return SharedUpdate(
        name=name,
        line=statement.lineno,
        statement=_source(file, statement),
        read_modify_write=rmw,
        under_lock=any(_names_a_lock(item.context_expr) for w in with_stack for item in w.items)
        or (function is not None and _acquires_before(function, statement.lineno)),
        scope=_scope(function, root, target_expr),
        function=function.name if function is not None else "",
    )


@lru_cache(maxsize=64)
def _parse(file: str) -> ast.Module | None:
    try:
        with tokenize.open(file) as handle:
            return ast.parse(handle.read(), filename=file)
    except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
        return None


def _source(file: str, node: ast.stmt) -> str:
    try:
        with tokenize.open(file) as handle:
            text = handle.read()
    except (OSError, SyntaxError, UnicodeDecodeError):
        return ""
    return (ast.get_source_segment(text, node) or "").strip()


def _locate(tree: ast.Module, line: int):
    """(innermost function, innermost simple statement, enclosing `with` statements) covering `line`."""
    function = None
    statement = None
    withs: list[ast.With] = []

    def visit(node, fn, ws):
        nonlocal function, statement, withs
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, ast.stmt):
                continue
            end = getattr(child, "end_lineno", child.lineno) or child.lineno
            if not child.lineno <= line <= end:
                continue
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(child, child, [])
            elif isinstance(child, (ast.With, ast.AsyncWith)):
                visit(child, fn, [*ws, child])
            elif isinstance(child, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr)):
                function, statement, withs = fn, child, ws
            else:
                visit(child, fn, ws)

    visit(tree, None, [])
    return function, statement, withs


def _update_in(statement: ast.stmt) -> tuple[ast.expr, bool] | None:
    """(the expression naming the changed object, read-modify-write?) or None."""
    if isinstance(statement, ast.AugAssign):
        changed = statement.target
        if isinstance(changed, ast.Subscript):
            return changed.value, True
        if isinstance(changed, (ast.Attribute, ast.Name)):
            return changed, True
        return None
    if isinstance(statement, (ast.Assign, ast.AnnAssign)):
        targets: list[ast.expr] = (
            statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        )
        value = statement.value
        for target in targets:
            if isinstance(target, ast.Subscript):
                container = ast.dump(target.value)
                return target.value, value is not None and _reads(value, container)
        return None
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call):
        func = statement.value.func
        if isinstance(func, ast.Attribute) and func.attr in MUTATORS:
            return func.value, False
    return None


def _reads(expr: ast.expr, container: str) -> bool:
    """Whether `expr` reads the container: counts[w], counts.get(w, 0)."""
    for node in ast.walk(expr):
        if isinstance(node, ast.Subscript) and ast.dump(node.value) == container:
            return True
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _READERS
            and ast.dump(node.func.value) == container
        ):
            return True
    return False


def _root_name(expr: ast.expr) -> str:
    node: ast.expr = expr
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else ""


def _scope(function, root: str, expr: ast.expr) -> str:
    if isinstance(expr, ast.Attribute):
        return "attribute"
    if function is None:
        return "global"
    args = function.args
    params = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
    params |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
    if root in params:
        return "parameter"
    globals_: set[str] = set()
    nonlocals: set[str] = set()
    assigned: set[str] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Global):
            globals_.update(node.names)
        elif isinstance(node, ast.Nonlocal):
            nonlocals.update(node.names)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            assigned.add(node.id)
    if root in nonlocals:
        return "closure"
    if root in assigned and root not in globals_:
        return "local"
    return "global"  # (or a free variable of an enclosing function: shared the same way)


def _names_a_lock(expr: ast.expr) -> bool:
    text = ast.unparse(expr).lower()
    return any(word in text for word in ("lock", "mutex", "cond", "sem", "guard"))


def _acquires_before(function, line: int) -> bool:
    for node in ast.walk(function):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "acquire"
            and node.lineno < line
        ):
            return True
    return False
