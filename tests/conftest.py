"""Shared test plumbing: the --update-golden option and loaders for the stored fixtures."""
from __future__ import annotations

from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
FIXTURES = TESTS / "fixtures"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="Rewrite golden files under tests/golden/ instead of comparing against them.")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture
def fixture_path():
    """fixture_path("reports/rich.json") -> the file under tests/fixtures/."""
    def find(name: str) -> Path:
        path = FIXTURES / name
        assert path.exists(), f"missing test fixture {path}"
        return path
    return find


@pytest.fixture
def load_report_fixture(fixture_path):
    """load_report_fixture("rich") -> the Report stored in tests/fixtures/reports/rich.json."""
    from gilscope.model import Report

    def load(name: str) -> Report:
        return Report.model_validate_json(fixture_path(f"reports/{name}.json").read_text(encoding="utf-8"))
    return load
