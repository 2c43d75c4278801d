"""rule_markdown: ruff's shape, generated from the rule file."""

from gilscope.engine import load_rules, rule_markdown

RULES = {rule.id: rule for rule in load_rules()}


def test_markdown_sections_in_order():
    text = rule_markdown(RULES["GS301"])
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert headings == [
        "# GS301 threads-serialised-by-gil",
        "## What it does",
        "## Why is this bad?",
        "## When it fires",
        "## What to do",
        "## Example",
        "## References",
    ]
    assert (
        "category: gil · severity: warning · confidence: medium · strategy: multiprocessing · since: 0.1.0"
        in text
    )
    assert "kind is gil AND gil_enabled is true AND busy_threads ≥ 2 AND gil_share ≥ 0.30" in text
    assert "Use instead:" in text
    assert (
        text.index("ThreadPoolExecutor(8)") < text.index("Use instead:") < text.index("ProcessPoolExecutor()")
    )
    assert (
        "- [PEP 703: Making the Global Interpreter Lock Optional](https://peps.python.org/pep-0703/)" in text
    )
    assert text.endswith("\n") and not text.endswith("\n\n")


def test_every_rule_renders_its_docs():
    for rule in RULES.values():
        text = rule_markdown(rule)
        assert text.startswith(f"# {rule.id} {rule.name}\n")
        for part in (rule.title, rule.docs.summary, rule.docs.before, rule.docs.after):
            assert part in text
        assert text.count("```python") == 2
