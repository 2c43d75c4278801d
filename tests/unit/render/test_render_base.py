from types import SimpleNamespace

import pytest

from gilscope.model import Severity, dumps
from gilscope.render import Format, SimpleRuleDoc, guess_format, render, rule_docs
from gilscope.render.base import artifact_uri, clean, clean_block, relative_path, sorted_findings, value_text


@pytest.mark.parametrize(
    "name, fmt",
    [
        ("out.txt", Format.text),
        ("out.md", Format.md),
        ("OUT.HTML", Format.html),
        ("x.htm", Format.html),
        ("r.sarif", Format.sarif),
        ("r.sarif.json", Format.sarif),
        ("r.json", Format.json),
        ("p.speedscope.json", Format.speedscope),
        ("dir.d/report", None),
        ("x.csv", None),
    ],
)
def test_guess_format(name, fmt):
    assert guess_format(name) is fmt


def test_clean_makes_control_characters_visible():
    assert clean("a\nb\r\tc\x1b[31m\u202e") == "a\\nb\\r\\tc\\u001b[31m\\u202e"
    assert clean_block("x\n\ty\\t\x07") == "x\n\ty\\t\\u0007"


def test_relative_path_and_uri(tmp_path):
    assert relative_path("app\\mod.py") == "app/mod.py"
    assert relative_path(str(tmp_path / "a" / "b.py"), tmp_path) == "a/b.py"
    assert relative_path("/elsewhere/b.py", tmp_path, run_cwd="/elsewhere") == "b.py"
    assert relative_path("/elsewhere/b.py", tmp_path) == "/elsewhere/b.py"
    assert artifact_uri('app/net & "io".py') == "app/net%20%26%20%22io%22.py"
    assert artifact_uri("/usr/lib/x y.py", tmp_path) == "file:///usr/lib/x%20y.py"


def test_value_text():
    assert [value_text(v) for v in (4.0, 0.125, 1 / 3, "x")] == ["4", "0.125", "0.3333", "x"]


def test_sorted_findings_most_severe_then_largest_share(load_report_fixture):
    report = load_report_fixture("rich")
    order = [(f.severity.value, f.rule) for f in sorted_findings(report)]
    assert order == [
        ("error", "GS301"),
        ("warning", "GS201"),
        ("warning", "GS501"),
        ("info", "GS102"),
        ("info", "GS901"),
    ]


def test_rule_docs_adapts_engine_like_rules_and_fills_in_from_findings(load_report_fixture):
    engine_like = SimpleNamespace(
        id="GS301",
        name="threads-serialised-by-gil",
        title="T",
        severity=Severity.warning,
        category="gil",
        docs=SimpleNamespace(summary="S"),
    )
    docs = rule_docs([engine_like], load_report_fixture("rich").findings)
    assert [d.id for d in docs] == ["GS102", "GS201", "GS301", "GS501", "GS901"]
    gs301 = docs[2]
    assert (gs301.title, gs301.summary, gs301.category) == ("T", "S", "gil")
    assert gs301.markdown.startswith("# GS301")
    fake = SimpleRuleDoc(id="GS1", name="n", title="t", severity=Severity.info, summary="s", markdown="m")
    assert rule_docs([fake]) == [fake]


def test_rule_docs_from_the_real_engine():
    engine = pytest.importorskip("gilscope.engine", reason="gilscope.engine is not there yet")
    rules = engine.load_rules()
    docs = rule_docs(rules)
    assert [d.id for d in docs] == sorted(r.id for r in rules)
    assert all(d.summary and d.markdown.startswith(f"# {d.id}") for d in docs)


def test_every_format_renders_the_empty_report(load_report_fixture):
    report = load_report_fixture("empty")
    for fmt in Format:
        if fmt is not Format.speedscope:
            assert render(report, fmt).strip()


@pytest.mark.parametrize("fixture", ["rich", "empty"])
def test_json_report_is_the_whole_model_with_the_profile_on_one_line(load_report_fixture, fixture):
    import json

    report = load_report_fixture(fixture)
    text = render(report, Format.json)
    assert json.loads(text) == json.loads(dumps(report))
    profile_lines = [line for line in text.splitlines() if line.startswith('  "profile": ')]
    assert len(profile_lines) == 1 and text.endswith("\n}\n")
    assert text.startswith('{\n  "schema_version": 1,\n')


def test_speedscope_is_compact_utf8_json(load_report_fixture):
    import json

    text = render(load_report_fixture("rich"), Format.speedscope)
    document = json.loads(text)
    assert text == json.dumps(document, separators=(",", ":"), ensure_ascii=False) + "\n"
