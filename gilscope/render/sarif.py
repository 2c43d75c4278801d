"""SARIF 2.1.0 for GitHub code scanning: one descriptor per rule (stable order), one result per finding."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from typing import Any

from gilscope import __version__
from gilscope.model import Finding, Report
from gilscope.render.base import INFORMATION_URI, RuleDoc, artifact_uri, rule_docs, value_text

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
FINGERPRINT_KEY = "gilscopeFingerprint/v1"


def _level(severity: Any) -> str:
    return LEVELS[getattr(severity, "value", severity)]


def _descriptor(doc: RuleDoc) -> dict[str, Any]:
    summary = doc.summary or doc.title
    category = getattr(doc, "category", "")
    tags = ["performance"] + ([category] if category else [])
    return {
        "id": doc.id,
        "name": doc.name,
        "shortDescription": {"text": doc.title or doc.id},
        "fullDescription": {"text": summary or doc.id},
        "help": {"text": doc.markdown or summary or doc.id, "markdown": doc.markdown or summary or doc.id},
        "defaultConfiguration": {"level": _level(doc.severity)},
        "properties": {"tags": tags},
    }


def _fallback_file(report: Report) -> str:
    """Where a run-level finding points: the target script when there is one."""
    scripts = [a for a in report.run.argv if a.endswith(".py")]
    return scripts[0] if scripts else (report.run.argv[0] if report.run.argv else "")


def _location(file: str, line: int, root: Any, run_cwd: str, message: str = "") -> dict[str, Any]:
    loc: dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": {"uri": artifact_uri(file, root, run_cwd=run_cwd)},
            "region": {"startLine": max(1, line)},
        }
    }
    if message:
        loc["message"] = {"text": message}
    return loc


def _message(f: Finding) -> str:
    text = f.message
    if f.estimated_speedup:
        s = f.estimated_speedup
        text += f" Estimated whole-program speedup {s.factor:.2f}x ({s.formula}), assuming: " + "; ".join(
            s.assumptions
        )
    return text


def _result(f: Finding, index: int, report: Report, root: Any) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": index,
        "level": _level(f.severity),
        "message": {"text": _message(f)},
        "locations": [_location(f.file or _fallback_file(report), f.line, root, report.run.cwd)],
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
        "properties": {
            "confidence": f.confidence,
            "strategy": f.strategy.value,
            "function": f.function,
            "because": list(f.because),
            "evidence": [
                {"metric": e.metric, "value": value_text(e.value), "source": e.source} for e in f.evidence
            ],
        },
    }
    if f.estimated_speedup:
        result["properties"]["estimatedSpeedup"] = f.estimated_speedup.factor
    if f.change_at:
        c = f.change_at
        result["relatedLocations"] = [
            dict(id=1, **_location(c.file, c.line, root, report.run.cwd, "change here"))
        ]
    return result


def sarif_log(
    report: Report, *, rules: Iterable[Any] | None = None, root: str | os.PathLike[str] | None = None
) -> dict[str, Any]:
    docs = rule_docs(rules, report.findings)
    index = {d.id: i for i, d in enumerate(docs)}
    findings = sorted(report.findings, key=lambda f: (f.rule, f.file, f.line, f.function, f.fingerprint))
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "gilscope",
                        "version": report.version or __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": [_descriptor(d) for d in docs],
                    }
                },
                "results": [_result(f, index[f.rule], report, root) for f in findings],
            }
        ],
    }


def render_sarif(
    report: Report, *, rules: Iterable[Any] | None = None, root: str | os.PathLike[str] | None = None
) -> str:
    return json.dumps(sarif_log(report, rules=rules, root=root), indent=2, ensure_ascii=False) + "\n"
