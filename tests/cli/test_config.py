"""[tool.gilscope] in pyproject.toml: the mini-projects under tests/assets/projects/<case>/, run through the CLI.

`profile` runs in a subprocess (the real entry point, with its early start) in a copy of the project; the
commands on saved reports run through typer's CliRunner in the project folder itself.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import get_args

import pytest
from typer.testing import CliRunner

from gilscope.cli import config as cfg
from gilscope.cli.profile import ProfileOptions
from gilscope.errors import ConfigError

ToolConfig = cfg.tool_config()

PROJECTS = Path(__file__).resolve().parents[1] / "assets" / "projects"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path):
    """project("configured") -> a copy of tests/assets/projects/configured in tmp_path."""

    def copy(name: str) -> Path:
        return Path(shutil.copytree(PROJECTS / name, tmp_path / name))

    return copy


def gilscope(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), GITHUB_ACTIONS="", NO_COLOR="1")
    return subprocess.run(
        [sys.executable, "-m", "gilscope", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def runs(folder: Path) -> int:
    path = folder / "runs.txt"
    return len(path.read_text(encoding="utf-8").splitlines()) if path.exists() else 0


# --- profile, end to end ---------------------------------------------------------------------------------------


def test_config_is_applied(project):
    root = project("configured")
    result = gilscope(root, "profile", "-q", "app.py")
    assert result.returncode == 1, result.stderr  # fail-on = "warning": TEAM001 (a warning) fires
    report = json.loads((root / "gilscope.json").read_text(encoding="utf-8"))
    assert (root / "gilscope.md").read_text(encoding="utf-8").startswith("## gilscope:")
    assert report["run"]["engine"] == "cprofile"
    rules = {f["rule"] for f in report["findings"]}
    assert "TEAM001" in rules  # rules = ["team-rules"], relative to the pyproject
    assert "GS901" not in rules  # ignore = ["too-few-samples"] (a short run)
    assert 1 <= len(report["hotspots"]) <= 3  # max-hotspots = 3
    assert all(h["share"] >= 0.05 for h in report["hotspots"])  # min-share = 0.05
    assert runs(root) == 1


def test_command_line_overrides_config(project):
    root = project("configured")
    result = gilscope(
        root,
        "profile",
        "-q",
        "--engine",
        "auto",
        "--json",
        "mine.json",
        "--fail-on",
        "never",
        "--ignore",
        "TEAM001",
        "app.py",
    )
    assert result.returncode == 0, result.stderr
    assert not (root / "gilscope.json").exists() and (root / "gilscope.md").exists()
    report = json.loads((root / "mine.json").read_text(encoding="utf-8"))
    assert report["run"]["engine"] != "cprofile"
    assert report["run"]["interval_s"] == pytest.approx(0.002)  # interval = 2 still applies
    rules = {f["rule"] for f in report["findings"]}
    assert not rules & {"TEAM001", "GS901"}  # --ignore adds to the config's ignore
    assert runs(root) == 1


def test_config_is_resolved_once_when_typer_runs_the_command(tmp_path):
    """A [tool.gilscope] python leaves the run to typer after the early start resolved the config: the
    resolved options go on to typer's command, so the missing baseline is warned about once, not twice."""
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.gilscope]\nbaseline = "ci/main.json"\npython = {json.dumps(sys.executable)}\n',
        encoding="utf-8",
    )
    (tmp_path / "app.py").write_text("print('ran')\n", encoding="utf-8")
    result = gilscope(tmp_path, "profile", "-q", "app.py")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ran\n"
    assert result.stderr.count("baseline: no file ci/main.json yet") == 1, result.stderr


def test_early_start_runs_the_target_once_with_the_configs_settings(project):
    root = project("early")
    result = gilscope(root, "profile", "-q", "app.py")
    assert result.returncode == 0, result.stderr
    assert json.loads((root / "gilscope.json").read_text(encoding="utf-8"))["run"]["engine"] == "cprofile"
    assert runs(root) == 1


def test_entry_starts_the_target_early_with_the_configs_engine_interval_and_timeout(monkeypatch):
    from gilscope.cli import early as early_start
    from gilscope.collect import launch

    started = []

    class Started:
        proc = None

    monkeypatch.setattr(launch, "start", lambda how, fork=False: started.append(how) or Started())
    monkeypatch.setattr(early_start, "_pass_signals_on", lambda proc: None, raising=False)
    monkeypatch.chdir(PROJECTS / "early")
    early_start.start_early(["profile", "--", "app.py"])
    assert [(s.engine, s.interval_s, s.timeout_s) for s in started] == [("cprofile", 0.002, 30)]
    started.clear()
    early_start.start_early(["profile", "--interval", "3", "--", "app.py"])
    assert [(s.engine, s.interval_s, s.timeout_s) for s in started] == [("cprofile", 0.003, 30)]


@pytest.mark.parametrize("case", ["bad-fail-on", "unknown-key", "wrong-type", "outside-table"])
def test_no_early_start_on_a_bad_config(monkeypatch, case):
    from gilscope.cli import early as early_start
    from gilscope.collect import launch

    monkeypatch.setattr(
        launch, "start", lambda how, fork=False: pytest.fail("started the target on a bad config")
    )
    monkeypatch.chdir(PROJECTS / case)
    early_start.start_early(["profile", "--", str(PROJECTS / "early" / "app.py")])


@pytest.mark.parametrize(
    "case, message",
    [
        (
            "bad-fail-on",
            "pyproject.toml: [tool.gilscope] fail-on: 'warn' is not one of info, warning, error, never",
        ),
        ("unknown-key", "pyproject.toml: [tool.gilscope] fail_on: unknown key; did you mean fail-on?"),
        ("wrong-type", "pyproject.toml: [tool.gilscope] interval: expected a number, got 'fast'"),
        ("outside-table", "pyproject.toml: [tool.gilscope] must be a table, not 'strict'"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_key_and_nothing_runs(project, case, message):
    root = project(case)
    shutil.copy(PROJECTS / "early" / "app.py", root / "app.py")
    result = gilscope(root, "profile", "app.py")
    assert result.returncode == 2
    assert result.stderr == f"gilscope: error: {message}\n"
    assert runs(root) == 0


def test_config_flag_reads_another_file_and_needs_the_table(project, tmp_path):
    root = project("early")
    result = gilscope(
        tmp_path,
        "profile",
        "-q",
        "--config",
        str(PROJECTS / "bad-fail-on" / "pyproject.toml"),
        str(root / "app.py"),
    )
    assert result.returncode == 2 and "fail-on: 'warn' is not one of" in result.stderr
    (tmp_path / "plain.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    result = gilscope(tmp_path, "profile", "--config", "plain.toml", str(root / "app.py"))
    assert (result.returncode, result.stderr) == (
        2,
        "gilscope: error: plain.toml: no [tool.gilscope] table\n",
    )
    assert runs(tmp_path) == 0


# --- check, report and rules on the config --------------------------------------------------------------------


def invoke(*args: str):
    from gilscope.cli.app import app

    return CliRunner().invoke(app, list(args), env={"GITHUB_ACTIONS": ""})


def test_check_takes_fail_on_and_ignore_from_the_nearest_pyproject(monkeypatch, fixture_path):
    rich = str(fixture_path("reports/rich.json"))  # findings: GS301 error, two warnings, two infos
    monkeypatch.chdir(PROJECTS / "nested" / "sub")  # ../pyproject.toml: fail-on = "error", ignore = ["GS301"]
    result = invoke("check", rich)
    assert result.exit_code == 0, result.output
    assert "OK: 0 findings at or above error" in result.stdout
    result = invoke("check", rich, "--fail-on", "warning")  # the command line wins
    assert result.exit_code == 1 and "GS301" not in result.stdout and "GS201" in result.stdout


def test_check_reports_a_bad_config(monkeypatch, fixture_path):
    monkeypatch.chdir(PROJECTS / "wrong-type")
    result = invoke("check", str(fixture_path("reports/rich.json")))
    assert result.exit_code == 2
    assert "pyproject.toml: [tool.gilscope] interval: expected a number, got 'fast'" in result.stderr


def test_rules_commands_load_the_configs_rule_folders_once(monkeypatch):
    monkeypatch.chdir(PROJECTS / "configured")
    assert "TEAM001" in invoke("rules", "list").stdout
    result = invoke("rules", "check", "--rules", "team-rules")  # the same folder twice is loaded once
    assert result.exit_code == 0, result.output
    assert invoke("rules", "show", "every-run").stdout.startswith("# TEAM001 every-run")


# --- the config module ----------------------------------------------------------------------------------------


def test_nearest_pyproject_wins_and_paths_are_relative_to_it(monkeypatch):
    monkeypatch.chdir(PROJECTS / "nested" / "sub")
    config = cfg.load_config()
    assert config.source == PROJECTS / "nested" / "pyproject.toml"
    assert config.value("fail_on") == "error" and config.ignore == ["GS301"]
    monkeypatch.chdir(PROJECTS / "configured")
    assert cfg.load_config().rule_dirs == [Path("team-rules")]


def test_no_table_or_no_pyproject_means_the_built_in_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cfg.find_pyproject() in (None, *[p / "pyproject.toml" for p in tmp_path.parents])
    config = cfg.Config()
    options = cfg.resolve_profile(ProfileOptions(target=["app.py"]), config)
    assert (options.engine, options.interval_s, options.timeout_s, options.fail_on) == (
        "auto",
        0.005,
        None,
        None,
    )
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "gilscope-user"\n', encoding="utf-8")
    assert cfg.load_config() == cfg.Config()


def test_resolve_profile_precedence(monkeypatch):
    monkeypatch.chdir(PROJECTS / "configured")
    config = cfg.load_config()
    options = cfg.resolve_profile(ProfileOptions(target=["app.py"]), config)
    assert (options.engine, options.interval_s, options.timeout_s, options.stop_is_timeout) == (
        "cprofile",
        0.002,
        30,
        True,
    )
    assert (options.fail_on, options.min_share, options.max_hotspots) == ("warning", 0.05, 3)
    assert options.outputs == {
        "json": Path("gilscope.json"),
        "md": Path("gilscope.md"),
        "html": None,
        "sarif": None,
        "speedscope": None,
    }
    given = ProfileOptions(
        target=["app.py"],
        engine="yappi",
        interval_s=0.01,
        timeout_s=2.0,
        stop_is_timeout=False,
        fail_on="error",
        ignore=["GS101"],
        rule_dirs=[Path("team-rules")],
        outputs={"json": Path("x.json")},
    )
    options = cfg.resolve_profile(given, config)
    assert (
        options.engine,
        options.interval_s,
        options.timeout_s,
        options.stop_is_timeout,
        options.fail_on,
    ) == ("yappi", 0.01, 2.0, False, "error")  # --duration 2 stays a duration
    assert options.ignore == ["too-few-samples", "GS101"] and options.rule_dirs == [Path("team-rules")]
    assert options.outputs["json"] == Path("x.json") and options.outputs["md"] == Path("gilscope.md")


def test_a_baseline_that_does_not_exist_yet_is_left_out_with_a_warning(tmp_path, monkeypatch, capsys):
    (tmp_path / "pyproject.toml").write_text('[tool.gilscope]\nbaseline = "ci/main.json"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert cfg.load_config().path("baseline") is None
    assert capsys.readouterr().err == (
        "gilscope: warning: pyproject.toml: [tool.gilscope] baseline: no file "
        "ci/main.json yet; every finding counts\n"
    )
    (tmp_path / "ci").mkdir()
    (tmp_path / "ci" / "main.json").write_text("{}", encoding="utf-8")
    assert cfg.load_config().path("baseline") == Path("ci/main.json")


@pytest.mark.parametrize(
    "table, message",
    [
        ({"interval": 0.1}, "interval: 0.1 should be greater than or equal to 0.5"),
        ({"ignore": "GS101"}, "ignore: expected a list of strings, got 'GS101'"),
        ({"rules": ["ok", 3]}, "rules[1]: expected a string, got 3"),
        ({"max-hotspots": True}, "max-hotspots: expected an integer, got true"),
        ({"engine": "fast"}, "engine: 'fast' is not one of auto, sampler, cprofile, yappi, pyspy"),
        (
            {"colour": "red"},
            "colour: unknown key (known: baseline, engine, fail-on, html, ignore, interval, json, "
            "markdown, max-hotspots, min-share, python, rules, sarif, speedscope, timeout)",
        ),
    ],
)
def test_validation_messages(table, message):
    with pytest.raises(ConfigError) as err:
        cfg._validate(table, Path("pyproject.toml").absolute())
    assert str(err.value) == f"pyproject.toml: [tool.gilscope] {message}"


def test_the_model_offers_the_clis_choices():
    from gilscope.cli.reports import FailOn as CheckFailOn
    from gilscope.formats import Engine

    fields = ToolConfig.model_fields
    assert get_args(get_args(fields["engine"].annotation)[0]) == tuple(Engine)
    assert set(get_args(get_args(fields["fail_on"].annotation)[0])) == {
        member.value for member in CheckFailOn
    }
    assert set(cfg.OUTPUT_KEYS.values()) <= set(ToolConfig.model_fields)


def test_the_readme_example_is_a_valid_config():
    import re
    import tomllib

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```toml\n(\[tool\.gilscope\]\n.*?)```", readme, re.S)
    assert block, "README.md has no [tool.gilscope] example"
    table = tomllib.loads(block.group(1))["tool"]["gilscope"]
    assert set(table) == {field.alias for field in ToolConfig.model_fields.values()} - {
        "markdown",
        "html",
        "speedscope",
    }
    ToolConfig.model_validate(table)
