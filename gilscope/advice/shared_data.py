"""Per-thread data for threads that all update one shared object (free-threaded builds, GS303/GS304).

Each call of the function fills a part of its own and merges it into the shared object once, under a lock, when
it is done. Shown only for the shapes whose merge gives the same result as the shared updates did: counters
(`d[k] = d.get(k, 0) + n`, or `d[k] += n` on a Counter or defaultdict(int)), list.append and set.add, on a
module-level object that the function touches nowhere else.
"""

from __future__ import annotations

import ast

from gilscope.advice.constructs import Site
from gilscope.advice.rewrite import Edit, NoRewrite, ensure_imports, fresh, newline
from gilscope.advice.source import Source, call_name, last

_COUNTER_INITS = {"dict", "Counter", "defaultdict"}  # (defaultdict only with int)
_ADDING_INITS = {"Counter", "defaultdict"}  # where d[k] += n works on a missing key
CALLS_PER_THREAD = 4  # more measured calls than this per thread: the merge would run per item, not per thread


def to_private_part(src: Source, site: Site, ctx: dict) -> list[Edit]:
    stmt, fdef = site.node, site.scope
    if fdef is None:
        raise NoRewrite("the update runs at module level", ["the update must run in the threads' function"])
    form, name = _form(stmt)
    init = _module_init(src, name)
    if init is None:
        raise NoRewrite(
            f"{name} is not created once at module level",
            [f"{name} must be a module-level dict, list or set that the threads share"],
        )
    _check_init(form, name, init)
    _check_function(src, fdef, stmt, name, ctx)
    nl = newline(src)
    part = fresh(src, fdef, f"{name}_part")
    lock = fresh(src, None, f"{name}_lock")
    body_indent = src.indent_of(_first_statement(fdef).lineno)
    edits = [
        Edit(init.end_lineno + 1, init.end_lineno, f"{lock} = threading.Lock(){nl}"),
        Edit(
            _first_statement(fdef).lineno,
            _first_statement(fdef).lineno - 1,
            f"{body_indent}{part} = {src.segment(init.value)}{nl}",
        ),
        Edit(stmt.lineno, stmt.end_lineno, _renamed(src, stmt, name, part)),
    ]
    merge = _merge(form, name, part, fresh(src, fdef, "key"), fresh(src, fdef, "value"))
    text = f"{body_indent}with {lock}:{nl}" + "".join(f"{body_indent}    {line}{nl}" for line in merge)
    edits.append(Edit(fdef.end_lineno + 1, fdef.end_lineno, text))
    ensure_imports(src, ["import threading"], edits)
    return edits


def _form(stmt: ast.stmt) -> tuple[str, str]:
    """("counter" | "counter+=" | "append" | "add", the shared object's name), or NoRewrite."""
    shapes = [
        "`d[k] = d.get(k, 0) + n` (or `d[k] += n` on a Counter)",
        "`items.append(x)`",
        "`seen.add(x)`",
    ]
    unknown = NoRewrite(
        "no per-thread rewrite for this statement",
        [f"a per-thread part is shown for {', '.join(shapes)}; merge other updates by hand"],
    )
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target = stmt.targets[0]
        if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
            name = target.value.id
            value = stmt.value
            if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add):
                for get, rest in ((value.left, value.right), (value.right, value.left)):
                    if _is_get_zero(get, name, target.slice) and not _mentions(rest, name):
                        return "counter", name
        raise unknown
    if isinstance(stmt, ast.AugAssign) and isinstance(stmt.op, ast.Add):
        target = stmt.target
        if (
            isinstance(target, ast.Subscript)
            and isinstance(target.value, ast.Name)
            and not _mentions(stmt.value, target.value.id)
            and not _mentions(target.slice, target.value.id)
        ):
            return "counter+=", target.value.id
        raise unknown
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        call = stmt.value
        func = call.func
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.attr in ("append", "add")
            and len(call.args) == 1
            and not call.keywords
            and not _mentions(call.args[0], func.value.id)
        ):
            return func.attr, func.value.id
    raise unknown


def _is_get_zero(node: ast.AST, name: str, key: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == name
        and len(node.args) == 2
        and not node.keywords
        and ast.dump(node.args[0]) == ast.dump(key)
        and isinstance(node.args[1], ast.Constant)
        and node.args[1].value == 0
        and not _mentions(key, name)
    )


def _mentions(node: ast.AST, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node))


def _module_init(src: Source, name: str) -> ast.Assign | None:
    """The one module-level `name = ...`, when nothing else in the file rebinds it."""
    found = [
        node
        for node in src.tree.body
        if isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
        and node.targets[0].id == name
    ]
    if len(found) != 1:
        return None
    for node in ast.walk(src.tree):
        if isinstance(node, ast.Global) and name in node.names:
            return None
    return found[0]


def _check_init(form: str, name: str, init: ast.Assign) -> None:
    value = init.value
    kind = ""
    if isinstance(value, ast.Dict) and not value.keys:
        kind = "dict"
    elif isinstance(value, ast.List) and not value.elts:
        kind = "list"
    elif isinstance(value, ast.Call) and not value.keywords:
        ctor = last(call_name(value))
        if ctor in ("dict", "Counter", "list", "set") and not value.args:
            kind = ctor
        elif ctor == "defaultdict" and len(value.args) == 1 and ast.unparse(value.args[0]) == "int":
            kind = "defaultdict"
    wanted = {
        "counter": _COUNTER_INITS,
        "counter+=": _ADDING_INITS,
        "append": {"list"},
        "add": {"set"},
    }[form]
    if form == "counter+=" and kind == "dict":
        raise NoRewrite(
            f"{name} is a plain dict",
            [
                f"`{name}[k] += n` on an empty part per thread needs a Counter or defaultdict(int) (a plain dict "
                "raises KeyError on a new key)"
            ],
        )
    if kind not in wanted:
        raise NoRewrite(
            f"{name} starts as {ast.unparse(value)}, not an empty {' or '.join(sorted(wanted))}",
            [f"a part per thread is merged into {name} only when {name} starts empty"],
        )


def _check_function(src: Source, fdef: ast.AST, stmt: ast.stmt, name: str, ctx: dict) -> None:
    problems = []
    own = {id(n) for n in ast.walk(stmt)}
    if any(isinstance(n, ast.Name) and n.id == name and id(n) not in own for n in ast.walk(fdef)):
        problems.append(
            f"{fdef.name}() uses {name} elsewhere too: it would see its own part only merged at the end"
        )
    if any(isinstance(n, (ast.Return, ast.Yield, ast.YieldFrom, ast.Await, ast.Try)) for n in ast.walk(fdef)):
        problems.append(
            f"{fdef.name}() returns early, yields or catches exceptions: the merge must run on every way out"
        )
    if not _in_loop(src, stmt, fdef):
        problems.append(
            f"the update is not in a loop of {fdef.name}(): its callers' loop is where a part per thread goes"
        )
    calls, _exact = ctx.get("measured", {}).get(src.qualname(fdef), (0, False))
    threads = int(ctx.get("threads") or 0)
    if threads and calls > CALLS_PER_THREAD * threads:
        problems.append(
            f"{fdef.name}() ran {calls} times in {threads} threads: a part per call would be merged per call, "
            "and the threads would queue on the merge instead"
        )
    if problems:
        raise NoRewrite("the per-thread change is not shown to be safe", problems)


def _in_loop(src: Source, stmt: ast.stmt, fdef: ast.AST) -> bool:
    node = src.parents.get(stmt)
    while node is not None and node is not fdef:
        if isinstance(node, (ast.For, ast.While, ast.AsyncFor)):
            return True
        node = src.parents.get(node)
    return False


def _first_statement(fdef) -> ast.stmt:
    body = fdef.body
    first = body[0]
    if (
        len(body) > 1
        and isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        return body[1]  # after the docstring
    return first


def _renamed(src: Source, stmt: ast.stmt, name: str, part: str) -> str:
    """The statement's lines with every `name` in it replaced by `part`, the rest as written."""
    lines = src.lines[stmt.lineno - 1 : stmt.end_lineno]
    names = sorted(
        (n for n in ast.walk(stmt) if isinstance(n, ast.Name) and n.id == name),
        key=lambda n: (n.lineno, n.col_offset),
        reverse=True,
    )
    for node in names:
        row = node.lineno - stmt.lineno
        raw = lines[row].encode("utf-8")
        start, end = node.col_offset, node.end_col_offset
        lines[row] = (raw[:start] + part.encode("utf-8") + raw[end:]).decode("utf-8")
    return "".join(lines)


def _merge(form: str, name: str, part: str, key: str, value: str) -> list[str]:
    if form in ("counter", "counter+="):
        return [
            f"for {key}, {value} in {part}.items():",
            f"    {name}[{key}] = {name}.get({key}, 0) + {value}",
        ]
    if form == "append":
        return [f"{name}.extend({part})"]
    return [f"{name}.update({part})"]
