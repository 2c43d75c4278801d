"""`gilscope rules list|show|check|facts` through a Typer app that only registers the rules group."""

import json

import pytest
import typer
from typer.testing import CliRunner

from gilscope.cli.rules import register


@pytest.fixture
def invoke():
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """gilscope (test app)."""

    register(app)
    runner = CliRunner()  # click 8.2+: stdout and stderr kept apart
    return lambda *args: runner.invoke(app, ["rules", *args])


def test_list_shows_every_rule(invoke):
    result = invoke("list")
    assert result.exit_code == 0
    for text in ("GS101", "cpu-bound-python", "warning", "GS901", "info"):
        assert text in result.stdout


@pytest.mark.parametrize("key", ["GS301", "gs301", "threads-serialised-by-gil"])
def test_show_by_id_or_name_prints_markdown(invoke, key):
    result = invoke("show", key)
    assert result.exit_code == 0
    assert result.stdout.startswith("# GS301 threads-serialised-by-gil\n")
    assert "## When it fires" in result.stdout


def test_show_json_has_the_model_and_the_markdown(invoke):
    result = invoke("show", "GS701", "--format", "json")
    data = json.loads(result.stdout)
    assert data["id"] == "GS701" and data["strategy"] == "batching"
    assert data["when"]["all"][0] == {
        "any": [
            {"fact": "in_child_process", "eq": True},
            {"fact": "scope", "eq": "run"},
            {"fact": "kind", "in": ["lock", "io"]},
        ]
    }
    assert data["tests"][0]["facts"] == {"scope": "run", "ipc_share": 0.35}
    assert data["markdown"].startswith("# GS701 tiny-tasks-ipc-overhead")


def test_show_unknown_rule_suggests_close_matches(invoke):
    result = invoke("show", "GS31")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("gilscope: error: unknown rule 'GS31'; did you mean GS301")


def test_check_passes_on_builtin_rules(invoke):
    result = invoke("check")
    assert result.exit_code == 0, result.stdout
    assert ", 0 failed" in result.stdout


USER_RULE = (
    'id = "XY001"\nname = "always-quiet"\ntitle = "t"\ncategory = "meta"\nseverity = "info"\n'
    'confidence = "low"\nsince = "1.0"\nstrategy = "none"\nmessage = "m"\n'
    'when = { fact = "kind", eq = "cpu" }\n'
    'docs = { summary = "s", rationale = "r", recommendation = "d", before = "a = 1", after = "a = 2", '
    'references = [{ title = "x", url = "https://example.org" }] }\n'
    'tests = [{ expect = "fires", facts = { kind = "cpu" } }, { expect = "quiet", facts = { kind = "cpu" } }]\n'
)


def test_check_fails_on_a_failing_inline_test(invoke, tmp_path):
    (tmp_path / "XY001-always-quiet.toml").write_text(USER_RULE)
    result = invoke("check", "--rules", str(tmp_path))
    assert result.exit_code == 1
    assert "FAIL XY001 tests[1]: expected quiet but it fired (kind is cpu)" in result.stdout
    assert invoke("show", "XY001", "--rules", str(tmp_path)).exit_code == 0


def test_broken_user_rule_exits_2_with_one_line(invoke, tmp_path):
    (tmp_path / "XY001-always-quiet.toml").write_text(USER_RULE.replace('"kind", eq', '"kinds", eq'))
    for command in ("list", "check"):
        result = invoke(command, "--rules", str(tmp_path))
        assert result.exit_code == 2
        assert result.stderr.count("\n") == 1
        assert "XY001-always-quiet.toml: rule XY001: field 'when.fact': unknown fact 'kinds'" in result.stderr


def test_facts_lists_fields_with_descriptions(invoke):
    result = invoke("facts")
    assert result.exit_code == 0
    assert "share_of_wall" in result.stdout and "hotspot | run" in result.stdout
    assert "the target's exit status" in result.stdout
