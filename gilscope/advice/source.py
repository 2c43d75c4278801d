"""The target's source, parsed once with `ast` (read, never executed), and small questions about it.

A `Source` keeps the lines, the tree, each node's parent and each function's qualified name, so the
matchers in constructs.py can ask "which function is this node in?" and "what does this call call?".
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass, field
from functools import lru_cache

MAX_SOURCE_BYTES = 2_000_000  # larger files are not parsed: advice is not worth a slow report
FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)
SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def last(name: str) -> str:
    """The last dotted part of a name: 'Cache.refresh' -> 'refresh', 'a.<locals>.f' -> 'f'."""
    return str(name or "").replace(":", ".").split(".")[-1].split("(")[0].strip()


@dataclass
class Source:
    path: str
    lines: list[str]  # with their line endings, as difflib wants them
    tree: ast.Module
    parents: dict[ast.AST, ast.AST] = field(default_factory=dict)
    qualnames: dict[ast.AST, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, path: str, text: str) -> Source:
        tree = ast.parse(text, filename=path)
        src = cls(path, text.splitlines(keepends=True), tree)
        for parent in ast.walk(tree):
            for child in ast.iter_child_nodes(parent):
                src.parents[child] = parent
        src._name_scopes(tree, "")
        return src

    def _name_scopes(self, node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                self.qualnames[child] = name
                inner = f"{name}.<locals>." if isinstance(child, FUNCS) else f"{name}."
                self._name_scopes(child, inner)
            else:
                self._name_scopes(child, prefix)

    # ---- navigation ---------------------------------------------------------------------------------
    def function_of(self, node: ast.AST) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        """The innermost def around `node` (lambdas and comprehensions are looked through)."""
        node = self.parents.get(node)
        while node is not None and not isinstance(node, FUNCS):
            node = self.parents.get(node)
        return node

    def qualname(self, node: ast.AST | None) -> str:
        if node is None:
            return "<module>"
        return self.qualnames.get(node, getattr(node, "name", "<module>"))

    def statement_of(self, node: ast.AST) -> ast.stmt:
        while not isinstance(node, ast.stmt):
            node = self.parents[node]
        return node

    def functions(self, name: str) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
        """Defs whose qualified name is `name`, or (failing that) whose last part is."""
        exact = [n for n, q in self.qualnames.items() if isinstance(n, FUNCS) and q == name]
        return exact or [
            n for n, q in self.qualnames.items() if isinstance(n, FUNCS) and n.name == last(name)
        ]

    def segment(self, node: ast.AST) -> str:
        return ast.get_source_segment("".join(self.lines), node) or ""

    def text(self, first: int, last_line: int) -> str:
        """Lines first..last_line (1-based, inclusive)."""
        return "".join(self.lines[first - 1 : last_line])

    def indent_of(self, line: int) -> str:
        text = self.lines[line - 1]
        return text[: len(text) - len(text.lstrip())]

    def module_names(self) -> set[str]:
        """Names bound at module level by imports (`import time` -> time, `from x import y as z` -> z)."""
        names = set()
        for node in self.tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    names.add((alias.asname or alias.name).split(".")[0])
        return names

    def imported_from(self, name: str) -> str:
        """The module `name` was imported from at module level ('sleep' -> 'time'), '' when it was not."""
        for node in ast.walk(self.tree):
            if isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if (alias.asname or alias.name) == name:
                        return node.module or ""
        return ""


def own_nodes(scope: ast.AST):
    """The nodes in `scope`'s body, without descending into nested defs, lambdas or classes."""
    stack = list(ast.iter_child_nodes(scope))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, SCOPES):
            stack.extend(ast.iter_child_nodes(node))


def has_yield(fdef: ast.AST) -> bool:
    """The def is a generator: a yield in its own body (not in a nested def or lambda)."""
    return any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in own_nodes(fdef))


def is_main_guard(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.If)
        and "__name__" in ast.unparse(node.test)
        and "__main__" in ast.unparse(node.test)
    )


def module_bindings(src: Source) -> set[str]:
    """Names bound at module level outside `if __name__ == "__main__":`, i.e. what a worker's import defines."""
    names: set[str] = set()
    stack = list(src.tree.body)
    while stack:
        node = stack.pop()
        if is_main_guard(node):
            continue
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
            stack.extend(n for part in ("body", "orelse", "finalbody") for n in getattr(node, part, []))
            stack.extend(n for h in getattr(node, "handlers", []) for n in h.body)
            if isinstance(node, (ast.For, ast.With)):
                targets = (
                    [node.target] if isinstance(node, ast.For) else [i.optional_vars for i in node.items]
                )
                names.update(
                    n.id for t in targets if t is not None for n in ast.walk(t) if isinstance(n, ast.Name)
                )
        else:
            names.update(
                n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
            )
    return names


def dotted(node: ast.AST) -> str:
    """'time.sleep' for time.sleep, 'pool.map' for pool.map, '' for anything not a dotted name."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    if isinstance(node, ast.Call):  # threading.Lock().acquire -> '().acquire', enough for a last part
        parts.append("()")
        return ".".join(reversed(parts))
    return ""


def call_name(call: ast.Call) -> str:
    return dotted(call.func)


@lru_cache(maxsize=64)
def _load(path: str, mtime_ns: int, size: int) -> Source | None:
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        return Source.parse(path, text)
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError, RecursionError):
        return None


def load(path: str) -> Source | None:
    """The parsed source of a user file, cached per (path, mtime, size); None when it cannot be read."""
    if not path or not path.endswith(".py"):
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    if st.st_size > MAX_SOURCE_BYTES:
        return None
    return _load(os.path.abspath(path), st.st_mtime_ns, st.st_size)
