from dataclasses import replace

from gilscope.model import Severity
from gilscope.render.annotations import escape_data, escape_property, render_annotations


def test_escaping():
    assert escape_data("100% done\r\nnext") == "100%25 done%0Anext"
    assert escape_data("a\rb") == "a\\rb"
    assert escape_property("a:b,c%d\ne") == "a%3Ab%2Cc%25d\\ne"


def test_properties_are_escaped(load_report_fixture):
    report = load_report_fixture("rich")
    f = replace(report.findings[0], file="app/odd, dir/x:y.py", title="a: b, c")
    text, overflow = render_annotations(replace(report, findings=[f]))
    assert text.startswith(
        "::error file=app/odd%2C dir/x%3Ay.py,line=12,title=GS301 a%3A b%2C c::score keeps"
    )
    assert text.count("\n") == 1 and overflow == ""


def test_at_most_ten_per_level_most_severe_and_largest_first(load_report_fixture):
    report = load_report_fixture("rich")
    base = report.findings[0]
    shares = {h.function: h.share for h in report.hotspots}
    findings = []
    for i, fn in enumerate(["score", "fetch", "<listcomp>", "compress", "<lambda>"] * 5):
        sev = [Severity.error, Severity.warning][i % 2] if i < 24 else Severity.info
        h = next(h for h in report.hotspots if h.function == fn)
        findings.append(
            replace(
                base,
                severity=sev,
                function=fn,
                file=h.file,
                message=f"m{i}",
                fingerprint=f"fp{i}",
            )
        )
    report = replace(report, findings=findings)
    text, overflow = render_annotations(report)
    lines = text.splitlines()
    kinds = [line.split(" ", 1)[0] for line in lines]
    assert kinds == ["::error"] * 10 + ["::warning"] * 10 + ["::notice"]
    errors = [f for f in findings if f.severity is Severity.error]
    shown_shares = [
        shares[f.function] for f in errors if f"::m{findings.index(f)}" in text or f"::{f.message}" in text
    ]
    assert (
        sorted(shown_shares, reverse=True) == sorted((shares[f.function] for f in errors), reverse=True)[:10]
    )
    assert "### 4 more gilscope findings" in overflow
    assert overflow.count("\n| error |") == 2 and overflow.count("\n| warning |") == 2


def test_run_level_findings_have_no_file(load_report_fixture):
    report = load_report_fixture("rich")
    gs901 = [f for f in report.findings if f.rule == "GS901"]
    text, _ = render_annotations(replace(report, findings=gs901))
    assert (
        text == "::notice title=GS901 Too few samples to trust the split::only 37 samples for weird%25name\n"
    )
