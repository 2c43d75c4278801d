import io
import os
import stat
from dataclasses import replace

import pytest

from gilscope.errors import UsageError
from gilscope.outputs import emit_github, write_atomic


def test_write_atomic_creates_and_replaces(tmp_path):
    target = tmp_path / "out.txt"
    write_atomic(target, "one\n")
    assert target.read_text() == "one\n"
    os.chmod(target, 0o640)
    write_atomic(target, "two é\n")
    assert target.read_text(encoding="utf-8") == "two é\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # keeps the file's mode
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]  # no temp file left


def test_write_atomic_error_names_the_path(tmp_path):
    with pytest.raises(UsageError, match=r"cannot write .*missing/out.txt: No such file or directory"):
        write_atomic(tmp_path / "missing" / "out.txt", "x")
    (tmp_path / "dir").mkdir()
    with pytest.raises(UsageError, match="cannot write"):
        write_atomic(tmp_path / "dir", "x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir"]


def test_emit_github_only_on_actions(load_report_fixture, tmp_path):
    out = io.StringIO()
    assert emit_github(load_report_fixture("rich"), env={}, out=out) is False
    assert out.getvalue() == ""


def test_emit_github_prints_annotations_and_appends_summary(load_report_fixture, tmp_path):
    report = load_report_fixture("rich")
    base = report.findings[1]
    many = [replace(base, fingerprint=f"fp{i}", message=f"msg {i}") for i in range(12)]
    report = replace(report, findings=many)
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    out = io.StringIO()
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    assert emit_github(report, env=env, out=out, root="/home/dev/proj") is True
    assert out.getvalue().count("::warning ") == 10
    text = summary.read_text()
    assert text.startswith("earlier step\n## gilscope: 12 findings (12 warnings)")
    assert "### 2 more gilscope findings" in text and "msg 10" in text and "msg 11" in text


def test_emit_github_without_summary_file(load_report_fixture):
    out = io.StringIO()
    assert emit_github(load_report_fixture("rich"), env={"GITHUB_ACTIONS": "true"}, out=out)
    assert out.getvalue().startswith("::error ")
