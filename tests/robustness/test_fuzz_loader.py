"""Property tests for the report loader (issue 6): whatever file `report`, `check`, `diff` or `--baseline` is
given, gilscope.gate.load_report returns a Report or raises ReportLoadError, one line naming the file, and
nothing else. (The rule condition language has its own property test in tests/unit/engine/
test_engine_properties.py.)"""

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gilscope.errors import ReportLoadError
from gilscope.gate import load_report
from gilscope.model import Report

RICH = json.loads(
    (Path(__file__).resolve().parents[1] / "fixtures" / "reports" / "rich.json").read_text("utf-8")
)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)


def load_or_reject(tmp_path: Path, content: bytes) -> Report | None:
    path = tmp_path / "fuzz.json"
    path.write_bytes(content)
    try:
        return load_report(path)
    except ReportLoadError as exc:
        message = str(exc)
        assert str(path) in message and "\n" not in message, message
        return None


@FUZZ
@given(content=st.binary(max_size=300))
def test_random_bytes(tmp_path, content):
    load_or_reject(tmp_path, content)


@FUZZ
@given(value=json_values)
def test_random_json(tmp_path, value):
    load_or_reject(tmp_path, json.dumps(value).encode())


@FUZZ
@given(
    value=st.dictionaries(st.sampled_from(sorted(RICH)), json_values, max_size=6),
    version=st.sampled_from([1, 0, 2, "1", None]),
)
def test_random_json_that_claims_to_be_a_report(tmp_path, value, version):
    load_or_reject(tmp_path, json.dumps(dict(value, schema_version=version)).encode())


def _paths(value, prefix=()):
    """Every (path, value) inside a parsed JSON document, the document itself first."""
    yield prefix, value
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, inner in items:
        yield from _paths(inner, prefix + (key,))


RICH_PATHS = [path for path, _ in _paths(RICH) if path]


@FUZZ
@given(where=st.sampled_from(RICH_PATHS), new=json_values | st.just("<delete>"))
def test_a_real_report_with_one_value_changed_or_removed(tmp_path, where, new):
    doc = json.loads(json.dumps(RICH))
    parent = doc
    for key in where[:-1]:
        parent = parent[key]
    if new == "<delete>":
        del parent[where[-1]]
    else:
        parent[where[-1]] = new
    load_or_reject(tmp_path, json.dumps(doc).encode())


@FUZZ
@given(cut=st.integers(0, len(json.dumps(RICH).encode())))
def test_a_real_report_cut_short(tmp_path, cut):
    data = json.dumps(RICH).encode()
    assert (load_or_reject(tmp_path, data[:cut]) is not None) == (cut == len(data))


def test_pathological_json(tmp_path):
    for content in (
        b"[" * 100_000,
        b'{"schema_version": ' + b"9" * 5000 + b"}",
        b"\xef\xbb\xbf{}",
        b'{"schema_version": 1, "run": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
        b"",
        b"\x00" * 64,
        b'{"schema_version": [' + b"1," * 10_000 + b"1]}",
    ):
        assert load_or_reject(tmp_path, content) is None
