"""gilscope.gate: loading reports, gating on findings with a baseline, diffing two runs."""

import json
from dataclasses import replace

import pytest

from gilscope.errors import ReportLoadError
from gilscope.gate import diff, gate, hotspot_key, load_report
from gilscope.model import Kind, Severity, dumps


@pytest.mark.parametrize(
    "content, message",
    [
        (
            "{not json",
            "is not valid JSON: Expecting property name enclosed in double quotes at line 1 column 2",
        ),
        ("[1, 2]", "is not a gilscope report"),
        ('{"version": "2.1.0", "runs": []}', "is not a gilscope report"),
        ('{"schema_version": 1, "tool": "other"}', "is not a gilscope report"),
        ('{"schema_version": 99}', "has schema_version 99; this gilscope reads schema_version 1"),
        (
            '{"schema_version": 1, "run": {}}',
            "is not a valid gilscope report: run.argv: Field required (and ",
        ),
        ("", "is not valid JSON"),
    ],
)
def test_load_report_errors_are_one_line_and_name_the_file(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ReportLoadError) as info:
        load_report(path)
    text = str(info.value)
    assert "\n" not in text and text.startswith(str(path)) and message in text


def test_load_report_missing_and_binary(tmp_path):
    with pytest.raises(ReportLoadError, match=r"cannot read .*nope.json: No such file or directory"):
        load_report(tmp_path / "nope.json")
    (tmp_path / "bin.json").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ReportLoadError, match="cannot read"):
        load_report(tmp_path / "bin.json")


def test_load_report_round_trip(fixture_path, load_report_fixture):
    assert load_report(fixture_path("reports/rich.json")) == load_report_fixture("rich")


def test_gate_thresholds(load_report_fixture):
    report = load_report_fixture("rich")  # 1 error, 2 warnings, 2 info
    assert [len(gate(report, s)[1]) for s in (Severity.info, Severity.warning, Severity.error)] == [5, 3, 1]
    assert gate(report, Severity.error)[0] == 1
    assert gate(report, None) == (0, report.findings)
    empty = load_report_fixture("empty")
    assert gate(empty, Severity.info) == (0, [])


def test_baseline_matches_by_fingerprint_even_when_lines_moved(load_report_fixture):
    report = load_report_fixture("rich")
    moved = [replace(f, line=f.line + 30) for f in report.findings]
    baseline = replace(report, findings=moved)
    assert gate(report, Severity.info, baseline) == (0, [])
    older = replace(report, findings=[f for f in report.findings if f.rule != "GS201"])
    code, counted = gate(report, Severity.warning, older)
    assert code == 1 and [f.rule for f in counted] == ["GS201"]
    # each baseline finding absorbs one finding: a second copy of a known finding is new
    twice = replace(report, findings=report.findings + [report.findings[0]])
    assert [f.rule for f in gate(twice, Severity.error, report)[1]] == ["GS301"]


def slowed(report, function, factor=1.0, share=None, kind=None):
    hotspots = []
    for h in report.hotspots:
        if h.function == function:
            h = replace(
                h,
                wall_s=h.wall_s * factor,
                share=share if share is not None else h.share,
                kind=kind or h.kind,
            )
        hotspots.append(h)
    return replace(report, hotspots=hotspots)


def test_diff_same_report_is_clean(load_report_fixture):
    report = load_report_fixture("rich")
    result = diff(report, report, 10)
    assert result.exit_code == 0 and not (result.slower or result.new or result.gone or result.kind_changed)


def test_diff_slower_by_wall_or_share(load_report_fixture):
    old = load_report_fixture("rich")
    result = diff(old, slowed(old, "fetch", factor=1.5), 10)
    (change,) = result.slower
    assert change.key == ('net & "io".py', "fetch") and change.wall_pct == pytest.approx(50)
    assert change.exceeds and result.exit_code == 1 and result.regressions == [change]
    assert diff(old, slowed(old, "fetch", factor=1.05), 10).exit_code == 0
    assert diff(old, slowed(old, "fetch", factor=1.5), 60).exit_code == 0
    by_share = diff(old, slowed(old, "score", share=0.6), 10)
    assert by_share.slower[0].share_pct == pytest.approx(100 / 3) and by_share.exit_code == 1
    faster = diff(old, slowed(old, "score", factor=0.5), 10)
    assert faster.faster[0].key[1] == "score" and faster.exit_code == 0


def test_diff_matches_on_basename_so_moved_checkouts_still_match(load_report_fixture):
    old = load_report_fixture("rich")
    moved = replace(old, hotspots=[replace(h, file="/ci/build/" + hotspot_key(h)[0]) for h in old.hotspots])
    assert diff(old, moved, 10).slower == [] and diff(old, moved, 10).new == []


def test_diff_new_gone_and_kind_changed(load_report_fixture):
    old = load_report_fixture("rich")
    renamed = [replace(h, function="fresh") if h.function == "score" else h for h in old.hotspots]
    result = diff(old, replace(old, hotspots=renamed), 10)
    assert [c.key[1] for c in result.new] == ["fresh"] and [c.key[1] for c in result.gone] == ["score"]
    assert result.new[0].regression_pct == pytest.approx(45) and result.exit_code == 1
    assert diff(old, replace(old, hotspots=renamed), 50).exit_code == 0
    kinds = diff(old, slowed(old, "fetch", kind=Kind.cpu), 10)
    assert [c.key[1] for c in kinds.kind_changed] == ["fetch"] and kinds.exit_code == 0


def test_diff_ignores_noise_under_min_share(load_report_fixture):
    old = load_report_fixture("rich")
    assert (
        diff(old, slowed(old, "weird%name\nline2 [bold]x[/bold] | pipe", factor=3), 10, min_share=0.05).slower
        == []
    )
    assert diff(old, slowed(old, "weird%name\nline2 [bold]x[/bold] | pipe", factor=3), 10).exit_code == 1


def test_load_report_accepts_its_own_json_output(tmp_path, load_report_fixture):
    path = tmp_path / "r.json"
    report = load_report_fixture("rich")
    path.write_text(dumps(report), encoding="utf-8")
    assert load_report(path) == report
    data = json.loads(dumps(report))
    data["hotspots"][0]["share"] = 2
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ReportLoadError, match=r"hotspots\.0\.share: Input should be less than or equal to 1"):
        load_report(path)
