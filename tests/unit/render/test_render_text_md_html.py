import json
import re
from dataclasses import replace

from gilscope.model import Severity, dumps
from gilscope.render import Format, RenderOptions, SimpleRuleDoc, render
from gilscope.render.markdown import md_block, md_code, md_text
from gilscope.render.mdhtml import markdown_to_html


def test_terminal_sections_and_not_measured(load_report_fixture):
    text = render(load_report_fixture("rich"), Format.text, width=100)
    for expected in (
        "Hotspots (top 5 of 6)",
        "Threads (3)",
        "Findings (5;",
        "Caveats",
        "– not measured",
        "gain ~2.60x",
        "app/work.py:12",
        "45.0%",
        "cpu 39% gil 56% lock 6%",
        "Change for GS301",
    ):
        assert expected in text, expected
    assert "assumes" not in text and "because" not in text  # details only with -v
    assert text.index("ERROR") < text.index("WARNING") < text.index("INFO")
    assert max(len(line) for line in text.splitlines()) <= 100


def test_terminal_verbose_shows_each_fact_once(load_report_fixture):
    text = render(load_report_fixture("rich"), Format.text, options=RenderOptions(width=100, verbose=True))
    assert "assumes score() is pure Python" in text and "estimated 2.60x = 1 / (" in text
    assert text.count("busy_threads") == 1 and "because busy_threads 4 >= 2 (sampler)" in text
    assert "because waits 120 >= 10 (sampler: blocked in socket.recv)" in text
    assert "evidence:" not in text and "Hotspots (top" not in text


def test_no_finding_shows_the_rules_generic_example(load_report_fixture):
    """Finding.before/after hold the rule docs' example when no diff of the user's code was built."""
    report = load_report_fixture("rich")
    generic = "def score_file(path):  # GENERIC"
    findings = [
        replace(f, before=generic, after=generic + "  # after", diff="") if f.rule == "GS201" else f
        for f in report.findings
    ]
    report = replace(report, findings=findings)
    for fmt in (Format.text, Format.md, Format.html):
        out = render(report, fmt, options=RenderOptions(verbose=True))
        assert "score_file" not in out.split('id="gilscope-report"')[0], fmt
    assert "ProcessPoolExecutor() as pool" in render(report, Format.text)  # the user's diff still shows


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
    assert md.count("<details>") == md.count("</details>") == 1 and "Before:" not in md


def test_html_is_self_contained_and_embeds_the_report(load_report_fixture):
    report = load_report_fixture("rich")
    rules = [
        SimpleRuleDoc(
            id="GS301",
            name="n",
            title="t",
            severity=Severity.error,
            summary="s",
            markdown="# GS301 n\n\n## What it does\n\nDoes **x**.\n",
        )
    ]
    page = render(report, Format.html, rules=rules)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page.replace('href="https://', ""))
    assert "<link" not in page and "@import" not in page and "url(" not in page
    assert 'class="flame"' in page and page.count("<rect") > 10
    assert "default-src 'none'" in page
    data = page.split('<script type="application/json" id="gilscope-report">')[1].split("</script>")[0]
    assert "</" not in data and json.loads(data) == json.loads(dumps(report))
    assert '<details id="rule-GS301">' in page and "<h4>What it does</h4>" in page
    assert "not measured" in page and "Estimated gain: 2.60x" in page


def test_markdown_to_html_is_safe():
    html = markdown_to_html(
        "# T <b>\n\n- [x](javascript:alert(1))\n- [ok](https://e.org/?a=1&b=2)\n\n```\n<i>\n```"
    )
    assert "<b>" not in html and "javascript:" in html and '<a href="javascript' not in html
    assert '<a href="https://e.org/?a=1&amp;b=2">ok</a>' in html and "&lt;i&gt;" in html


def test_html_pictures_of_a_real_run(load_report_fixture):
    """examples/gil_threads.py: the flame graph shows checksum, the timeline each worker's GIL turns."""
    from gilscope.render.flame import frame_id
    from gilscope.render.timeline import columns

    report = load_report_fixture("gil_threads")
    page = render(report, Format.html)
    hot = report.hotspots[0]
    assert (
        f'id="{frame_id(hot.file, hot.function)}"' in page
        and f'href="#{frame_id(hot.file, hot.function)}"' in page
    )
    timeline = page.split('class="timeline"')[1].split("</svg>")[0]
    assert timeline.count("ThreadPoolExecutor-0_") >= 4 and " s</text>" in timeline
    worker = next(t for t in report.profile.threads if t.name.startswith("ThreadPoolExecutor"))
    cols = columns(worker, report.profile.wall_s)
    turns = sum(1 for a, b in zip(cols, cols[1:]) if a == "gil" and b == "cpu")
    assert turns >= 5  # the worker got the GIL back again and again


def test_flame_graph_is_bounded_for_big_profiles(load_report_fixture):
    from gilscope.model import Frame, StackCount
    from gilscope.render.flame import MAX_NODES, flame_svg

    report = load_report_fixture("gil_threads")
    frames = [Frame(function=f"f{i}", file="/p/app.py", line=i, user=True) for i in range(3000)]
    stacks = [
        StackCount(
            thread=0,
            frames=(0, 1 + i % 50, 100 + i),
            state="cpu",
            samples=1,
            wall_s=0.001 + (i == 0),
            cpu_s=0.001,
        )
        for i in range(2800)
    ]
    big = replace(report, profile=replace(report.profile, frames=frames, stacks=stacks))
    svg = flame_svg(big)
    assert svg.count("<rect") <= MAX_NODES and "frames each under 0.2% of the time, merged" in svg
