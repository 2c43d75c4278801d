import json
from dataclasses import replace

import pytest

from gilscope.model import Severity
from gilscope.render import Format, SimpleRuleDoc, render
from gilscope.render.sarif import FINGERPRINT_KEY, sarif_log

ROOT = "/home/dev/proj"


def doc(id_, severity=Severity.warning, **kw):
    return SimpleRuleDoc(
        id=id_,
        name=f"rule-{id_.lower()}",
        title=f"title {id_}",
        severity=severity,
        summary=f"summary {id_}",
        markdown=f"# {id_}\n\nbody",
        **kw,
    )


@pytest.fixture
def log(load_report_fixture):
    rules = [doc("GS999", Severity.info), doc("GS301", Severity.error, category="gil"), doc("GS001")]
    return sarif_log(load_report_fixture("rich"), rules=rules, root=ROOT)


def test_required_top_level_properties(log):
    assert log["$schema"].endswith("sarif-2.1.0.json") and log["version"] == "2.1.0"
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "gilscope" and driver["version"] == "0.1.0"
    assert driver["informationUri"].startswith("https://")


def test_one_descriptor_per_rule_in_stable_order_with_required_fields(log):
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    # every given rule, plus stand-ins for rules only the findings name, sorted by id
    assert [r["id"] for r in rules] == ["GS001", "GS102", "GS201", "GS301", "GS501", "GS901", "GS999"]
    for r in rules:
        for key in ("shortDescription", "fullDescription", "help"):
            assert r[key]["text"].strip()
        assert r["defaultConfiguration"]["level"] in {"note", "warning", "error"}
        assert "performance" in r["properties"]["tags"]
    gs301 = rules[3]
    assert gs301["name"] == "rule-gs301" and gs301["help"]["markdown"] == "# GS301\n\nbody"
    assert gs301["defaultConfiguration"]["level"] == "error" and gs301["properties"]["tags"] == [
        "performance",
        "gil",
    ]


def test_results(log):
    run = log["runs"][0]
    ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    results = {r["ruleId"]: r for r in run["results"]}
    assert len(run["results"]) == 5
    for r in run["results"]:
        assert ids[r["ruleIndex"]] == r["ruleId"]
        assert r["message"]["text"]
        region = r["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1
        assert r["partialFingerprints"][FINGERPRINT_KEY]
    assert {k: r["level"] for k, r in results.items()} == {
        "GS301": "error",
        "GS201": "warning",
        "GS501": "warning",
        "GS102": "note",
        "GS901": "note",
    }
    uri = lambda k: results[k]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]  # noqa: E731
    assert uri("GS301") == "app/work.py"  # absolute inside root -> repo-relative
    assert uri("GS201") == "app/net%20%26%20%22io%22.py"  # percent-encoded
    assert uri("GS901") == "app.py"  # run-level finding -> the target script, line 1
    assert results["GS901"]["locations"][0]["physicalLocation"]["region"]["startLine"] == 1
    gs301 = results["GS301"]
    assert gs301["partialFingerprints"][FINGERPRINT_KEY] == "a1b2c3d4e5f60718"
    assert "2.60x" in gs301["message"]["text"] and gs301["properties"]["estimatedSpeedup"] == 2.6
    related = gs301["relatedLocations"][0]
    assert (
        related["physicalLocation"]["region"]["startLine"] == 40
        and related["message"]["text"] == "change here"
    )


def test_paths_outside_root_become_file_uris(load_report_fixture, tmp_path):
    report = load_report_fixture("rich")
    f = replace(report.findings[0], file="/usr/lib/python3.12/x y.py")
    log = sarif_log(replace(report, findings=[f]), root=tmp_path)
    uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "file:///usr/lib/python3.12/x%20y.py"


def test_render_is_json_and_empty_report_has_no_results(load_report_fixture):
    log = json.loads(render(load_report_fixture("empty"), Format.sarif))
    assert log["runs"][0]["results"] == [] and log["runs"][0]["tool"]["driver"]["rules"] == []


def test_real_engine_rules_make_valid_descriptors(load_report_fixture):
    engine = pytest.importorskip("gilscope.engine", reason="gilscope.engine is not there yet")
    rules = engine.load_rules()
    log = sarif_log(load_report_fixture("rich"), rules=rules, root=ROOT)
    descriptors = log["runs"][0]["tool"]["driver"]["rules"]
    assert {r.id for r in rules} <= {d["id"] for d in descriptors}
    for d in descriptors:
        assert d["fullDescription"]["text"] and d["help"]["markdown"].startswith(f"# {d['id']}")
