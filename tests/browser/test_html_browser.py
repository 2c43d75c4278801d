"""The HTML report in a real headless Chromium, driven over the DevTools protocol (stdlib pipe client).

Checks that the page renders, its charts are drawn, nothing logs an error and no request leaves the file, and
that the flame graph and the timeline of a real run are there and readable.
`--update-golden` also refreshes docs/report.png.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from devtools_pipe import CHROMIUM, Chromium

from gilscope.model import Severity, dumps
from gilscope.render import Format, SimpleRuleDoc, render

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"{CHROMIUM} is not installed "
    "(apt-get install chromium); the HTML report is not checked in a browser",
)

DOCS_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "report.png"
RULES = [
    SimpleRuleDoc(
        id="GS301",
        name="threads-serialised-by-gil",
        title="Threads serialised by the GIL",
        severity=Severity.warning,
        summary="Flags threads that queue for the GIL.",
        markdown="# GS301 threads-serialised-by-gil\n\n## What it does\n\nFlags threads.\n\n"
        "## References\n\n- [PEP 703](https://peps.python.org/pep-0703/)\n",
    )
]


@pytest.fixture(scope="module")
def browser():
    with Chromium() as chromium:
        yield chromium


@pytest.fixture
def page(browser, tmp_path, load_report_fixture):
    report = load_report_fixture("rich")
    path = tmp_path / "report.html"
    path.write_text(render(report, Format.html, rules=RULES), encoding="utf-8")
    return browser.open(path.as_uri(), height=1400), path, report


def test_report_renders_without_errors_or_network(page):
    page, path, report = page
    assert page.requests() == [path.as_uri()], "the report must load nothing but itself"
    assert page.console() == []
    assert page.evaluate("document.title") == "gilscope: app.py --rate 100%"
    text = page.evaluate("document.body.innerText")
    for name in ("score", "fetch", "<listcomp>", "<lambda>", "compress", "weird%name\\nline2"):
        assert name in text, name
    assert "not measured" in text and "Estimated gain: 2.60x" in text and "Rule docs" in text
    assert page.evaluate("document.querySelectorAll('script:not([type=\"application/json\"])').length") == 0
    embedded = page.evaluate("document.getElementById('gilscope-report').textContent")
    assert json.loads(embedded) == json.loads(dumps(report))


def test_charts_are_drawn(page):
    page, _, report = page
    charts = page.evaluate(
        "Array.from(document.querySelectorAll('svg.chart')).map(s => "
        "[s.querySelectorAll('rect').length, s.getBoundingClientRect().width])"
    )
    assert len(charts) == 1  # the hotspots' bars (the threads' picture is the timeline now)
    parts = sum(
        1
        for h in report.hotspots
        for s in ("cpu", "native", "io", "gil", "lock")
        if getattr(h.split, f"{s}_s") > 0
    )
    assert charts[0][0] == parts and charts[0][1] > 300
    widths = page.evaluate(
        "Array.from(document.querySelectorAll('svg.chart rect')).map(r => r.getBBox().width)"
    )
    assert all(w > 0 for w in widths)


@pytest.fixture
def gil_page(browser, tmp_path, load_report_fixture):
    """The stored report of a real run of examples/gil_threads.py, at a laptop's width."""
    report = load_report_fixture("gil_threads")
    path = tmp_path / "gil.html"
    path.write_text(render(report, Format.html, rules=RULES), encoding="utf-8")
    return browser.open(path.as_uri(), width=1280, height=1000), report


def test_pictures_are_there_and_readable(gil_page):
    page, report = gil_page
    assert page.console() == []
    order = page.evaluate("Array.from(document.querySelectorAll('main > section')).map(s => s.id)")
    assert order[:4] == ["run", "findings", "flame", "timeline"]  # findings first, then the pictures
    boxes = page.evaluate("""Array.from(document.querySelectorAll('svg.flame, svg.timeline')).map(s => {
        const r = s.getBoundingClientRect();
        return [s.getAttribute('class'), r.width, r.height, r.right, document.documentElement.clientWidth]; })""")
    assert [b[0] for b in boxes] == ["flame", "timeline"]
    for cls, width, height, right, viewport in boxes:
        assert width > 600 and height > 60 and right <= viewport, (cls, width, right, viewport)  # no overflow
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    # every label drawn is big enough to read and stays inside its box or the picture
    sizes = page.evaluate("""Array.from(document.querySelectorAll('svg.flame text, svg.timeline text'))
        .map(t => [parseFloat(getComputedStyle(t).fontSize) * t.ownerSVGElement.getScreenCTM().a,
                   t.getBoundingClientRect().right <= t.ownerSVGElement.getBoundingClientRect().right + 1])""")
    assert sizes and all(px >= 11 for px, _ in sizes) and all(inside for _, inside in sizes)
    flame = page.evaluate(
        "Array.from(document.querySelectorAll('svg.flame g.user text')).map(t => t.textContent)"
    )
    assert "checksum" in flame and "checksum_all" in flame
    for f in page.evaluate(
        "Array.from(document.querySelectorAll('svg.flame g.frame')).map(g => "
        "g.querySelector('text') ? [g.querySelector('text').getComputedTextLength(), "
        "g.querySelector('rect').getBBox().width] : [0, 1])"
    ):
        assert f[0] <= f[1], f  # a frame's label fits in the frame
    # the timeline shows each worker's turns at the GIL: several cpu and gil intervals per worker row
    rows = page.evaluate("""Array.from(document.querySelectorAll('svg.timeline g.thread')).map(g => [
        g.querySelector('text').textContent, g.querySelectorAll('rect.seg.cpu').length,
        g.querySelectorAll('rect.seg.gil').length])""")
    workers = [r for r in rows if r[0].startswith("ThreadPoolExecutor")]
    assert len(workers) == 4 and all(cpu >= 3 and gil >= 3 for _, cpu, gil in workers), rows
    ticks = page.evaluate(
        "Array.from(document.querySelectorAll('svg.timeline .axis text')).map(t => t.textContent)"
    )
    assert len(ticks) >= 4 and ticks[0] == "0.0 s"
    # the top finding links to its hotspot's frame in the flame graph, and the anchor exists
    href = page.evaluate(
        "document.querySelector('#findings article a[href^=\"#flame-\"]').getAttribute('href')"
    )
    assert page.evaluate(f"document.querySelector('svg.flame {href}') !== null")
    title = page.evaluate(f"document.querySelector('svg.flame {href} > title').textContent")
    assert "checksum" in title and "of all threads' time" in title


def test_screenshot(gil_page, tmp_path, update_golden):
    page, _ = gil_page
    page.evaluate("document.getElementById('flame').scrollIntoView()")
    shot = tmp_path / "report.png"
    page.screenshot(shot)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    if update_golden:
        DOCS_SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, DOCS_SCREENSHOT)


def test_the_harness_sees_requests_and_errors(browser, tmp_path):
    """A control page proves that the checks above would catch a load and a console error."""
    control = tmp_path / "control.html"
    control.write_text(
        '<!DOCTYPE html><title>c</title><img src="http://example.test/x.png">'
        '<script>console.error("boom"); missingFunction();</script>',
        encoding="utf-8",
    )
    page = browser.open(control.as_uri())
    assert "http://example.test/x.png" in page.requests()
    errors = page.errors()
    assert any("boom" in e for e in errors) and any("missingFunction" in e for e in errors)
