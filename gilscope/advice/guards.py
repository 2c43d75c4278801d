"""What each rewrite needs before it may be shown: the safety checks of safety.py and placement.py, per construct.

Every function returns the problems found (one sentence each, what must hold); rewrite.py and loops.py raise
NoRewrite with them instead of returning a diff.
"""

from __future__ import annotations

import ast

from gilscope.advice.constructs import COMPREHENSIONS, POOL_FEEDERS, Site, _pool_names, _thread_target
from gilscope.advice.placement import placement_problems
from gilscope.advice.safety import Mode, body_problems, call_problems, function_problems, task_problems
from gilscope.advice.source import FUNCS, Source, call_name, last

POOL_USES = POOL_FEEDERS | {"shutdown", "close", "join", "terminate", "__enter__", "__exit__"}
SIZED_CALLS = {"list", "tuple", "sorted", "range", "dict", "set"}


def _measured(ctx: dict) -> dict:
    return ctx.get("measured") or {}


# ---- ThreadPoolExecutor / ThreadPool -> process pool ---------------------------------------------------------
def pool_swap_problems(src: Source, site: Site, ctx: dict) -> list[str]:
    ctor = site.call
    scope = site.scope or src.tree
    names = _pool_names(src, ctor)
    problems: list[str] = []
    if not names:
        problems.append(
            "the pool must be bound by `with ... as pool` or `pool = ...`, so gilscope sees every "
            "task it runs"
        )
    for node in ast.walk(scope):
        if isinstance(node, ast.Name) and node.id in names and isinstance(node.ctx, ast.Load):
            parent = src.parents.get(node)
            if not (isinstance(parent, ast.Attribute) and parent.attr in POOL_USES) and not _is_executor_arg(
                src, node
            ):
                problems.append(
                    f"the pool {node.id} must not be handed to other code (line {node.lineno}): "
                    "gilscope must see every task it runs"
                )
    tasks = 0
    for call in (n for n in ast.walk(scope) if isinstance(n, ast.Call)):
        fed = _feed(src, call, names, ctor)
        if fed is None:
            continue
        func, args = fed
        tasks += 1
        problems += task_problems(src, func, "process", args)
    if not tasks:
        problems.append("gilscope must see the tasks the pool runs (pool.map/submit in the same function)")
    init = next((k.value for k in ctor.keywords if k.arg == "initializer"), None)
    if init is not None:
        problems += task_problems(src, init, "process")
    problems += placement_problems(src, ctor, _measured(ctx), "the process pool")
    return problems


def _is_executor_arg(src: Source, node: ast.Name) -> bool:
    parent = src.parents.get(node)
    return (
        isinstance(parent, ast.Call)
        and last(call_name(parent)) == "run_in_executor"
        and parent.args
        and parent.args[0] is node
    )


def _feed(
    src: Source, call: ast.Call, names: set[str], ctor: ast.Call
) -> tuple[ast.AST, list[ast.AST]] | None:
    """(task, its arguments) when `call` hands work to the pool: pool.map(f, xs), pool.submit(f, a), ..."""
    func = call.func
    if (
        isinstance(func, ast.Attribute)
        and func.attr in POOL_FEEDERS
        and call.args
        and ((isinstance(func.value, ast.Name) and func.value.id in names) or func.value is ctor)
    ):
        return call.args[0], [
            *call.args[1:],
            *(k.value for k in call.keywords if k.arg not in ("chunksize",)),
        ]
    if (
        last(call_name(call)) == "run_in_executor"
        and len(call.args) >= 2
        and isinstance(call.args[0], ast.Name)
        and call.args[0].id in names
    ):
        return call.args[1], list(call.args[2:])
    return None


# ---- threading.Thread -> multiprocessing.Process --------------------------------------------------------------
def thread_swap_problems(src: Source, site: Site, ctx: dict) -> list[str]:
    call = site.call
    target = _thread_target(call)
    args = [k.value for k in call.keywords if k.arg in ("args", "kwargs")] + list(call.args[2:4])
    problems = task_problems(src, target, "process", args)
    problems += placement_problems(src, call, _measured(ctx), "the process", loops_count=False)
    return problems


# ---- coroutines: time.sleep -> await asyncio.sleep, a blocking call -> await asyncio.to_thread --------------------
def awaitable_problems(src: Source, call: ast.Call) -> list[str]:
    """`await` is only valid (and only waits) directly in the coroutine, not in a comprehension or lambda."""
    parent = src.parents.get(call)
    while parent is not None and not isinstance(parent, FUNCS):
        if isinstance(parent, (*COMPREHENSIONS, ast.Lambda)):
            kind = "a lambda" if isinstance(parent, ast.Lambda) else "a comprehension or generator expression"
            return [
                f"{src.segment(call)} must be called directly in the coroutine, not inside {kind} (line "
                f"{parent.lineno}), where it cannot be awaited"
            ]
        parent = src.parents.get(parent)
    if not isinstance(parent, ast.AsyncFunctionDef):
        return [f"{src.segment(call)} must be called directly in an `async def`"]
    return []


def await_sleep_problems(src: Source, site: Site, ctx: dict) -> list[str]:
    problems = awaitable_problems(src, site.call)
    if site.scope is not None and not problems:
        problems += function_problems(src, site.scope, "async")
    return problems


def to_thread_problems(src: Source, site: Site, ctx: dict) -> list[str]:
    call = site.call
    problems = awaitable_problems(src, call)
    func = call.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
    coroutines = [n for n in ast.walk(src.tree) if isinstance(n, ast.AsyncFunctionDef) and n.name == name]
    if coroutines:
        problems.append(
            f"{name}() must not be a coroutine function (`async def` at line {coroutines[0].lineno}): "
            "asyncio.to_thread would return its coroutine unrun"
        )
        return problems
    return problems + call_problems(src, call, "offload")


# ---- with lock: slow() -> slow() before the lock ---------------------------------------------------------------
def unlock_problems(src: Source, site: Site, ctx: dict) -> list[str]:
    with_node, call = site.node, site.call
    problems = call_problems(src, call, "unlocked")
    guarded = set()
    for stmt in with_node.body:
        for node in ast.walk(stmt):
            if isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(
                node.ctx, (ast.Store, ast.Del)
            ):
                guarded.add(ast.unparse(node.value))
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node is not call:
                guarded.add(ast.unparse(node.func.value))
    for arg in [*call.args, *(k.value for k in call.keywords)]:
        for node in ast.walk(arg):
            if isinstance(node, (ast.Name, ast.Attribute)) and ast.unparse(node) in guarded:
                problems.append(
                    f"{src.segment(call)} must not read {ast.unparse(node)}, which the lock guards: "
                    "it now runs without the lock"
                )
    return problems


# ---- pool.map(..., chunksize=) ------------------------------------------------------------------------------
def sized_problems(src: Source, it: ast.AST) -> list[str]:
    """len(it) in a chunksize needs `it` to be a sized collection, not an iterator."""
    if isinstance(it, (ast.List, ast.Tuple, ast.ListComp, ast.SetComp, ast.DictComp)):
        return []
    if isinstance(it, ast.Call) and call_name(it) in SIZED_CALLS:
        return []
    if isinstance(it, ast.Name):
        scope = src.function_of(it) or src.tree
        values = [
            n.value
            for n in ast.walk(scope)
            if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == it.id for t in n.targets)
        ]
        if values and all(not sized_problems(src, v) for v in values):
            return []
    return [
        f"{src.segment(it)} must be a list, tuple or range (len() of it sizes the chunks), not an iterator"
    ]


# ---- a loop of calls -> pool.map ------------------------------------------------------------------------------
def pool_map_problems(src: Source, site: Site, ctx: dict, mapped: ast.AST, args: list[ast.AST]) -> list[str]:
    """The loop at `site`, rewritten to pool.map(`mapped`, ...) with `args` bound by partial/lambda."""
    mode: Mode = "process" if site.extra.get("pool") == "process" else "thread"
    loop = site.node
    problems = task_problems(src, mapped, mode, args if mode == "process" else [])
    if mode != "process":  # a lambda evaluates the other arguments in the workers
        problems += [p for a in args for p in call_problems(src, a, mode)]
    if isinstance(loop, COMPREHENSIONS) and loop.elt is not site.call:
        problems += call_problems(src, loop.elt, mode, exclude=site.call)
    stmt = src.statement_of(loop) if not isinstance(loop, ast.stmt) else loop
    problems += placement_problems(src, stmt, _measured(ctx), "the pool")
    return problems


def step_problems(src: Source, site: Site, ctx: dict) -> list[str]:
    """A for loop whose whole body becomes the mapped step function."""
    mode: Mode = "process" if site.extra.get("pool") == "process" else "thread"
    problems = body_problems(src, site.node, mode)
    problems += placement_problems(src, site.node, _measured(ctx), "the pool")
    return problems


__all__ = [
    "await_sleep_problems",
    "pool_map_problems",
    "pool_swap_problems",
    "sized_problems",
    "step_problems",
    "thread_swap_problems",
    "to_thread_problems",
    "unlock_problems",
]
