"""The rules engine: load rule files, match them against Facts, explain and estimate, and triage.

`gilscope.engine.evaluate` is the module with evaluate_rules(); the condition matcher
is conditions.evaluate(), exported here as evaluate_condition. `gilscope.engine.triage` has the last word
after advice: the severity a finding keeps (info when acting would not pay) and the report's order.
"""

from gilscope.engine.conditions import Cond, Match, describe, facts_read, parse_condition
from gilscope.engine.conditions import evaluate as evaluate_condition
from gilscope.engine.docs import rule_markdown
from gilscope.engine.evaluate import (
    evaluate_rules,
    facts_for,
    finding_order,
    fingerprint,
    make_finding,
    run_rule_tests,
)
from gilscope.engine.loader import builtin_rules_dir, load_rule_file, load_rules, parse_rule
from gilscope.engine.rule import Rule, RuleDocs, RuleTest
from gilscope.engine.speedup import estimate
from gilscope.engine.triage import not_worth_acting, triage

__all__ = [
    "Cond",
    "Match",
    "Rule",
    "RuleDocs",
    "RuleTest",
    "builtin_rules_dir",
    "describe",
    "estimate",
    "evaluate_condition",
    "evaluate_rules",
    "facts_for",
    "facts_read",
    "finding_order",
    "fingerprint",
    "load_rule_file",
    "load_rules",
    "make_finding",
    "not_worth_acting",
    "parse_condition",
    "parse_rule",
    "rule_markdown",
    "run_rule_tests",
    "triage",
]
