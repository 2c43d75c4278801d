"""Renderers: a Report in, a string out (text, Markdown, HTML, SARIF, JSON, speedscope)."""

from gilscope.formats import Format
from gilscope.render.base import RenderOptions, RuleDoc, SimpleRuleDoc, guess_format, rule_docs
from gilscope.render.registry import render

__all__ = ["Format", "RenderOptions", "RuleDoc", "SimpleRuleDoc", "guess_format", "render", "rule_docs"]
