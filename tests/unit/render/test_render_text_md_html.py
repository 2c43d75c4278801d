import json
import re

from gilscope.render import Format, SimpleRuleDoc, render
from gilscope.render.markdown import md_block, md_code, md_text
from gilscope.render.mdhtml import markdown_to_html
from gilscope.model import Severity


def test_terminal_sections_and_not_measured(load_report_fixture):
    text = render(load_report_fixture("rich"), Format.text, width=100)
    for expected in ("Hotspots", "Threads", "Findings (5)", "Caveats", "not measured", "estimated speedup: 2.60x",
                     "assumes score() is pure Python", "app/work.py:12", "45.0%", "cpu 39% gil 56% lock 6%"):
        assert expected in text, expected
    assert text.index("ERROR") < text.index("WARNING") < text.index("INFO")
    assert max(len(line) for line in text.splitlines()) <= 100


def test_terminal_colour_only_when_asked(load_report_fixture):
    report = load_report_fixture("rich")
    assert "\x1b[" not in render(report, Format.text)
    assert "\x1b[" in render(report, Format.text, color=True)


def test_markdown_helpers():
    assert md_text("a*b_<c>|") == "a\\*b\\_&lt;c&gt;\\|"
    assert md_code("x`y") == "``x`y``" and md_code("`") == "`` ` ``"
    assert md_code("a|b", table=True) == "`a\\|b`"
    assert md_block("```\ncode\n```", "py").startswith("````py\n")


def test_markdown_has_pr_comment_sections(load_report_fixture):
    md = render(load_report_fixture("rich"), Format.md)
    assert md.startswith("## gilscope: 5 findings (1 error, 2 warnings, 2 info)")
    assert "| 1 | `score` | `app/work.py:12` | gil | 0.700 s / 1.800 s | 45.0% |" in md
    assert "**Estimated gain:** 2.60x" in md and "```diff\n--- a/app/work.py" in md
    assert md.count("<details>") == md.count("</details>") == 2


def test_html_is_self_contained_and_embeds_the_report(load_report_fixture):
    report = load_report_fixture("rich")
    rules = [SimpleRuleDoc(id="GS301", name="n", title="t", severity=Severity.error, summary="s",
                           markdown="# GS301 n\n\n## What it does\n\nDoes **x**.\n")]
    page = render(report, Format.html, rules=rules)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page.replace('href="https://', ""))
    assert "<link" not in page and "@import" not in page and "url(" not in page
    assert page.count("<svg") >= 2 and page.count("<rect") > 10
    assert "default-src 'none'" in page
    data = page.split('<script type="application/json" id="gilscope-report">')[1].split("</script>")[0]
    assert "</" not in data and json.loads(data) == json.loads(report.model_dump_json())
    assert '<details id="rule-GS301">' in page and "<h4>What it does</h4>" in page
    assert "not measured" in page and "Estimated gain: 2.60x" in page


def test_markdown_to_html_is_safe():
    html = markdown_to_html("# T <b>\n\n- [x](javascript:alert(1))\n- [ok](https://e.org/?a=1&b=2)\n\n```\n<i>\n```")
    assert "<b>" not in html and "javascript:" in html and '<a href="javascript' not in html
    assert '<a href="https://e.org/?a=1&amp;b=2">ok</a>' in html and "&lt;i&gt;" in html
