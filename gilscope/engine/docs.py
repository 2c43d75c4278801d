"""Rule documentation in ruff's shape; the one source for `rules show`, SARIF help and HTML details."""

from __future__ import annotations

from gilscope.engine.conditions import describe
from gilscope.engine.rule import Rule


def rule_markdown(rule: Rule) -> str:
    docs = rule.docs
    meta = " · ".join(
        [
            f"category: {rule.category}",
            f"severity: {rule.severity.value}",
            f"confidence: {rule.confidence}",
            f"strategy: {rule.strategy.value}",
            f"since: {rule.since}",
        ]
    )
    references = "\n".join(f"- [{ref.title}]({ref.url})" for ref in docs.references)
    sections = [
        f"# {rule.id} {rule.name}",
        rule.title,
        meta,
        f"## What it does\n\n{docs.summary}",
        f"## Why is this bad?\n\n{docs.rationale}",
        f"## When it fires\n\n{describe(rule.when)}",
        f"## What to do\n\n{docs.recommendation}",
        f"## Example\n\n```python\n{docs.before}\n```\n\nUse instead:\n\n```python\n{docs.after}\n```",
        f"## References\n\n{references}",
    ]
    return "\n\n".join(sections) + "\n"
