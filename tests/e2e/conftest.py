"""Fixtures of the end-to-end tests."""

import pytest
from examples_support import Runs


def pytest_configure(config):
    config.addinivalue_line("markers", "e2e: runs example scripts in subprocesses (slow)")


@pytest.fixture(scope="session")
def runs(tmp_path_factory):
    """Cached bare and profiled runs of the examples (see examples_support.Runs)."""
    return Runs(tmp_path_factory)
