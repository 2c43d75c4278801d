"""Helpers of the advice tests: hand-built findings and hotspots, a source file per snippet, a diff applier."""

import re
import textwrap

from gilscope.advice import locate, propose
from gilscope.model import Evidence, Finding, Hotspot, Kind, Severity, Strategy, TimeSplit


def write(tmp_path, code: str, name: str = "target.py") -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(code).lstrip("\n"))
    return str(path)


def finding(file: str, function: str, strategy: Strategy, **evidence) -> Finding:
    return Finding(
        rule="GS000",
        name="test",
        title="test",
        severity=Severity.warning,
        function=function,
        file=file,
        line=1,
        strategy=strategy,
        message="",
        fingerprint="0" * 16,
        evidence=[Evidence(metric=k, value=v, source="facts") for k, v in evidence.items()],
    )


def hotspot(
    file: str, function: str, kind: Kind = Kind.cpu, blockers: dict | None = None, **evidence
) -> Hotspot:
    return Hotspot(
        function=function,
        file=file,
        line=1,
        kind=kind,
        wall_s=1.0,
        cpu_s=1.0,
        share=0.9,
        split=TimeSplit(cpu_s=1.0),
        blockers=blockers or {},
        evidence=[Evidence(metric=k, value=v, source="test") for k, v in evidence.items()],
        # the typed fields classify fills, from the same evidence
        lock_holder=str(evidence.get("lock_holder", "")),
        waits=int(evidence.get("waits", 0)),
        event_loop_s=float(evidence.get("event_loop_s", 0.0)),
    )


def line_of(file: str, text: str) -> int:
    """The 1-based line of the first line of `file` containing `text`."""
    with open(file) as fh:
        return next(i for i, line in enumerate(fh, 1) if text in line)


def located(file: str, function: str, strategy: Strategy, kind: Kind = Kind.cpu, blockers=None, **evidence):
    """(finding, hotspot, location, source lines) as the pipeline builds them; the construct must be found."""
    f = finding(
        file, function, strategy, **{k: v for k, v in evidence.items() if k in ("lock_holder", "waits")}
    )
    h = hotspot(file, function, kind, blockers, **evidence)
    where = locate(f, h, None)
    assert where is not None, f"no construct found for {function} ({strategy.value})"
    with open(file) as fh:
        return f, h, where, fh.readlines()


def advise(file: str, function: str, strategy: Strategy, kind: Kind = Kind.cpu, blockers=None, **evidence):
    """locate + propose, as the pipeline does: (location, before, after, diff); the after text must compile."""
    f, h, where, lines = located(file, function, strategy, kind, blockers, **evidence)
    from gilscope.advice import clues_for

    before, after, diff = propose(f, where, lines, clues_for(f, h))
    new_text = apply_unified(lines, diff)
    compile(new_text, file, "exec")
    return where, before, after, diff, new_text


def apply_unified(lines: list[str], diff: str) -> str:
    """Apply a unified diff to `lines` the way `patch` would, checking every context and removed line."""
    out, pos = [], 0
    hunks = re.split(r"^(@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@.*\n)", diff, flags=re.M)
    assert hunks[0].startswith("--- a/") and "\n+++ b/" in hunks[0], hunks[0]
    for header, body in zip(hunks[1::2], hunks[2::2]):
        start = int(re.match(r"@@ -(\d+)", header).group(1)) - 1
        out.extend(lines[pos:start])
        pos = start
        for line in body.splitlines(keepends=True):
            tag, text = line[0], line[1:]
            if tag in " -":
                assert lines[pos] == text, (
                    f"diff does not apply at line {pos + 1}: {lines[pos]!r} != {text!r}"
                )
                pos += 1
            if tag in " +":
                out.append(text)
    out.extend(lines[pos:])
    return "".join(out)
