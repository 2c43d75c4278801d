"""enrich: never costs the report nor hides a bug in advice (advised() is the one place that catches), works
through a bounded amount of source, and leaves severity and order to the engine."""

from dataclasses import replace

import pytest
from advice_support import finding, hotspot, write

import gilscope.advice as advice
from gilscope.advice import STRICT_ENV, enrich
from gilscope.model import Kind, Severity, Strategy

CODE = """
import time


def fetch(i):
    time.sleep(0.01)


def run():
    return [fetch(i) for i in range(5)]
"""


def test_what_the_source_causes_leaves_the_finding_as_it_was(tmp_path, monkeypatch):
    file = write(tmp_path, CODE)
    plain = finding(file, "fetch", Strategy.threads, waits=5)

    def too_deep(*args):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(advice, "_enriched", too_deep)
    assert enrich([plain], [hotspot(file, "fetch", Kind.io)], None) == [plain]


def test_a_bug_in_advice_is_raised_under_strict(tmp_path, monkeypatch):
    file = write(tmp_path, CODE)
    monkeypatch.setenv(STRICT_ENV, "1")
    monkeypatch.setattr(advice, "_enriched", lambda *args: {}["no such key"])
    with pytest.raises(KeyError):
        enrich([finding(file, "fetch", Strategy.threads)], [hotspot(file, "fetch", Kind.io)], None)


def test_a_bug_in_advice_is_noted_on_the_finding_otherwise(tmp_path, monkeypatch):
    file = write(tmp_path, CODE)
    monkeypatch.delenv(STRICT_ENV, raising=False)
    monkeypatch.setattr(advice, "_enriched", lambda *args: {}["no such key"])
    plain = finding(file, "fetch", Strategy.threads)
    (out,) = enrich([plain], [hotspot(file, "fetch", Kind.io)], None)
    assert out.because == [
        "gilscope could not work out the change for this finding (KeyError: 'no such key')"
    ]
    assert (out.severity, out.diff, out.change_at) == (Severity.warning, "", None)


def test_advice_sets_no_severity_and_keeps_the_engines_order(tmp_path):
    file = write(tmp_path, CODE)
    first = finding(file, "fetch", Strategy.threads)  # a code change without facts: triage's, not advice's
    second = replace(finding(file, "run", Strategy.cython), severity=Severity.error)
    out = enrich([first, second], [hotspot(file, "fetch", Kind.io)], None)
    assert [(f.function, f.severity) for f in out] == [("fetch", Severity.warning), ("run", Severity.error)]


def test_the_work_is_bounded_by_the_source_looked_through_not_by_the_clock(tmp_path, monkeypatch):
    file = write(tmp_path, CODE)
    size = len(open(file).read())
    findings = [finding(file, "fetch", Strategy.threads, waits=5), finding(file, "fetch", Strategy.threads)]
    findings[1] = replace(findings[1], rule="GS001")
    hotspots = [hotspot(file, "fetch", Kind.io)]
    both = enrich(findings, hotspots, None)
    assert all(f.change_at for f in both)
    monkeypatch.setattr(advice, "MAX_EXAMINED_CHARS", size)  # room for the first finding's look only
    first, second = enrich(findings, hotspots, None)
    assert first == both[0] and second == findings[1]
