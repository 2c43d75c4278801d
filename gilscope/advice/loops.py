"""Rewrite a loop (for or comprehension) of calls that could overlap as pool.map over the same iterable.

Threads for waits and for native code that releases the GIL, processes for CPU-bound Python; the pool's
size is the one engine/speedup.py predicts for. Loops whose body breaks, returns, yields or sets variables
used after the loop have no mechanical rewrite (NoRewrite): the finding still points at them. Nor do loops
whose task is not shown safe to run elsewhere (guards.py: nothing shared changed, nothing carried between
iterations, importable and picklable for processes) or whose pool would be created on every call.
"""

from __future__ import annotations

import ast
import re

from gilscope.advice.constructs import COMPREHENSIONS, Site
from gilscope.advice.guards import pool_map_problems, step_problems
from gilscope.advice.rewrite import (
    CHUNKS_PER_WORKER,
    Edit,
    NoRewrite,
    apply,
    dedent_block,
    ensure_imports,
    fresh,
    guard_main,
    has_main_guard,
    length_expr,
    newline,
    reindent,
    replace_node,
    require,
)
from gilscope.advice.source import Source, call_name, own_nodes
from gilscope.engine.speedup import IO_POOL_WORKERS


# ---- a loop of calls -> pool.map over the same iterable ---------------------------------------------------
def _pool_ctor(site: Site, ctx: dict, src: Source, edits: list[Edit]) -> str:
    kind = site.extra.get("pool")
    if kind == "process":
        ensure_imports(src, ["from concurrent.futures import ProcessPoolExecutor"], edits)
        return "ProcessPoolExecutor()"
    ensure_imports(src, ["from concurrent.futures import ThreadPoolExecutor"], edits)
    if kind == "native":
        ensure_imports(src, ["import os"], edits)
        return "ThreadPoolExecutor(max_workers=os.cpu_count())"
    waits = ctx.get("waits") or 0
    workers = min(waits, IO_POOL_WORKERS) if waits >= 2 else IO_POOL_WORKERS
    return f"ThreadPoolExecutor(max_workers={workers})"


def _reiterable(it: ast.AST) -> bool:
    return (isinstance(it, ast.Call) and call_name(it) == "range") or isinstance(
        it, (ast.Name, ast.Attribute, ast.List, ast.Tuple)
    )


def _mapped(src: Source, call: ast.Call, target: ast.AST, process: bool) -> str:
    """What to hand pool.map for one call per item: the function itself, a partial, or a lambda."""
    if not isinstance(target, ast.Name):
        raise NoRewrite("the loop unpacks several names per item")
    name = target.id
    func = src.segment(call.func)
    if (
        len(call.args) == 1
        and not call.keywords
        and isinstance(call.args[0], ast.Name)
        and call.args[0].id == name
    ):
        return func
    if any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(call.func)):
        raise NoRewrite("the called function depends on the item")
    if process:
        others = call.args[:-1]
        if (
            call.args
            and isinstance(call.args[-1], ast.Name)
            and call.args[-1].id == name
            and not any(
                isinstance(n, ast.Name) and n.id == name
                for a in [*others, *(k.value for k in call.keywords)]
                for n in ast.walk(a)
            )
        ):
            return (
                "partial("
                + ", ".join(
                    [
                        func,
                        *(src.segment(a) for a in others),
                        *(f"{k.arg}={src.segment(k.value)}" for k in call.keywords if k.arg),
                    ]
                )
                + ")"
            )
        raise NoRewrite("a process pool cannot take a lambda")
    return f"lambda {name}: {src.segment(call)}"


def _wrap(src: Source, stmt: ast.stmt, ctor: str, replaced: Edit) -> Edit:
    """`with CTOR as pool:` around statement `stmt`, whose text already carries `replaced`."""
    lines = src.lines[stmt.lineno - 1 : stmt.end_lineno]
    inner = apply(
        lines, [Edit(replaced.first - stmt.lineno + 1, replaced.last - stmt.lineno + 1, replaced.text)]
    )
    indent = src.indent_of(stmt.lineno)
    nl = newline(src)
    return Edit(
        stmt.lineno, stmt.end_lineno, f"{indent}with {ctor} as pool:{nl}" + reindent("".join(inner), "    ")
    )


def to_pool_map(src: Source, site: Site, ctx: dict) -> list[Edit]:
    loop, call = site.node, site.call
    if not site.extra.get("pool"):
        raise NoRewrite("asyncio rewrite left to the rule docs")
    process = site.extra["pool"] == "process"
    _check(src, site, ctx)
    edits: list[Edit] = []
    ctor = _pool_ctor(site, ctx, src, edits)
    if isinstance(loop, COMPREHENSIONS):
        main = _comprehension(src, loop, call, ctor, process)
    else:
        main = _for_loop(src, loop, call, ctor, process)
    if process:  # spawned workers import the module: guard what it runs
        if site.scope is None and not has_main_guard(src):
            raise NoRewrite(
                "module-level loop",
                [
                    'the loop must sit under `if __name__ == "__main__":` (or in a '
                    "function): worker processes import this module"
                ],
            )
        guard_main(src, edits)
    if "partial(" in main.text:
        ensure_imports(src, ["from functools import partial"], edits)
    if "os.cpu_count()" in main.text:
        ensure_imports(src, ["import os"], edits)
    return [main, *edits]


def _one_call_body(loop: ast.AST, call: ast.Call) -> bool:
    """The loop body is `f(x)` or `out.append(f(x))`: the call is the whole task."""
    if isinstance(loop, COMPREHENSIONS):
        return True
    body = loop.body
    if len(body) != 1 or not isinstance(body[0], ast.Expr) or not isinstance(body[0].value, ast.Call):
        return False
    outer = body[0].value
    return outer is call or (
        isinstance(outer.func, ast.Attribute)
        and outer.func.attr == "append"
        and len(outer.args) == 1
        and outer.args[0] is call
    )


def _check(src: Source, site: Site, ctx: dict) -> None:
    """NoRewrite, with what must hold, unless the task is shown safe to run as pool.map's."""
    loop, call = site.node, site.call
    if not _one_call_body(loop, call):
        if isinstance(loop, ast.For):
            require(step_problems(src, site, ctx))
        return
    target = loop.generators[0].target if isinstance(loop, COMPREHENSIONS) else loop.target
    item = {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    args = [
        a
        for a in [*call.args, *(k.value for k in call.keywords)]
        if not (isinstance(a, ast.Name) and a.id in item)
    ]
    require(pool_map_problems(src, site, ctx, call.func, args))


def _every_item(gen: ast.comprehension, call: ast.Call) -> bool:
    """The call runs for every item: it is the first condition (or its negation), not after a filter."""
    first = gen.ifs[0]
    return first is call or (
        isinstance(first, ast.UnaryOp) and isinstance(first.op, ast.Not) and first.operand is call
    )


def _comprehension(src: Source, comp: ast.AST, call: ast.Call, ctor: str, process: bool) -> Edit:
    if len(comp.generators) != 1 or comp.generators[0].is_async or isinstance(comp, ast.DictComp):
        raise NoRewrite("nested or async comprehension")
    gen = comp.generators[0]
    stmt = src.statement_of(comp)
    if (
        any(isinstance(n, ast.Await) for n in ast.walk(stmt))
        or isinstance(stmt, (ast.For, ast.While, ast.If))
        and stmt.body
        and stmt.body[0].lineno <= comp.end_lineno
    ):
        raise NoRewrite("the comprehension is part of a compound statement header")
    fn = _mapped(src, call, gen.target, process)
    chunk = ""
    if process and _reiterable(gen.iter) and not isinstance(gen.iter, (ast.List, ast.Tuple)):
        chunk = f", chunksize=max(1, {length_expr(src, gen.iter)} // ({CHUNKS_PER_WORKER} * os.cpu_count()))"
    mapped = f"pool.map({fn}, {src.segment(gen.iter)}{chunk})"
    simple = comp.elt is call if not isinstance(comp, ast.DictComp) else False
    if simple and gen.ifs:  # map over the items the condition keeps, filtered in order
        kept = (
            f"({src.segment(gen.target)} for {src.segment(gen.target)} in {src.segment(gen.iter)} "
            + " ".join(f"if {src.segment(cond)}" for cond in gen.ifs)
            + ")"
        )
        mapped = f"pool.map({fn}, {kept}{chunk})"
    if simple:
        new = {ast.ListComp: f"list({mapped})", ast.SetComp: f"set({mapped})"}.get(type(comp), mapped)
    elif gen.ifs and not _every_item(gen, call):
        raise NoRewrite(
            "the condition filters the items",
            [
                f"{src.segment(call)} would run on the items the condition skips: the condition must move into the "
                "iterable first"
            ],
        )
    else:
        if not _reiterable(gen.iter):
            raise NoRewrite("the iterable cannot be walked twice")
        result = fresh(src, src.function_of(comp), "result")
        body = src.segment(comp)
        text = body.replace(src.segment(call), result)
        target = src.segment(gen.target)
        old_for = re.escape(f"for {target} in {src.segment(gen.iter)}")
        new_for = f"for {target}, {result} in zip({src.segment(gen.iter)}, {mapped})"
        text, n = re.subn(old_for, lambda m: new_for, text, count=1)
        if n != 1:
            raise NoRewrite("could not rewrite the comprehension's for clause")
        new = text
    return _wrap(src, stmt, ctor, replace_node(src, comp, new))


_LOOP_EXITS = (
    ast.Break,
    ast.Continue,
    ast.Return,
    ast.Yield,
    ast.YieldFrom,
    ast.Await,
    ast.Global,
    ast.Nonlocal,
)


def _for_loop(src: Source, loop: ast.For, call: ast.Call, ctor: str, process: bool) -> Edit:
    if (
        loop.orelse
        or any(isinstance(n, _LOOP_EXITS) for s in loop.body for n in own_nodes(s))
        or any(isinstance(s, _LOOP_EXITS) for s in loop.body)
    ):
        raise NoRewrite("the loop body breaks, returns or yields")
    indent = src.indent_of(loop.lineno)
    nl = newline(src)
    it = src.segment(loop.iter)
    body = loop.body
    if len(body) == 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Call):
        outer = body[0].value
        if (
            isinstance(outer.func, ast.Attribute)
            and outer.func.attr == "append"
            and len(outer.args) == 1
            and outer.args[0] is call
        ):
            fn = _mapped(src, call, loop.target, process)
            extend = f"{src.segment(outer.func.value)}.extend(pool.map({fn}, {it}))"
            text = f"{indent}with {ctor} as pool:{nl}{indent}    {extend}{nl}"
            return Edit(loop.lineno, loop.end_lineno, text)
        if outer is call:
            fn = _mapped(src, call, loop.target, process)
            text = f"{indent}with {ctor} as pool:{nl}{indent}    list(pool.map({fn}, {it})){nl}"
            return Edit(loop.lineno, loop.end_lineno, text)
    if process or not isinstance(loop.target, ast.Name):
        raise NoRewrite("the loop body does more than one call")
    scope = src.function_of(loop) or src.tree
    stored = {
        n.id for s in body for n in ast.walk(s) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }
    inside = {id(n) for s in body for n in ast.walk(s)}
    used_outside = {
        n.id
        for n in ast.walk(scope)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and id(n) not in inside
    }
    if stored & used_outside:
        raise NoRewrite("the loop body sets variables used after the loop")
    step = fresh(src, scope, "step")
    block = dedent_block(src.text(body[0].lineno, loop.end_lineno))
    text = (
        f"{indent}def {step}({loop.target.id}):{nl}"
        + reindent(block, indent + "    ")
        + f"{indent}with {ctor} as pool:{nl}{indent}    list(pool.map({step}, {it})){nl}"
    )
    return Edit(loop.lineno, loop.end_lineno, text)
