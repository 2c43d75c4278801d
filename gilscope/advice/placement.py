"""Where a pool may be created: only where the code runs once, or every call pays for starting workers.

    runs_once(src, node, measured) -> str       # '' when `node` runs once per run, else why not, one sentence

`measured` maps a function's qualified name to (calls, exact): the most calls any engine saw, and whether
that count is exact (Profile.calls, from the deterministic engines) or a lower bound (Profile.invocations,
from the sampler). A function missing from it is unknown, and the source must show that it is called once:
from one place, not in a loop, by a caller that itself runs once.
"""

from __future__ import annotations

import ast

from gilscope.advice.source import FUNCS, Source, call_name, is_main_guard, last
from gilscope.model import Profile

LOOPS = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
CALLERS_FOLLOWED = 3


Measured = dict[str, tuple[int, bool]]


def measured_calls(profile: Profile | None, path: str) -> Measured:
    """Function (qualified name) in `path` -> (the most separate calls measured, whether the count is exact)."""
    out: Measured = {}
    if profile is None:
        return out
    for counts, exact in ((profile.calls, True), (profile.invocations, False)):
        for index, n in counts.items():
            if 0 <= int(index) < len(profile.frames) and profile.frames[int(index)].file == path:
                name = profile.frames[int(index)].function
                seen, was_exact = out.get(name, (0, False))
                out[name] = (
                    (int(n), True) if exact and not was_exact else (max(seen, int(n)), was_exact or exact)
                )
    return out


def _in_loop(src: Source, node: ast.AST) -> ast.AST | None:
    """The loop around `node` inside its own function (or module), if any."""
    parent = src.parents.get(node)
    while parent is not None and not isinstance(parent, (*FUNCS, ast.Lambda, ast.ClassDef)):
        if isinstance(parent, LOOPS):
            return parent
        parent = src.parents.get(parent)
    return None


def _references(src: Source, fdef: ast.AST) -> tuple[list[ast.Call], list[ast.AST]]:
    """Calls of `fdef` by name (f(...), self.f(...), obj.f(...)) and other mentions of its name."""
    calls, others = [], []
    for node in ast.walk(src.tree):
        if isinstance(node, ast.Call) and last(call_name(node)) == fdef.name:
            calls.append(node)
        elif isinstance(node, ast.Name) and node.id == fdef.name and isinstance(node.ctx, ast.Load):
            if not isinstance(src.parents.get(node), ast.Call) or src.parents[node].func is not node:
                others.append(node)
        elif isinstance(node, ast.Attribute) and node.attr == fdef.name:
            if not isinstance(src.parents.get(node), ast.Call) or src.parents[node].func is not node:
                others.append(node)
    return calls, others


def runs_once(
    src: Source, node: ast.AST, measured: Measured, loops_count: bool = True, depth: int = CALLERS_FOLLOWED
) -> str:
    """'' when the code at `node` runs once per run, else why it may run many times."""
    where = src.statement_of(node) if not isinstance(node, ast.stmt) else node
    loop = _in_loop(src, where) if loops_count else None
    if loop is not None:
        return f"it would sit inside the loop at line {loop.lineno}, which runs it many times"
    fdef = src.function_of(where)
    if fdef is None:
        return ""
    name = src.qualname(fdef)
    count, exact = measured.get(name, measured.get(fdef.name, (0, False)))
    if count > 1:
        return f"{name}() ran {count} times in this run"
    if count == 1 and exact:
        return ""
    if depth <= 0:
        return f"gilscope could not show that {name}() runs only once"
    calls, others = _references(src, fdef)
    if others:
        return f"{name}() is passed around as a value (line {others[0].lineno}), so it may run many times"
    if not calls:
        return f"gilscope found no call of {name}() in this file, so cannot show that it runs only once"
    if len(calls) > 1:
        lines = ", ".join(str(c.lineno) for c in calls[:4])
        return f"{name}() is called from {len(calls)} places (lines {lines})"
    why = runs_once(src, calls[0], measured, True, depth - 1)
    return f"{name}() is called at line {calls[0].lineno}, and {why}" if why else ""


def home_of(src: Source, node: ast.AST) -> str:
    """Where a pool should be created instead: the outermost caller of the function around `node` that
    runs once, named for the message."""
    fdef = src.function_of(node if isinstance(node, ast.stmt) else src.statement_of(node))
    seen = set()
    while fdef is not None and id(fdef) not in seen:
        seen.add(id(fdef))
        calls, _ = _references(src, fdef)
        outer = [src.function_of(c) for c in calls]
        if not outer or any(o is None for o in outer):
            break
        fdef = outer[0]
    if fdef is None or any(is_main_guard(s) and src.parents.get(node) is s for s in src.tree.body):
        return 'once at module level (under `if __name__ == "__main__":`)'
    return f"once, in {src.qualname(fdef)}() or at module level, and pass it to the code that uses it"


def placement_problems(
    src: Source, node: ast.AST, measured: Measured, what: str = "the pool", loops_count: bool = True
) -> list[str]:
    """[] when `what` created at `node` is created once; else what must hold, one sentence."""
    why = runs_once(src, node, measured, loops_count)
    if not why:
        return []
    return [f"{what} must be created once, not on every call: {why}; create it {home_of(src, node)}"]
