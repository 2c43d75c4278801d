"""Gating on saved reports: load one safely, fail on findings (minus a baseline), diff two runs.

Pure functions: no printing, no exit. cli/reports.py turns the results into output and exit codes.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import PurePath

from gilscope.errors import ReportLoadError
from gilscope.model import Finding, Hotspot, Report, Severity
from gilscope.model.report import SCHEMA_VERSION
from gilscope.model.validate import load_report as validated_report


def load_report(path: str | os.PathLike[str]) -> Report:
    """Read a gilscope JSON report; anything else raises ReportLoadError with one line naming the file."""
    name = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ReportLoadError(f"cannot read {name}: {reason}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportLoadError(
            f"{name} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise ReportLoadError(f"{name} is not a gilscope report: its JSON is nested too deeply") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise ReportLoadError(f"{name} is not valid JSON: {exc}") from None
    if (
        not isinstance(data, dict)
        or "schema_version" not in data
        or data.get("tool", "gilscope") != "gilscope"
    ):
        raise ReportLoadError(
            f"{name} is not a gilscope report (no schema_version, or another tool's JSON); "
            "write one with `gilscope profile --json`"
        )
    if data["schema_version"] != SCHEMA_VERSION:
        raise ReportLoadError(
            f"{name} has schema_version {_short(data['schema_version'])}; "
            f"this gilscope reads schema_version {SCHEMA_VERSION}"
        )
    from pydantic import ValidationError  # only for a report read back, never on `gilscope profile`

    try:
        return validated_report(data)
    except ValidationError as exc:
        errors = exc.errors()
        first = errors[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        raise ReportLoadError(
            f"{name} is not a valid gilscope report: {where}: {first['msg']}{more}"
        ) from None


def _short(value: object, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def gate(
    report: Report, fail_on: Severity | None, baseline: Report | None = None
) -> tuple[int, list[Finding]]:
    """(exit code, counted findings): findings at or above `fail_on` that the baseline does not already have.

    The baseline matches by fingerprint (rule, file, function: it survives moved lines), each baseline finding
    absorbing one finding of the report. With `fail_on` None every new finding is counted and the exit code is 0.
    """
    known = Counter(f.fingerprint for f in baseline.findings) if baseline else Counter()
    new: list[Finding] = []
    for f in report.findings:
        if known[f.fingerprint] > 0:
            known[f.fingerprint] -= 1
        else:
            new.append(f)
    if fail_on is None:
        return 0, new
    counted = [f for f in new if f.severity.rank >= fail_on.rank]
    return (1 if counted else 0), counted


Key = tuple[str, str]


def hotspot_key(h: Hotspot) -> Key:
    """How diff matches hotspots across runs: file base name and function (paths differ between machines)."""
    return PurePath(h.file.replace("\\", "/")).name, h.function


@dataclass(frozen=True)
class HotspotChange:
    key: Key
    old: Hotspot | None
    new: Hotspot | None
    wall_pct: float = 0.0  # relative change of wall seconds, in percent
    share_pct: float = 0.0  # relative change of share of the run, in percent
    regression_pct: float = 0.0  # the slowdown the threshold is checked against
    exceeds: bool = False

    @property
    def kind_changed(self) -> bool:
        return bool(self.old and self.new and self.old.kind != self.new.kind)


@dataclass(frozen=True)
class DiffResult:
    max_regression_pct: float
    old_wall_s: float
    new_wall_s: float
    slower: list[HotspotChange] = field(default_factory=list)
    faster: list[HotspotChange] = field(default_factory=list)
    new: list[HotspotChange] = field(default_factory=list)
    gone: list[HotspotChange] = field(default_factory=list)
    kind_changed: list[HotspotChange] = field(default_factory=list)

    @property
    def regressions(self) -> list[HotspotChange]:
        return [c for c in self.slower + self.new if c.exceeds]

    @property
    def exit_code(self) -> int:
        return 1 if self.regressions else 0


def _pct(old: float, new: float) -> float:
    if old > 0:
        return (new - old) / old * 100
    return 0.0 if new <= 0 else float("inf")


def diff(
    old: Report, new: Report, max_regression_pct: float = 10.0, *, min_share: float = 0.01
) -> DiffResult:
    """Compare hotspots of two reports, matched on (file base name, function).

    A matched hotspot is slower when its wall seconds or its share of the run grew; it is a regression when the
    larger of the two growths exceeds `max_regression_pct`. A new hotspot is a regression when it adds more than
    that percentage of the old run's wall time. Hotspots under `min_share` in both runs are noise and ignored.
    """
    olds = {hotspot_key(h): h for h in reversed(old.hotspots)}
    news = {hotspot_key(h): h for h in reversed(new.hotspots)}
    slower, faster, added, gone, kinds = [], [], [], [], []
    for key, n in news.items():
        o = olds.get(key)
        if o is None:
            if n.share < min_share:
                continue
            pct = _pct(0.0, n.wall_s) if not old.run.wall_s else n.wall_s / old.run.wall_s * 100
            added.append(HotspotChange(key, None, n, regression_pct=pct, exceeds=pct > max_regression_pct))
            continue
        change = _change(key, o, n, max_regression_pct)
        if change.kind_changed:
            kinds.append(change)
        if max(o.share, n.share) < min_share:
            continue
        if change.regression_pct > 0:
            slower.append(change)
        elif min(change.wall_pct, change.share_pct) < 0:
            faster.append(change)
    for key, o in olds.items():
        if key not in news and o.share >= min_share:
            gone.append(HotspotChange(key, o, None, wall_pct=-100.0, share_pct=-100.0, regression_pct=-100.0))
    by_size = lambda c: (-c.regression_pct, c.key)  # noqa: E731
    return DiffResult(
        max_regression_pct,
        old.run.wall_s,
        new.run.wall_s,
        sorted(slower, key=by_size),
        sorted(faster, key=lambda c: (min(c.wall_pct, c.share_pct), c.key)),
        sorted(added, key=by_size),
        sorted(gone, key=lambda c: c.key),
        sorted(kinds, key=lambda c: c.key),
    )


def _change(key: Key, o: Hotspot, n: Hotspot, threshold: float) -> HotspotChange:
    wall, share = _pct(o.wall_s, n.wall_s), _pct(o.share, n.share)
    pct = max(wall, share)  # slower by either measure; when both fell, the smaller improvement
    return HotspotChange(key, o, n, wall, share, pct, pct > threshold)
