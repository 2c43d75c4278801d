"""GitHub Actions workflow commands (`::warning file=…,line=…,title=…::message`), at most 10 per level.

GitHub shows 10 error, 10 warning and 10 notice annotations per step, so the most severe and biggest findings
become annotations and the rest go to Markdown for $GITHUB_STEP_SUMMARY.
"""

from __future__ import annotations

import os

from gilscope.model import Finding, Report
from gilscope.render.base import clean, clean_block, finding_share, relative_path, sorted_findings, where
from gilscope.render.markdown import md_code, md_text

PER_LEVEL = 10
COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    """A workflow command's message: `%`, CR and LF escaped (other control characters made visible first)."""
    return clean_block(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value: one line, and `%`, `:` and `,` escaped too."""
    return clean(text).replace("%", "%25").replace(":", "%3A").replace(",", "%2C")


def _message(f: Finding) -> str:
    text = f.message
    if f.estimated_speedup:
        text += f"\nEstimated whole-program speedup: {f.estimated_speedup.factor:.2f}x"
    return text


def annotation(f: Finding, report: Report, root: str | os.PathLike[str] | None = None) -> str:
    props = []
    if f.file:
        props.append(f"file={escape_property(relative_path(f.file, root, run_cwd=report.run.cwd))}")
        if f.line > 0:
            props.append(f"line={f.line}")
    props.append(f"title={escape_property(f'{f.rule} {f.title}')}")
    return f"::{COMMANDS[f.severity.value]} {','.join(props)}::{escape_data(_message(f))}"


def render_annotations(report: Report, root: str | os.PathLike[str] | None = None) -> tuple[str, str]:
    """(workflow commands, one a line; Markdown listing the findings left over), most severe and largest first."""
    shown: list[str] = []
    rest: list[Finding] = []
    used = dict.fromkeys(COMMANDS, 0)
    ranked = sorted(sorted_findings(report), key=lambda f: (-f.severity.rank, -finding_share(report, f)))
    for f in ranked:
        if used[f.severity.value] < PER_LEVEL:
            used[f.severity.value] += 1
            shown.append(annotation(f, report, root))
        else:
            rest.append(f)
    return "".join(line + "\n" for line in shown), _overflow(rest, report)


def _overflow(rest: list[Finding], report: Report) -> str:
    if not rest:
        return ""
    lines = [
        f"### {len(rest)} more gilscope finding{'s' if len(rest) != 1 else ''}",
        "",
        f"GitHub shows at most {PER_LEVEL} annotations per level in a step; these did not fit:",
        "",
        "| severity | rule | where | message |",
        "|---|---|---|---|",
    ]
    for f in rest:
        place = md_code(where(f.file, f.line, report), table=True)
        lines.append(f"| {f.severity.value} | {f.rule} | {place} | {md_text(f.message)} |")
    return "\n".join(lines) + "\n"
