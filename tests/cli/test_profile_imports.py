"""`gilscope profile` builds, checks and writes its report without pydantic (~0.12 s of start-up): the models
are plain dataclasses and pydantic only validates what is read back. -X importtime lists every module the
gilscope process imports; the rules come from their cache after the first run."""

import os
import subprocess
import sys

import pytest


def _imported(tmp_path, *args: str) -> set[str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "gilscope", "profile", "-q", *args, "app.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return {
        line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")
    }


@pytest.mark.parametrize("outputs", [(), ("--json", "r.json", "--markdown", "r.md", "--sarif", "r.sarif")])
def test_a_profile_run_never_imports_pydantic(tmp_path, outputs):
    (tmp_path / "app.py").write_text("print(sum(i * i for i in range(200_000)))\n")
    _imported(tmp_path)  # fills the rules cache
    modules = _imported(tmp_path, *outputs)
    assert "gilscope.pipeline" in modules  # the listing is of the gilscope process
    assert not {m for m in modules if m.split(".")[0] in ("pydantic", "pydantic_core")}
    for name in outputs[1::2]:
        assert (tmp_path / name).stat().st_size > 0
