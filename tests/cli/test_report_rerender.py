"""`gilscope report` re-renders every format from a saved JSON report, pictures included (issue 16)."""

import json

import pytest
import typer
from typer.testing import CliRunner

from gilscope.cli.reports import register
from gilscope.formats import Format

app = typer.Typer()


@app.callback()
def _root() -> None:
    """A stand-in for gilscope's main app."""


register(app)
runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args], env={"GITHUB_ACTIONS": ""})


@pytest.fixture
def saved(fixture_path):
    return fixture_path("reports/gil_threads.json")


@pytest.mark.parametrize("fmt", list(Format), ids=[f.value for f in Format])
def test_every_format_from_a_saved_report(saved, fmt):
    result = run("report", saved, "--format", fmt.value, "--no-color")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip()
    if fmt is Format.html:  # the pictures come back from the saved profile
        assert 'class="flame"' in result.stdout and 'class="timeline"' in result.stdout
        assert "ThreadPoolExecutor-0_1" in result.stdout.split('class="timeline"')[1]
    if fmt in (Format.json, Format.sarif, Format.speedscope):
        json.loads(result.stdout)


def test_text_options_verbose_threads_and_width(saved):
    short = run("report", saved, "--width", "80").stdout
    assert "ThreadPoolExecutor-0_* ×4" in short and "because" not in short
    assert max(len(line) for line in short.splitlines()) <= 80
    long = run("report", saved, "-v", "--threads", "--width", "80").stdout
    assert "because busy_threads 4 >= 2" in long and "ThreadPoolExecutor-0_3" in long and "×4" not in long


@pytest.mark.parametrize("version", [0, 2, "1"])
def test_other_schema_versions_fail_in_one_line(tmp_path, saved, version):
    data = json.loads(saved.read_text(encoding="utf-8"))
    data["schema_version"] = version
    path = tmp_path / "other.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = run("report", path, "--format", "html")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.output
    assert "schema_version" in result.stderr and "Traceback" not in result.output


def test_a_report_without_a_profile_renders_without_pictures(tmp_path, saved):
    data = json.loads(saved.read_text(encoding="utf-8"))
    data["profile"] = None
    path = tmp_path / "noprofile.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = run("report", path, "--format", "html")
    assert result.exit_code == 0 and "No flame graph: this report has no saved stacks." in result.stdout
    assert "No timeline: this report has no saved profile." in result.stdout


def test_an_older_report_without_later_fields_renders(tmp_path, saved):
    """Schema 1 reports written before optional fields were added (profile.invocations, a stack's c_function)."""
    data = json.loads(saved.read_text(encoding="utf-8"))
    data["profile"].pop("invocations", None)
    for stack in data["profile"]["stacks"]:
        stack.pop("c_function", None)
    path = tmp_path / "older.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = run("report", path, "--format", "html")
    assert result.exit_code == 0 and 'class="flame"' in result.stdout
