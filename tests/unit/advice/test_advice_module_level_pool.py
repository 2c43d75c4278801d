"""A thread pool at module level, rewritten to a process pool: the constructor change goes inside the
__main__ guard that the rewrite adds, and the import stays defined (realworld.py found a diff that nested a
ProcessPoolExecutor around the old ThreadPoolExecutor and dropped its import: NameError)."""

import subprocess
import sys

import pytest

from gilscope.advice import NoRewrite, undefined_names
from gilscope.advice.rewrite import Edit, apply
from gilscope.model import Strategy
from tests.unit.advice.advice_support import advise, write

MODULE_LEVEL = """
from concurrent.futures import ThreadPoolExecutor
import json


def roundtrip(n):
    return len(json.dumps({"n": n})) + n


with ThreadPoolExecutor(max_workers=4) as pool:
    for value in pool.map(roundtrip, range(6)):
        print(value)
"""


def test_module_level_pool_is_guarded_and_runs(tmp_path):
    file = write(tmp_path, MODULE_LEVEL)
    _, _, _, diff, new_text = advise(file, "roundtrip", Strategy.multiprocessing)
    assert new_text.count("PoolExecutor(") == 1, new_text
    assert 'if __name__ == "__main__":\n    with ProcessPoolExecutor(max_workers=4) as pool:' in new_text
    patched = tmp_path / "patched.py"
    patched.write_text(new_text)
    before = subprocess.run([sys.executable, file], capture_output=True, text=True, timeout=60)
    after = subprocess.run([sys.executable, str(patched)], capture_output=True, text=True, timeout=60)
    assert after.returncode == 0, after.stderr
    assert after.stdout == before.stdout


def test_overlapping_edits_are_refused():
    with pytest.raises(NoRewrite):
        apply(["a\n", "b\n", "c\n"], [Edit(1, 2, "x\n"), Edit(2, 3, "y\n")])


def test_undefined_names():
    assert undefined_names("from m import a\nprint(a(b))\n") == {"b"}
    assert undefined_names("def f(x):\n    return x + y\ny = 1\n") == set()
    assert undefined_names("from m import *\nprint(q)\n") == set()
