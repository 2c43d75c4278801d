"""`gilscope report|check|diff` through typer's CliRunner on a small app they register into."""

import json
from dataclasses import replace

import pytest
import typer
from typer.testing import CliRunner

from gilscope.cli.reports import register
from gilscope.model import Report, dumps

app = typer.Typer()


@app.callback()
def _root() -> None:
    """A stand-in for gilscope's main app."""


register(app)
runner = CliRunner()


def run(*args, env=None):
    return runner.invoke(app, [str(a) for a in args], env=env or {"GITHUB_ACTIONS": ""})


@pytest.fixture
def rich(fixture_path):
    return fixture_path("reports/rich.json")


@pytest.fixture
def empty(fixture_path):
    return fixture_path("reports/empty.json")


def save(tmp_path, report: Report, name="new.json"):
    path = tmp_path / name
    path.write_text(dumps(report), encoding="utf-8")
    return path


def test_report_defaults_to_text_on_stdout(rich):
    result = run("report", rich)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("gilscope 0.1.0: app.py") and "\x1b[" not in result.stdout


@pytest.mark.parametrize(
    "name, check",
    [
        ("out.sarif", lambda t: json.loads(t)["version"] == "2.1.0"),
        ("out.html", lambda t: t.startswith("<!DOCTYPE html>")),
        ("out.md", lambda t: t.startswith("## gilscope:")),
        ("out.json", lambda t: json.loads(t)["schema_version"] == 1),
        ("out.speedscope.json", lambda t: json.loads(t)["profiles"][0]["type"] == "sampled"),
        ("out.txt", lambda t: t.startswith("gilscope 0.1.0: ")),
    ],
)
def test_report_guesses_format_from_output_name_and_writes_atomically(tmp_path, rich, name, check):
    result = run("report", rich, "-o", tmp_path / name)
    assert result.exit_code == 0, result.output
    assert check((tmp_path / name).read_text(encoding="utf-8"))
    assert [p.name for p in tmp_path.iterdir()] == [name]
    assert "gilscope: wrote" in result.stderr


def test_report_explicit_format_wins(tmp_path, rich):
    result = run("report", rich, "--format", "md", "-o", tmp_path / "x.html")
    assert result.exit_code == 0 and (tmp_path / "x.html").read_text().startswith("## gilscope")


def test_report_unknown_extension_is_a_usage_error(tmp_path, rich):
    result = run("report", rich, "-o", tmp_path / "x.bin")
    assert result.exit_code == 2
    assert result.stderr.startswith("gilscope: error: cannot tell the format from the name")


def test_report_speedscope_without_profile(empty):
    result = run("report", empty, "--format", "speedscope")
    assert result.exit_code == 2 and "no saved profile" in result.stderr


@pytest.mark.parametrize("command", ["report", "check"])
def test_malformed_json_exits_2_with_one_line(tmp_path, command):
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema_version": 1, "run": ', encoding="utf-8")
    result = run(command, bad)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"gilscope: error: {bad} is not valid JSON")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output


def test_missing_file_and_foreign_json(tmp_path):
    result = run("check", tmp_path / "nope.json")
    assert result.exit_code == 2 and "cannot read" in result.stderr
    sarif = tmp_path / "x.sarif"
    sarif.write_text('{"version": "2.1.0", "runs": []}')
    result = run("diff", sarif, sarif)
    assert result.exit_code == 2 and "is not a gilscope report" in result.stderr


def test_check_exit_codes(rich, empty):
    assert run("check", empty).exit_code == 0
    failing = run("check", rich)
    assert failing.exit_code == 1
    assert "gilscope check: FAIL: 3 findings at or above warning" in failing.stdout
    assert "app/work.py:12: error GS301 score keeps 4 threads busy" in failing.stdout
    assert run("check", rich, "--fail-on", "error").exit_code == 1
    assert run("check", rich, "--fail-on", "never").exit_code == 0
    assert run("check", rich, "--fail-on", "bogus").exit_code == 2


def test_check_with_baseline(tmp_path, rich, load_report_fixture):
    report = load_report_fixture("rich")
    assert run("check", rich, "--fail-on", "info", "--baseline", rich).exit_code == 0
    older = save(tmp_path, replace(report, findings=report.findings[:1]), "old.json")
    result = run("check", rich, "--baseline", older)
    assert result.exit_code == 1 and "FAIL: 2 new findings at or above warning" in result.stdout
    assert "GS301" not in result.stdout
    assert run("check", rich, "--fail-on", "error", "--baseline", older).exit_code == 0


def test_check_on_github_actions_annotates_new_findings_only(tmp_path, rich, load_report_fixture):
    report = load_report_fixture("rich")
    older = save(tmp_path, replace(report, findings=report.findings[:1]), "old.json")
    summary = tmp_path / "summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    result = run("check", rich, "--baseline", older, env=env)
    assert result.exit_code == 1
    annotations = [line for line in result.stdout.splitlines() if line.startswith("::")]
    assert [a.split(" ")[0] for a in annotations] == ["::warning", "::warning"]
    assert summary.read_text().startswith("## gilscope: 2 findings")


def test_diff_exit_codes(tmp_path, rich, load_report_fixture):
    report = load_report_fixture("rich")
    same = run("diff", rich, rich)
    assert same.exit_code == 0 and "gilscope diff: OK" in same.stdout
    slower = [replace(h, wall_s=h.wall_s * 1.5) if h.function == "fetch" else h for h in report.hotspots]
    new = save(tmp_path, replace(report, hotspots=slower))
    result = run("diff", rich, new)
    assert result.exit_code == 1
    assert 'fetch (net & "io".py): wall 1.000 -> 1.500 s (+50.0%)' in result.stdout
    assert "REGRESSION" in result.stdout and "FAIL: 1 hotspot slower by more than 10%" in result.stdout
    assert run("diff", rich, new, "--max-regression", "60").exit_code == 0
    assert run("diff", rich, new, "--max-regression", "-1").exit_code == 2
