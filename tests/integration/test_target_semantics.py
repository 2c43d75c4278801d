"""The target sees what it would see under plain `python`, and its output is untouched."""
from tests.integration.conftest import plain

PROBE = '''
import os, sys
print(__name__)
print(sys.argv)
print(sys.path[0])
print(os.getcwd())
print(repr(sys.stdin.read()))
print("spec", __spec__)
print("file", os.path.basename(__file__))
print("gilscope on path", any("gilscope" in p for p in sys.path[1:] if "inject" in p))
'''


def test_script_sees_what_python_shows(tmp_path, profile):
    bare = plain(tmp_path, PROBE, "a", "--json", "x y", stdin="hello\n")
    proc, report = profile(PROBE, "a", "--json", "x y", stdin="hello\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == bare.stdout
    assert report["run"]["exit_code"] == 0
    assert report["run"]["argv"][-3:] == ["a", "--json", "x y"]


def test_module_mode_sees_what_python_m_shows(tmp_path):
    import subprocess
    import sys

    from tests.integration.conftest import _env
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "tool.py").write_text("import sys, os\nprint(__name__, sys.argv[1:], sys.path[0] == os.getcwd())\n")
    bare = subprocess.run([sys.executable, "-m", "pkg.tool", "--flag", "v"], cwd=tmp_path, capture_output=True,
                          text=True, env=_env())
    out = tmp_path / "r.json"
    prof = subprocess.run([sys.executable, "-m", "gilscope", "profile", "-q", "--json", str(out), "-m", "pkg.tool",
                           "--flag", "v"], cwd=tmp_path, capture_output=True, text=True, env=_env())
    assert prof.returncode == 0, prof.stderr
    assert prof.stdout == bare.stdout == "__main__ ['--flag', 'v'] True\n"
    assert out.exists()


def test_exit_status_and_exception_are_recorded(profile):
    proc, report = profile("import sys\nsys.exit(7)\n")
    assert proc.returncode == 3
    assert report["run"]["exit_code"] == 7
    proc, report = profile("def f():\n    raise ValueError('boom')\nf()\n")
    assert proc.returncode == 3
    assert "ValueError: boom" in proc.stderr and "gilscope/agent" not in proc.stderr
    assert report["run"]["exit_code"] == 1
    assert report["run"]["exception"] == "ValueError"
