"""The builtin rules' cache (engine/loader.py): the same rules as a fresh load, and never a wrong or a
foreign file."""

import os
import shutil
from pathlib import Path

import pytest

from gilscope.engine import loader
from gilscope.errors import RuleLoadError
from gilscope.model import dumps


@pytest.fixture
def cache_home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def own_rules(tmp_path, monkeypatch) -> Path:
    """A copy of the builtin rules, used as the builtin folder."""
    folder = tmp_path / "rules"
    shutil.copytree(loader.builtin_rules_dir(), folder)
    monkeypatch.setattr(loader, "_BUILTIN_CANDIDATES", (folder,))
    return folder


def cache_file() -> Path:
    found = loader._cache_file()
    assert found is not None
    return found


def fresh() -> list:
    root = loader.builtin_rules_dir()
    return loader._load_folder(root, True)


def cached() -> list | None:
    root = loader.builtin_rules_dir()
    return loader._read_cache(cache_file(), loader._cache_key(root, sorted(root.rglob("*.toml"))))


def test_a_cached_load_gives_the_rules_a_fresh_load_gives(cache_home, monkeypatch):
    first = loader.load_rules()
    assert cache_file().is_file()
    assert cache_file().is_relative_to(cache_home)
    with monkeypatch.context() as patched:
        patched.setattr(loader, "load_rule_file", lambda *a: pytest.fail("read afresh"))
        second = loader.load_rules()
    assert second == first == [rule for rule, _where in fresh()]
    assert [dumps(r) for r in second] == [dumps(r) for r in first]
    assert loader._builtin_rules(loader.builtin_rules_dir()) == fresh()  # the `where` of each, too


def test_the_cache_is_private_to_the_user(cache_home):
    loader.load_rules()
    assert cache_file().stat().st_mode & 0o077 == 0


def test_a_changed_rule_file_is_read_again(cache_home, own_rules):
    loader.load_rules()
    path = own_rules / "meta" / "GS901-too-few-samples.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('severity = "info"', 'severity = "warning"', 1), encoding="utf-8")
    (rule,) = [rule for rule in loader.load_rules() if rule.id == "GS901"]
    assert rule.severity.value == "warning"


def test_a_broken_rule_file_fails_every_time(cache_home, own_rules):
    loader.load_rules()
    path = own_rules / "meta" / "GS901-too-few-samples.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("severity =", "severity = 1 #", 1), encoding="utf-8"
    )
    for _ in range(2):
        with pytest.raises(RuleLoadError, match=r"^rules/meta/GS901-too-few-samples.toml: rule GS901"):
            loader.load_rules()


@pytest.mark.parametrize("content", [b"", b"not a pickle", b"\x80\x05K\x01."])
def test_a_torn_or_strange_cache_is_a_miss(cache_home, content):
    expected = loader.load_rules()
    cache_file().write_bytes(content)
    assert loader.load_rules() == expected
    assert cached() == fresh()  # written again


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_cache_others_can_write_is_not_read(cache_home):
    loader.load_rules()
    assert cached() == fresh()
    os.chmod(cache_file(), 0o666)
    assert cached() is None
    assert loader.load_rules() == [rule for rule, _where in fresh()]
    assert cached() == fresh()  # replaced by a private one


def test_an_unwritable_cache_folder_only_costs_time(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # a file where the folder would be
    assert [rule.id for rule in loader.load_rules()] == [rule.id for rule, _where in fresh()]


def test_no_home_folder_no_cache(monkeypatch):
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", "relative")
    monkeypatch.setattr(os.path, "expanduser", lambda path: path)
    assert loader._cache_file() is None
    assert loader.load_rules()
