"""The sampler thread never imports: a lazy import there, while one of the target's threads imports the same
module, sees it half-initialised and kills the sampler (seen with sysconfig under multiprocessing)."""

import ast
from pathlib import Path

import gilscope.agent

AGENT = Path(gilscope.agent.__file__).parent
# what runs in the sampler thread; module-level code (run at import, in the main thread) may import
SAMPLER_THREAD_MODULES = ["sampler.py", "stacks.py", "procfs.py", "sigterm_rescue.py"]
IMPORT_TIME_FUNCTIONS = {"_gil_holding_pread"}  # called once, at module import


def _lazy_imports(path: Path) -> list[str]:
    found = []
    for func in ast.walk(ast.parse(path.read_text())):
        if (
            isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef))
            and func.name not in IMPORT_TIME_FUNCTIONS
        ):
            found += [
                f"{path.name}:{node.lineno} in {func.name}"
                for node in ast.walk(func)
                if isinstance(node, (ast.Import, ast.ImportFrom))
            ]
    return found


def test_no_function_run_by_the_sampler_thread_imports():
    lazy = [hit for name in SAMPLER_THREAD_MODULES for hit in _lazy_imports(AGENT / name)]
    assert lazy == []


def test_the_check_sees_a_lazy_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    import sysconfig\n    return sysconfig\n")
    assert _lazy_imports(bad) == ["bad.py:2 in f"]
