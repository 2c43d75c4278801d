"""The loader: every broken rule file gives one line naming the file, the rule and the field."""

from pathlib import Path

import pytest

from gilscope.engine import builtin_rules_dir, load_rule_file, load_rules
from gilscope.errors import RuleLoadError

VALID = '''
id = "GS999"
name = "user-rule"
title = "A user rule"
category = "cpu"
severity = "warning"
confidence = "low"
since = "0.1.0"
strategy = "multiprocessing"
message = "${function} takes ${share_of_wall_pct} of the run"

[when]
all = [
  { fact = "kind", eq = "cpu" },
  { fact = "share_of_wall", gte = 0.10 },
]

[docs]
summary = "What it does."
rationale = "Why it matters."
recommendation = "What to do."
before = """
total = sum(f(x) for x in xs)
"""
after = """
with Pool() as pool:
    total = sum(pool.map(f, xs))
"""
references = [{ title = "multiprocessing", url = "https://docs.python.org/3/library/multiprocessing.html" }]

[[tests]]
expect = "fires"
facts = { kind = "cpu", share_of_wall = 0.5 }

[[tests]]
expect = "quiet"
facts = { kind = "io", share_of_wall = 0.5 }
'''


def write(folder: Path, text: str, name: str = "cpu/GS999-user-rule.toml") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def broken(old: str, new: str) -> str:
    assert old in VALID, old
    return VALID.replace(old, new, 1)


def test_valid_user_rule_loads_after_builtin_rules(tmp_path):
    write(tmp_path, VALID)
    rules = load_rules([tmp_path])
    ids = [rule.id for rule in rules]
    assert ids[-1] == "GS999"
    assert ids[:-1] == sorted(ids[:-1])
    assert rules[-1].docs.before == "total = sum(f(x) for x in xs)"


def test_user_rule_in_folder_root_needs_no_category_folder(tmp_path):
    write(tmp_path, VALID, "GS999-user-rule.toml")
    assert load_rules([tmp_path])[-1].id == "GS999"


def test_ignore_drops_by_id_or_name(tmp_path):
    write(tmp_path, VALID)
    ids = {rule.id for rule in load_rules([tmp_path], ignore={"GS999", "hot-python-loop"})}
    assert "GS999" not in ids and "GS102" not in ids and "GS101" in ids


CASES = [
    ("bad toml", broken('title = "A user rule"', 'title = "A user rule'), None, "invalid TOML"),
    (
        "unknown fact",
        broken('{ fact = "share_of_wall", gte = 0.10 }', '{ fact = "shar_of_wall", gte = 0.10 }'),
        "when.all[1].fact",
        "unknown fact 'shar_of_wall'",
    ),
    (
        "op on wrong type",
        broken('{ fact = "kind", eq = "cpu" }', '{ fact = "kind", gte = 1 }'),
        "when.all[0].gte",
        "does not apply",
    ),
    ("wrong value type", broken("gte = 0.10", 'gte = "ten"'), "when.all[1].gte", "expected a number"),
    ("missing when", broken("[when]\nall = [", "[unused]\nall = ["), "when", "missing (+1 more)"),
    ("bad severity", broken('severity = "warning"', 'severity = "fatal"'), "severity", "Input should be"),
    (
        "bad strategy",
        broken('strategy = "multiprocessing"', 'strategy = "magic"'),
        "strategy",
        "Input should be",
    ),
    ("unknown key", broken('since = "0.1.0"', 'since = "0.1.0"\nauthor = "me"'), "author", "unknown key"),
    (
        "empty docs",
        broken('rationale = "Why it matters."', 'rationale = "  "'),
        "docs.rationale",
        "must not be empty",
    ),
    ("missing docs", broken('recommendation = "What to do."\n', ""), "docs.recommendation", "missing"),
    (
        "no references",
        broken(
            'references = [{ title = "multiprocessing", url = '
            '"https://docs.python.org/3/library/multiprocessing.html" }]',
            "references = []",
        ),
        "docs.references",
        "at least 1",
    ),
    (
        "http reference",
        broken("https://docs.python.org", "http://docs.python.org"),
        "docs.references[0].url",
        "https://",
    ),
    (
        "before does not parse",
        broken("total = sum(f(x) for x in xs)", "total = sum(f(x) for x in"),
        "docs.before",
        "not valid Python",
    ),
    (
        "after equals before",
        broken("with Pool() as pool:\n    total = sum(pool.map(f, xs))", "total = sum(f(x) for x in xs)"),
        "docs.after",
        "same code",
    ),
    (
        "message unknown fact",
        broken("${share_of_wall_pct}", "${share_pct}"),
        "message",
        "unknown fact '${share_pct}'",
    ),
    ("message bad placeholder", broken("of the run", "of the $ run"), "message", "bad $ placeholder"),
    ("no quiet test", broken('expect = "quiet"', 'expect = "fires"'), "tests", "no quiet"),
    (
        "test unknown fact",
        broken('facts = { kind = "io", share_of_wall = 0.5 }', 'facts = { kinds = "io" }'),
        "tests[1].facts.kinds",
        "unknown key",
    ),
    ("bad id", broken('id = "GS999"', 'id = "gs-999"'), "id", "should match pattern"),
]


@pytest.mark.parametrize(
    ("text", "field", "problem"), [case[1:] for case in CASES], ids=[c[0] for c in CASES]
)
def test_broken_rule_file_names_file_rule_and_field(tmp_path, text, field, problem):
    path = write(tmp_path, text)
    with pytest.raises(RuleLoadError) as info:
        load_rules([tmp_path])
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    assert problem in message
    if field is not None:
        rule = "gs-999" if "gs-999" in text else "GS999"
        assert f": rule {rule}: field '{field}': " in message


def test_file_name_must_match_id_and_name(tmp_path):
    write(tmp_path, VALID, "cpu/GS999-other-name.toml")
    with pytest.raises(
        RuleLoadError,
        match=r"GS999-other-name.toml: rule GS999: field 'name': file should be named "
        r"GS999-user-rule.toml",
    ):
        load_rules([tmp_path])


def test_folder_must_match_category(tmp_path):
    write(tmp_path, VALID, "io/GS999-user-rule.toml")
    with pytest.raises(
        RuleLoadError, match=r"rule GS999: field 'category': is 'cpu' but the file is in folder 'io'"
    ):
        load_rules([tmp_path])


def test_duplicate_id_across_builtin_and_user_rules(tmp_path):
    write(tmp_path, VALID.replace("GS999", "GS101"), "cpu/GS101-user-rule.toml")
    with pytest.raises(
        RuleLoadError,
        match=r"rule GS101: field 'id': duplicate id 'GS101', also in "
        r"rules/cpu/GS101-cpu-bound-python.toml",
    ):
        load_rules([tmp_path])


def test_duplicate_name_across_user_folders(tmp_path):
    write(tmp_path / "a", VALID)
    write(tmp_path / "b", VALID.replace("GS999", "GS998"), "cpu/GS998-user-rule.toml")
    with pytest.raises(RuleLoadError, match=r"rule GS998: field 'name': duplicate name 'user-rule'"):
        load_rules([tmp_path / "a", tmp_path / "b"])


def test_missing_user_folder(tmp_path):
    with pytest.raises(RuleLoadError, match="rules folder not found"):
        load_rules([tmp_path / "nope"])


def test_relative_display_path_under_working_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "myrules", broken('severity = "warning"', 'severity = "loud"'))
    with pytest.raises(
        RuleLoadError, match=r"^myrules/cpu/GS999-user-rule.toml: rule GS999: field 'severity'"
    ):
        load_rules([Path("myrules")])


def test_builtin_rules_ship_inside_the_package():
    folder = builtin_rules_dir()
    assert folder.name == "rules"
    assert folder.parent.name == "gilscope"
    assert load_rule_file(folder / "gil" / "GS301-threads-serialised-by-gil.toml", folder, True).id == "GS301"
