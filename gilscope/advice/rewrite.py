"""Rewrite the user's own lines for a Site: a list of line edits, applied to a copy of the text, never to the file.

An `Edit(first, last, text)` replaces lines first..last (1-based, inclusive) with `text`; last = first - 1
inserts before line `first`. Edits never overlap. The first edit is the main change, shown as before/after.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from gilscope.advice import guards
from gilscope.advice.constructs import Site, pool_ctor
from gilscope.advice.source import Source, call_name, is_main_guard, last

TARGET_CHUNK_S = 0.01  # aim for tasks of at least this long when batching
CHUNKS_PER_WORKER = 4  # ... and at least this many chunks per worker, as multiprocessing.Pool.map does


class NoRewrite(Exception):
    """The construct was found, but no safe mechanical rewrite exists for it.

    `requires` says, one sentence each, what must hold for the change to be safe when that is the reason.
    """

    def __init__(self, reason: str, requires: list[str] | tuple[str, ...] = ()):
        super().__init__(reason)
        self.requires = list(requires)


def require(problems: list[str], what: str = "the change is not shown to be safe") -> None:
    """Raise NoRewrite carrying `problems` when there are any."""
    if problems:
        raise NoRewrite(what, list(dict.fromkeys(problems)))


@dataclass
class Edit:
    first: int
    last: int
    text: str
    imports: tuple[str, ...] = ()  # set on the edit that adds import lines (merged into one by rewrite())


def apply(lines: list[str], edits: list[Edit]) -> list[str]:
    """The lines with the edits made. Overlapping edits have no meaning: NoRewrite, never a garbled diff."""
    ordered = sorted(edits, key=lambda e: (e.first, e.last))
    for a, b in zip(ordered, ordered[1:]):
        if b.first <= a.last:
            raise NoRewrite(f"two edits overlap at lines {b.first}-{a.last}")
    out = list(lines)
    for e in reversed(ordered):
        out[e.first - 1 : e.last] = e.text.splitlines(keepends=True)
    return out


# ---- text helpers ---------------------------------------------------------------------------------------
def _col(line: str, byte_col: int) -> int:
    """ast columns count UTF-8 bytes; str slicing counts characters."""
    return len(line.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))


def replace_node(src: Source, node: ast.AST, new: str) -> Edit:
    """An edit that replaces exactly `node`'s text, keeping the rest of its first and last lines."""
    first, last_line = node.lineno, node.end_lineno
    head = src.lines[first - 1]
    tail = src.lines[last_line - 1]
    prefix = head[: _col(head, node.col_offset)]
    suffix = tail[_col(tail, node.end_col_offset) :]
    old_len = len(src.segment(node)) if first == last_line else 0
    if old_len and "\n" not in new and suffix.lstrip().startswith("#"):  # keep a trailing comment's column
        spaces = len(suffix) - len(suffix.lstrip(" "))
        keep = max(2, spaces - (len(new) - old_len))
        suffix = " " * keep + suffix.lstrip(" ")
    return Edit(first, last_line, prefix + new + suffix)


def reindent(text: str, indent: str) -> str:
    return "".join((indent + line) if line.strip() else line for line in text.splitlines(keepends=True))


def stmt_text(src: Source, stmt: ast.stmt) -> str:
    first = min([stmt.lineno, *(d.lineno for d in getattr(stmt, "decorator_list", []))])
    return src.text(first, stmt.end_lineno)


def newline(src: Source) -> str:
    return "\r\n" if src.lines and src.lines[0].endswith("\r\n") else "\n"


# ---- imports and the __main__ guard ----------------------------------------------------------------------
def _import_anchor(src: Source) -> int:
    """The line after which new imports go: after the last top-level import, else after the docstring."""
    body = src.tree.body
    anchor = 0
    for i, node in enumerate(body):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            anchor = node.end_lineno
        elif (
            i == 0
            and isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            anchor = node.end_lineno
        elif anchor and not isinstance(node, (ast.Import, ast.ImportFrom)):
            break
    return anchor


def ensure_imports(src: Source, wanted: list[str], edits: list[Edit]) -> None:
    """Add `import x` / `from m import n` lines that are missing, one edit after the import block."""
    have = src.module_names()
    lines = []
    for stmt in wanted:
        bound = stmt.split()[-1] if stmt.startswith("from ") else stmt.split()[1].split(".")[0]
        pending = any(stmt in e.imports for e in edits)
        if bound not in have and stmt not in lines and not pending:
            lines.append(stmt)
    if not lines:
        return
    at = _import_anchor(src)
    edits.append(Edit(at + 1, at, "", imports=tuple(lines)))


def _merge_imports(src: Source, edits: list[Edit]) -> list[Edit]:
    """All added imports in one block: plain imports first, then from-imports, blank lines as PEP 8 has them."""
    adds = [e for e in edits if e.imports]
    if not adds:
        return edits
    lines = sorted(
        dict.fromkeys(i for e in adds for i in e.imports), key=lambda i: (i.startswith("from "), i)
    )
    at = adds[0].first - 1
    nl = newline(src)
    text = "".join(line + nl for line in lines)
    if at == 0:
        text += nl
    elif not isinstance(_node_ending(src, at), (ast.Import, ast.ImportFrom)):
        text = nl + text
    return [e for e in edits if not e.imports] + [Edit(at + 1, at, text)]


def _node_ending(src: Source, line: int) -> ast.AST | None:
    return next((n for n in src.tree.body if n.end_lineno == line), None)


def has_main_guard(src: Source) -> bool:
    return any(is_main_guard(node) for node in src.tree.body)


def _runs_code(node: ast.stmt) -> bool:
    if isinstance(
        node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Pass)
    ):
        return False
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
        return False  # a docstring
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        value = node.value
        return (
            value is not None
            and any(isinstance(n, (ast.Call, ast.Await)) for n in ast.walk(value))
            and not _only_factories(value)
        )
    return True


def _only_factories(value: ast.AST) -> bool:
    """Module constants built by harmless calls (threading.Lock(), bytes(...), re.compile(...)) need no guard."""
    calls = [n for n in ast.walk(value) if isinstance(n, ast.Call)]
    return all(
        last(call_name(c))
        in (
            "Lock",
            "RLock",
            "Event",
            "Condition",
            "Semaphore",
            "bytes",
            "compile",
            "dict",
            "list",
            "set",
            "tuple",
            "frozenset",
            "range",
            "getLogger",
            "namedtuple",
            "Path",
            "defaultdict",
            "Queue",
        )
        for c in calls
    )


def guard_main(src: Source, edits: list[Edit]) -> None:
    """Wrap the trailing module-level statements that run code in `if __name__ == "__main__":`.

    Process pools re-import the main module in spawned workers (macOS, Windows, and Linux from Python 3.14);
    without the guard each worker would run the program again.
    """
    if has_main_guard(src):
        return
    body = src.tree.body
    start = len(body)
    while start > 0 and (
        _runs_code(body[start - 1])
        or not isinstance(
            body[start - 1], (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
        )
    ):
        start -= 1
    tail = [n for n in body[start:]]
    while tail and not _runs_code(tail[0]):
        tail.pop(0)
    if not tail:
        return
    first, last_line = tail[0].lineno, tail[-1].end_lineno
    nl = newline(src)
    # Edits already made inside the block (the pool's constructor at module level) go into what is wrapped.
    inside = [e for e in edits if first <= e.first and e.last <= last_line and not e.imports]
    if any(e.first <= last_line and e.last >= first for e in edits if e not in inside and not e.imports):
        raise NoRewrite("the __main__ guard would cut through another edit")
    block = [line if line.endswith(("\n", "\r")) else line + nl for line in src.lines[first - 1 : last_line]]
    shifted = [Edit(e.first - first + 1, e.last - first + 1, e.text) for e in inside]
    for e in inside:
        edits.remove(e)
    text = f'if __name__ == "__main__":{nl}' + reindent("".join(apply(block, shifted)), "    ")
    edits.append(Edit(first, last_line, text))


# ---- the rewrites ------------------------------------------------------------------------------------------
def _replace_name(src: Source, func: ast.AST, old: str, new: str) -> Edit:
    text = src.segment(func)
    return replace_node(src, func, text[: len(text) - len(old)] + new if text.endswith(old) else new)


def _retarget_import(
    src: Source, module: str, old: str, new: str, still_used: bool, edits: list[Edit]
) -> bool:
    """`from module import old` -> `... new` (or `old, new` when old is still used). True when one was found."""
    for node in src.tree.body:
        if (
            isinstance(node, ast.ImportFrom)
            and node.module == module
            and any(a.name == old for a in node.names)
        ):
            names = []
            for alias in node.names:
                if alias.name == old:
                    if still_used:
                        names.append(alias)
                    names.append(ast.alias(name=new))
                else:
                    names.append(alias)
            if any(a.name == new for a in node.names):
                names = [a for a in names if a.name != new] + [ast.alias(name=new)]
                names = list({a.name: a for a in names}.values())
            edits.append(
                replace_node(src, node, ast.unparse(ast.ImportFrom(module=module, names=names, level=0)))
            )
            return True
    return False


def _uses(src: Source, name: str, besides: ast.AST) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name and n is not besides for n in ast.walk(src.tree))


def _to_process_pool(src: Source, site: Site, ctx: dict) -> list[Edit]:
    require(guards.pool_swap_problems(src, site, ctx))
    call = site.call
    name = call_name(call)
    edits: list[Edit] = []
    if last(name) == "ThreadPoolExecutor":
        edits.append(_replace_name(src, call.func, "ThreadPoolExecutor", "ProcessPoolExecutor"))
        if isinstance(call.func, ast.Name):
            if not _retarget_import(
                src,
                "concurrent.futures",
                "ThreadPoolExecutor",
                "ProcessPoolExecutor",
                _uses(src, "ThreadPoolExecutor", call.func),
                edits,
            ):
                ensure_imports(src, ["from concurrent.futures import ProcessPoolExecutor"], edits)
    else:  # multiprocessing.pool.ThreadPool -> multiprocessing.Pool
        _swap(src, call.func, "Pool", "from multiprocessing import Pool", edits)
    guard_main(src, edits)
    return edits


def _to_process(src: Source, site: Site, ctx: dict) -> list[Edit]:
    require(guards.thread_swap_problems(src, site, ctx))
    edits: list[Edit] = []
    _swap(src, site.call.func, "Process", "from multiprocessing import Process", edits)
    guard_main(src, edits)
    return edits


def _swap(src: Source, func: ast.AST, name: str, from_import: str, edits: list[Edit]) -> None:
    """Call multiprocessing's `name` instead: bare when the source imports names, dotted otherwise."""
    if isinstance(func, ast.Name):
        edits.append(replace_node(src, func, name))
        ensure_imports(src, [from_import], edits)
    else:
        edits.append(replace_node(src, func, f"multiprocessing.{name}"))
        ensure_imports(src, ["import multiprocessing"], edits)


def _args_text(src: Source, call: ast.Call) -> list[str]:
    parts = [src.segment(a) for a in call.args]
    parts += [
        f"{kw.arg}={src.segment(kw.value)}" if kw.arg else f"**{src.segment(kw.value)}"
        for kw in call.keywords
    ]
    return parts


def _awaited(src: Source, call: ast.Call, text: str) -> str:
    """`await X` in parentheses where the call was the start of a longer primary (f().x, f()[0], f()())."""
    parent = src.parents.get(call)
    inner = isinstance(parent, (ast.Attribute, ast.Subscript)) and parent.value is call
    inner = inner or (isinstance(parent, ast.Call) and parent.func is call)
    return f"(await {text})" if inner else f"await {text}"


def _await_sleep(src: Source, site: Site, ctx: dict) -> list[Edit]:
    require(guards.await_sleep_problems(src, site, ctx))
    call = site.call
    edits = [
        replace_node(
            src, call, _awaited(src, call, "asyncio.sleep(" + ", ".join(_args_text(src, call)) + ")")
        )
    ]
    ensure_imports(src, ["import asyncio"], edits)
    return edits


def _to_thread(src: Source, site: Site, ctx: dict) -> list[Edit]:
    require(guards.to_thread_problems(src, site, ctx))
    call = site.call
    func = src.segment(call.func)
    text = "asyncio.to_thread(" + ", ".join([func, *_args_text(src, call)]) + ")"
    edits = [replace_node(src, call, _awaited(src, call, text))]
    ensure_imports(src, ["import asyncio"], edits)
    return edits


# ---- with lock: held across a slow call -> call first, lock only the update --------------------------------
def _out_of_lock(src: Source, site: Site, ctx: dict) -> list[Edit]:
    with_node, call = site.node, site.call
    stmt = next((s for s in with_node.body if any(n is call for n in ast.walk(s))), None)
    if stmt is None or not isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr, ast.Return)):
        raise NoRewrite("the slow call is nested in control flow under the lock")
    earlier = with_node.body[: with_node.body.index(stmt)]
    stored = {
        n.id for s in earlier for n in ast.walk(s) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }
    if {n.id for n in ast.walk(call) if isinstance(n, ast.Name)} & stored:
        raise NoRewrite("the slow call uses values computed under the lock")
    require(guards.unlock_problems(src, site, ctx))
    indent = src.indent_of(with_node.lineno)
    nl = newline(src)
    movable = isinstance(stmt, ast.Expr) or (
        isinstance(stmt, ast.Assign) and all(isinstance(t, ast.Name) for t in stmt.targets)
    )
    if movable and not _reads_stored(stmt.value, stored):
        hoisted = stmt_text(src, stmt)
        hoisted = reindent(dedent_block(hoisted), indent)
        rest = [s for s in with_node.body if s is not stmt]
        if not rest:
            raise NoRewrite("the lock guards nothing but the slow call")
        edits = [
            Edit(with_node.lineno, with_node.lineno - 1, hoisted),
            Edit(stmt.lineno, stmt.end_lineno, ""),
        ]
        return edits
    var = fresh(src, site.scope, "value")
    hoisted = f"{indent}{var} = {src.segment(call)}{nl}"
    return [Edit(with_node.lineno, with_node.lineno - 1, hoisted), replace_node(src, call, var)]


def _reads_stored(expr: ast.AST, stored: set[str]) -> bool:
    return bool({n.id for n in ast.walk(expr) if isinstance(n, ast.Name)} & stored)


def dedent_block(text: str) -> str:
    lines = text.splitlines(keepends=True)
    width = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
    return "".join(line[width:] if line.strip() else line for line in lines)


def fresh(src: Source, scope: ast.AST | None, base: str) -> str:
    used = {n.id for n in ast.walk(scope or src.tree) if isinstance(n, ast.Name)} | {
        a.arg
        for n in ast.walk(scope or src.tree)
        if isinstance(n, ast.arguments)
        for a in n.args + n.kwonlyargs
    }
    name, i = base, 2
    while name in used:
        name, i = f"{base}{i}", i + 1
    return name


# ---- chunksize ---------------------------------------------------------------------------------------------
def length_expr(src: Source, it: ast.AST) -> str:
    """Source text for len(it): `n` for range(n), `len(items)` otherwise."""
    if isinstance(it, ast.Call) and call_name(it) == "range" and len(it.args) == 1:
        return src.segment(it.args[0])
    return f"len({src.segment(it)})"


def _items(src: Source, it: ast.AST, ctx: dict) -> tuple[int | None, str]:
    """How many items an iterable has: a number when the source or the profile says, else an expression."""
    if isinstance(it, ast.Call) and call_name(it) == "range" and it.args:
        try:
            values = [ast.literal_eval(a) for a in it.args]
            return len(range(*values)), ""
        except (ValueError, TypeError, SyntaxError):
            return ctx.get("tasks") or None, length_expr(src, it)
    if isinstance(it, (ast.List, ast.Tuple)):
        return len(it.elts), ""
    if isinstance(it, (ast.Name, ast.Attribute)):
        return ctx.get("tasks") or None, f"len({src.segment(it)})"
    return ctx.get("tasks") or None, ""


def _workers(src: Source, site: Site) -> tuple[int | None, str]:
    ctor = pool_ctor(src, site.call)
    if ctor is not None:
        arg = next((kw.value for kw in ctor.keywords if kw.arg in ("processes", "max_workers")), None)
        arg = arg if arg is not None else (ctor.args[0] if ctor.args else None)
        if arg is not None:
            try:
                return int(ast.literal_eval(arg)), ""
            except (ValueError, TypeError, SyntaxError):
                return None, src.segment(arg)
    return None, "os.cpu_count()"


def chunksize_for(n_items: int | None, workers: int | None, mean_task_s: float = 0.0) -> int | None:
    """Chunks of at least TARGET_CHUNK_S of work, and at least CHUNKS_PER_WORKER chunks per worker."""
    if not n_items:
        return None
    workers = workers or 1
    cap = max(1, n_items // (workers * CHUNKS_PER_WORKER))
    if mean_task_s > 0:
        return max(1, min(cap, -(-int(TARGET_CHUNK_S * 1e6) // max(1, int(mean_task_s * 1e6)))))
    return cap


def _chunksize(src: Source, site: Site, ctx: dict) -> list[Edit]:
    call = site.call
    n_items, n_expr = _items(src, call.args[1], ctx)
    workers, w_expr = _workers(src, site)
    size = chunksize_for(n_items, workers, ctx.get("mean_task_s", 0.0))
    edits: list[Edit] = []
    if size is not None:
        value = f"{size:_}" if size >= 10_000 else str(size)
    elif n_expr:
        require(guards.sized_problems(src, call.args[1]))
        value = f"max(1, {n_expr} // ({CHUNKS_PER_WORKER} * {workers or w_expr}))"
        if w_expr == "os.cpu_count()" and not workers:
            ensure_imports(src, ["import os"], edits)
    else:
        raise NoRewrite("the number of items is not known")
    chunk = next((kw for kw in call.keywords if kw.arg == "chunksize"), None)
    if chunk is not None:
        edits.insert(0, replace_node(src, chunk.value, value))
    else:
        last_arg = max(
            [*call.args, *(kw.value for kw in call.keywords)], key=lambda n: (n.end_lineno, n.end_col_offset)
        )
        line = src.lines[last_arg.end_lineno - 1]
        col = _col(line, last_arg.end_col_offset)
        edits.insert(
            0,
            Edit(last_arg.end_lineno, last_arg.end_lineno, line[:col] + f", chunksize={value}" + line[col:]),
        )
    return edits


# construct -> its rewrite; change.py adds the loop rewrite (loops.py builds on this module) and picks one
REWRITES = {
    "thread-pool": _to_process_pool,
    "thread": _to_process,
    "sleep-in-async": _await_sleep,
    "blocking-in-async": _to_thread,
    "lock": _out_of_lock,
    "chunksize": _chunksize,
}
