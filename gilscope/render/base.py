"""What every renderer shares: the Format enum, rule docs, text cleaning and the `render` dispatch.

Renderers are pure: `Report` in, `str` out. They never detect a TTY or write files (the CLI does).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path, PurePath, PurePosixPath
from typing import Any, Protocol
from urllib.parse import quote

from gilscope.formats import Format  # defined there so the CLI can import it cheaply
from gilscope.model import Evidence, Finding, Report, Severity, dumps

INFORMATION_URI = "https://pypi.org/project/gilscope/"
TOP_HOTSPOTS = 5  # hotspots the terminal report shows unless verbose
STATES = ("cpu", "native", "io", "gil", "lock")  # the order of every split, chart and legend


_SUFFIXES = {
    ".txt": Format.text,
    ".text": Format.text,
    ".md": Format.md,
    ".markdown": Format.md,
    ".html": Format.html,
    ".htm": Format.html,
    ".sarif": Format.sarif,
    ".json": Format.json,
}


def guess_format(path: str | os.PathLike[str]) -> Format | None:
    """The format an output file name asks for (`x.sarif.json`, `x.speedscope.json` too), else None."""
    name = PurePath(path).name.lower()
    if name.endswith(".sarif.json"):
        return Format.sarif
    if name.endswith(".speedscope.json") or name.endswith(".speedscope"):
        return Format.speedscope
    return _SUFFIXES.get(PurePath(name).suffix)


class RuleDoc(Protocol):
    """What renderers need from a rule: gilscope.engine's Rule adapted by `rule_docs` (read-only)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def severity(self) -> Any: ...
    @property
    def summary(self) -> str: ...
    @property
    def markdown(self) -> str: ...


@dataclass(frozen=True)
class RenderOptions:
    """How much a report shows, decided by the CLI (renderers never look at the terminal themselves)."""

    color: bool = False
    width: int = 100  # terminal columns (text format)
    verbose: bool = False  # conditions, evidence, assumptions and every finding's diff
    threads: bool = False  # one row per thread instead of groups by role and name pattern
    top: int = TOP_HOTSPOTS  # hotspots listed in the terminal (all of them when verbose)


@dataclass(frozen=True)
class SimpleRuleDoc:
    id: str
    name: str
    title: str
    severity: Severity
    summary: str
    markdown: str
    category: str = ""


def _as_rule_doc(rule: Any) -> RuleDoc:
    if all(hasattr(rule, a) for a in ("summary", "markdown")):
        return rule
    docs = getattr(rule, "docs", None)
    summary = getattr(docs, "summary", "") or rule.title
    try:
        from gilscope.engine.docs import rule_markdown

        markdown = rule_markdown(rule)
    except (ImportError, AttributeError, TypeError):  # no engine, or a rule-like object it cannot document
        markdown = f"# {rule.id} {rule.name}\n\n{clean(summary)}\n"
    return SimpleRuleDoc(
        id=rule.id,
        name=rule.name,
        title=rule.title,
        severity=Severity(_value(rule.severity)),
        summary=summary,
        markdown=markdown,
        category=str(_value(getattr(rule, "category", ""))),
    )


def _from_finding(f: Finding) -> RuleDoc:
    return SimpleRuleDoc(
        id=f.rule,
        name=f.name,
        title=f.title,
        severity=f.severity,
        summary=f.title,
        markdown=f"# {f.rule} {f.name}\n\n{clean(f.title)}\n",
    )


def rule_docs(rules: Iterable[Any] | None, findings: Iterable[Finding] = ()) -> list[RuleDoc]:
    """Every given rule (engine Rules or RuleDocs) plus a stand-in for each rule a finding names, by id."""
    by_id: dict[str, RuleDoc] = {}
    for rule in rules or ():
        doc = _as_rule_doc(rule)
        by_id.setdefault(doc.id, doc)
    for f in findings:
        by_id.setdefault(f.rule, _from_finding(f))
    return [by_id[k] for k in sorted(by_id)]


def _value(x: Any) -> Any:
    return x.value if isinstance(x, Enum) else x


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def clean(text: object) -> str:
    """One visible line: control, line-separator and bidi-override characters become escapes."""
    return _CONTROL.sub(lambda m: _NAMED.get(m.group(), f"\\u{ord(m.group()):04x}"), str(text))


_CONTROL_BLOCK = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def clean_block(text: str) -> str:
    """Like `clean` but keeps newlines and tabs (for code and diffs)."""
    text = text.replace("\r\n", "\n")
    return _CONTROL_BLOCK.sub(lambda m: _NAMED.get(m.group(), f"\\u{ord(m.group()):04x}"), text)


def sorted_findings(report: Report) -> list[Finding]:
    """Most severe first, then by the hotspot's share of the run, then by rule and place."""
    share = {(h.file, h.function): h.share for h in report.hotspots}
    return sorted(
        report.findings,
        key=lambda f: (
            -f.severity.rank,
            -share.get((f.file, f.function), 0.0),
            f.rule,
            f.file,
            f.line,
            f.function,
        ),
    )


def user_change(f: Finding) -> tuple[str, str, str]:
    """(before, after, diff) of the user's own code, or three empty strings.

    Finding.before/after hold the rule docs' generic example when no diff of the user's code was built: a
    finding's body must not show that as advice (it stays in `gilscope rules show` and the HTML rule docs)."""
    if not f.diff.strip():
        return "", "", ""
    return f.before, f.after, f.diff


def finding_facts(f: Finding) -> list[str]:
    """The conditions that held, each with its measurement's source, then the other evidence: each fact once
    (a rule's conditions and its evidence name the same facts)."""
    lines = [f"because {b}" for b in f.because]
    index = {b.split(" ", 1)[0]: i for i, b in enumerate(f.because)}
    for e in f.evidence:
        i = index.get(e.metric)
        if i is not None:
            lines[i] += _source(e)
        else:
            lines.append(f"measured {e.metric} = {value_text(e.value)}{_source(e)}")
    return lines


def _source(e: Evidence) -> str:
    """` (sampler: blocked in socket.recv)`; nothing for a value read back from the facts themselves."""
    parts = [p for p in (e.source if e.source != "facts" else "", e.detail) if p]
    return f" ({': '.join(parts)})" if parts else ""


def finding_share(report: Report, finding: Finding) -> float:
    for h in report.hotspots:
        if (h.file, h.function) == (finding.file, finding.function):
            return h.share
    return 0.0


def relative_path(file: str, root: str | os.PathLike[str] | None = None, *, run_cwd: str = "") -> str:
    """`file` relative to `root` (default: cwd) with forward slashes.

    A relative `file` is taken as already relative to the project. An absolute one outside `root` but inside
    `run_cwd` (the profiled run's directory, when re-rendering elsewhere) is made relative to that; else it stays
    absolute.
    """
    if not Path(file).is_absolute():
        return file.replace("\\", "/")
    path = Path(file)
    bases = [Path(root) if root is not None else Path.cwd()] + ([Path(run_cwd)] if run_cwd else [])
    for base in bases:
        try:
            return path.relative_to(base.absolute()).as_posix()
        except ValueError:
            continue
    return path.as_posix()


def where(file: str, line: int, report: Report) -> str:
    """`file:line` for people: relative to the run's directory; "(whole run)" for run-level findings."""
    if not file:
        return "(whole run)"
    path = relative_path(file, report.run.cwd or None)
    return f"{path}:{line}" if line > 0 else path


def artifact_uri(file: str, root: str | os.PathLike[str] | None = None, *, run_cwd: str = "") -> str:
    """A SARIF artifactLocation.uri: repo-relative and percent-encoded, or a file:// URI when outside root."""
    rel = relative_path(file, root, run_cwd=run_cwd)
    if PurePosixPath(rel).is_absolute():
        return Path(rel).as_uri()
    return quote(rel, safe="/")


def seconds(x: float) -> str:
    return f"{x:.3f}"


def percent(x: float | None) -> str:
    return "not measured" if x is None else f"{x * 100:.1f}%"


def value_text(value: float | str) -> str:
    """An Evidence value as people write it: 4 not 4.0, 0.125 not 0.12500000000000001."""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.4g}"
    return str(value)


_HELD_BACK = {
    "gil": "the GIL let one run at a time",
    "shared-object": "they took turns on an object they all change",
    "lock": "they waited on a lock",
    "other-processes": "other processes kept the cores busy",
}


def parallelism_text(report: Report) -> str:
    """'4 threads with work could use 2 cores; they used 1.15: the GIL let one run at a time', or ''."""
    p = report.parallelism
    if p is None or p.threads < 2:
        return ""
    text = f"{p.threads} threads with work could use {p.cores_possible} cores; they used {p.cores_used:.2f}"
    return f"{text}: {_HELD_BACK[p.held_back_by]}" if p.held_back_by else text


def cores(report: Report) -> float:
    return report.run.cpu_s / report.run.wall_s if report.run.wall_s else 0.0


def json_report(report: Report) -> str:
    """The report indented for people, except the saved profile (every stack, ~95% of a big report), which
    is one compact line: a third of the size and of the time (benchmarks/scale.py)."""
    head = dumps({name: value for name, value in vars(report).items() if name != "profile"}, indent=2)
    body = dumps(report.profile)
    return f'{head[:-2]},\n  "profile": {body}\n}}\n'  # the profile is the last field, as in the model
