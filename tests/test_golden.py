"""Golden snapshots: hand-built report fixtures through every renderer. `pytest --update-golden` rewrites them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from gilscope.errors import UsageError
from gilscope.model import Severity
from gilscope.model.validate import validated_json
from gilscope.render import Format, RenderOptions, SimpleRuleDoc, render
from gilscope.render.annotations import render_annotations

GOLDEN = Path(__file__).resolve().parent / "golden"
ROOT = "/home/dev/proj"  # the fixtures' run.cwd: SARIF paths are made relative to it
CASES = ["rich", "empty", "gil_threads"]  # gil_threads: a real run of examples/gil_threads.py, stored
EXTENSIONS = {
    Format.text: "txt",
    Format.md: "md",
    Format.html: "html",
    Format.sarif: "sarif",
    Format.json: "json",
    Format.speedscope: "speedscope.json",
}

RULES = [
    SimpleRuleDoc(
        id="GS301",
        name="threads-serialised-by-gil",
        title="CPU-bound work spread over threads is serialised by the GIL",
        severity=Severity.warning,
        category="gil",
        summary="Flags hot Python code that runs in several threads while the process gets ~1 core.",
        markdown="# GS301 threads-serialised-by-gil\n\n## What it does\n\nFlags **hot** `Python` code.\n\n"
        "## Example\n\n```python\nwith ThreadPoolExecutor(8) as pool:\n    pool.map(f, xs)\n```\n\n"
        "## References\n\n- [PEP 703](https://peps.python.org/pep-0703/)\n",
    ),
    SimpleRuleDoc(
        id="GS999",
        name="never-fires",
        title="A rule that fired nothing",
        severity=Severity.info,
        summary="Listed in SARIF, absent from the HTML rule docs.",
        markdown="# GS999 never-fires\n",
    ),
]


def check_golden(path: Path, actual: str, update: bool) -> None:
    if update:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"{path} is missing: run `python3 -m pytest tests/test_golden.py --update-golden`"
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, (
        f"{path} differs; review and run with --update-golden if the change is intended"
    )


@pytest.mark.parametrize("fmt", list(EXTENSIONS), ids=[f.value for f in EXTENSIONS])
@pytest.mark.parametrize("case", CASES)
def test_golden_render(case, fmt, load_report_fixture, update_golden):
    report = load_report_fixture(case)
    if fmt is Format.speedscope and report.profile is None:
        with pytest.raises(UsageError, match="no saved profile"):
            render(report, fmt)
        return
    actual = render(report, fmt, color=False, width=100, rules=RULES, root=ROOT)
    check_golden(GOLDEN / case / f"report.{EXTENSIONS[fmt]}", actual, update_golden)


@pytest.mark.parametrize("case", CASES)
def test_golden_annotations(case, load_report_fixture, update_golden):
    annotations, overflow = render_annotations(load_report_fixture(case), root=ROOT)
    check_golden(
        GOLDEN / case / "annotations.txt", annotations + "--- overflow ---\n" + overflow, update_golden
    )


def test_json_golden_round_trips(load_report_fixture):
    from gilscope.model import Report

    report = load_report_fixture("rich")
    assert validated_json(Report, render(report, Format.json)) == report


def many_threads(report):
    """`report` with the threads of a thread-pool server: 8 pool threads, 300 request threads, 240 workers."""
    base = report.threads[1]
    names = (
        [f"ThreadPoolExecutor-0_{i}" for i in range(8)]
        + ["process_request_thread"] * 300
        + [f"Thread-{i} (worker)" for i in range(1, 241)]
    )
    threads = [report.threads[0]] + [
        replace(base, name=n, tid=1000 + i, wall_s=0.5 + i % 7 / 10) for i, n in enumerate(names)
    ]
    return replace(report, threads=threads)


TEXT_CASES = {"rich": "rich", "gil_threads": "gil_threads", "many_threads": "rich"}


@pytest.mark.parametrize("verbose", [False, True], ids=["default", "verbose"])
@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("case", list(TEXT_CASES))
def test_golden_terminal_widths(case, width, verbose, load_report_fixture, update_golden):
    """The terminal report at 80 and 120 columns: no line longer than the width, no word split."""
    report = load_report_fixture(TEXT_CASES[case])
    if case == "many_threads":
        report = many_threads(report)
    text = render(report, Format.text, options=RenderOptions(width=width, verbose=verbose))
    assert max(len(line) for line in text.splitlines()) <= width
    name = f"report.{width}{'.verbose' if verbose else ''}.txt"
    check_golden(GOLDEN / case / name, text, update_golden)
