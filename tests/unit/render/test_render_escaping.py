"""Every format keeps untrusted text (function names, paths, messages) inert."""

import json
import re
from dataclasses import replace
from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from gilscope.model import Report, dumps
from gilscope.model.validate import validated_json
from gilscope.render import Format, RenderOptions, render
from gilscope.render.annotations import render_annotations

NASTY = '<img src=x onerror=alert(1)> </script><!-- `|` *b* [l](u) %0A\n\r\x1b[31m\u202e & "q" \'s'
ALLOWED_TAGS = {
    "html",
    "head",
    "meta",
    "title",
    "style",
    "body",
    "header",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "p",
    "main",
    "section",
    "dl",
    "dt",
    "dd",
    "code",
    "svg",
    "g",
    "text",
    "rect",
    "ul",
    "li",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "article",
    "span",
    "strong",
    "pre",
    "details",
    "summary",
    "script",
    "a",
    "em",
}


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attrs, self.scripts, self._in_script = [], [], [], False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)
        self._in_script = tag == "script"
        if tag == "script":
            self.scripts.append([dict(attrs), ""])

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1][1] += data


def nasty_report(report: Report, text: str) -> Report:
    hotspots = [replace(h, function=text + h.function, file=text + ".py") for h in report.hotspots]
    findings = [
        replace(
            f,
            function=text,
            message=text,
            title=text,
            file=text + ".py",
            because=[text],
            before=text,
            diff=text,
        )
        for f in report.findings
    ]
    threads = [replace(t, name=text, role=text) for t in report.threads]
    return replace(
        report,
        hotspots=hotspots,
        findings=findings,
        threads=threads,
        caveats=[text],
        run=replace(report.run, argv=[text]),
    )


def check_html(report: Report, text: str) -> None:
    page = render(report, Format.html)
    parser = Tags()
    parser.feed(page)
    assert set(parser.tags) <= ALLOWED_TAGS
    assert not [k for k, _ in parser.attrs if k.startswith("on")]
    assert len(parser.scripts) == 1 and parser.scripts[0][0] == {
        "type": "application/json",
        "id": "gilscope-report",
    }
    assert json.loads(parser.scripts[0][1]) == json.loads(dumps(report))
    assert "\x1b" not in page and "\u202e" not in page


def outside_code(md: str) -> str:
    """Markdown with fenced blocks and inline code spans (where text is inert) taken out."""
    md = re.sub(r"^(`{3,})[^\n]*\n.*?^\1$", "", md, flags=re.S | re.M)
    return re.sub(r"(`+) ?.*? ?\1", "", md)


def check_markdown(report: Report) -> str:
    md = render(report, Format.md)
    assert "\x1b" not in md and "\u202e" not in md
    prose = outside_code(md)
    allowed = {"<details>", "<summary>", "</summary>", "</details>"}
    assert set(re.findall(r"</?[a-zA-Z][^>]*>", prose)) <= allowed, prose
    return prose
    rows = [line for line in md.splitlines() if line.startswith("| ") and not line.startswith("|---")]
    for row in rows:  # every table row keeps its 6 columns: pipes in cells are escaped
        assert len(re.findall(r"(?<!\\)\|", row)) == 7, row


def check_annotations(report: Report) -> None:
    text, _ = render_annotations(report)
    lines = text.rstrip("\n").split("\n")
    assert len(lines) == len(report.findings)
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]", text)
    for line in lines:
        head, _, message = line[2:].partition("::")
        assert "\r" not in line and "\n" not in line
        props = head.split(" ", 1)[1]
        for prop in props.split(","):  # no property value can smuggle in a ',' or '::'
            assert re.fullmatch(r"(file|line|title)=[^,:]*", prop), prop


def test_all_formats_escape_the_fixture(load_report_fixture):
    report = nasty_report(load_report_fixture("rich"), NASTY)
    check_html(report, NASTY)
    assert "&lt;img" in check_markdown(report)
    check_annotations(report)
    text = render(report, Format.text)
    assert "\x1b" not in text and "\u202e" not in text and "[31m" in text
    for fmt in (Format.sarif, Format.json, Format.speedscope):
        json.loads(render(report, fmt))
    sarif = json.loads(render(report, Format.sarif))
    assert {r["message"]["text"].split(" Estimated")[0] for r in sarif["runs"][0]["results"]} == {NASTY}


def test_terminal_never_interprets_markup(load_report_fixture):
    text = render(
        load_report_fixture("rich"), Format.text, options=RenderOptions(color=True, width=200, verbose=True)
    )  # verbose: every hotspot
    assert "[bold]x[/bold]" in text  # shown as typed, not turned into bold
    assert "weird%name\\nline2" in text


@settings(max_examples=60, deadline=None, database=None)
@given(st.text(min_size=1, max_size=40))
def test_any_text_stays_inert(text):
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "fixtures" / "reports" / "rich.json"
    report = nasty_report(validated_json(Report, path.read_text(encoding="utf-8")), text)
    check_html(report, text)
    check_markdown(report)
    check_annotations(report)
