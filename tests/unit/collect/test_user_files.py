"""Which files are the user's is decided once per file, and for library files without resolving symlinks:
each lstat of a realpath lets go of the GIL, and a sampler that lets go of it while threads run C code holding
it waits tens of ms to get it back (a round of 3.11's cgil_pickle took 1.3 s on 25 lstat calls)."""

import os

import pytest

from gilscope.agent import stacks


@pytest.fixture
def resolutions(monkeypatch):
    stacks.library_folders()
    monkeypatch.setattr(stacks, "_USER_BY_FILE", {})
    monkeypatch.setattr(stacks, "_REAL_FOLDERS", {})
    seen: list[str] = []
    real = os.path.realpath

    def counting(path, *args, **kwargs):
        seen.append(str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(stacks.os.path, "realpath", counting)
    return seen


def test_a_library_file_is_told_without_resolving_it(resolutions):
    assert not stacks.is_user_file(os.__file__)
    assert not stacks.is_user_file(stacks.__file__)  # gilscope's own
    assert resolutions == []


def test_a_user_file_is_resolved_once_per_folder(tmp_path, resolutions):
    first, second = tmp_path / "a.py", tmp_path / "b.py"
    for _ in range(3):
        assert stacks.is_user_file(str(first)) and stacks.is_user_file(str(second))
    assert resolutions == [str(tmp_path)]


def test_a_user_folder_that_is_a_symlink_into_the_library_is_library(tmp_path, resolutions):
    link = tmp_path / "looks_local"
    link.symlink_to(os.path.dirname(os.__file__))
    assert not stacks.is_user_file(str(link / "threading.py"))
    assert stacks.is_user_file(str(tmp_path / "mine.py"))
