import json

import pytest

from gilscope.errors import UsageError
from gilscope.render import Format, render
from gilscope.render.speedscope import speedscope_document


def test_one_sampled_profile_per_thread_weights_in_seconds(load_report_fixture):
    report = load_report_fixture("rich")
    doc = json.loads(render(report, Format.speedscope))
    assert doc["$schema"] == "https://www.speedscope.app/file-format-schema.json"
    frames = doc["shared"]["frames"]
    assert [p["name"] for p in doc["profiles"]] == [
        "MainThread (tid 1001)",
        "worker-1 (tid 1002)",
        "io-thread (tid 1003)",
    ]
    for p, thread_index in zip(doc["profiles"], range(3)):
        stacks = [s for s in report.profile.stacks if s.thread == thread_index]
        assert p["type"] == "sampled" and p["unit"] == "seconds"
        assert len(p["samples"]) == len(p["weights"]) == len(stacks)
        assert p["weights"] == [s.wall_s for s in stacks]
        assert p["endValue"] == pytest.approx(sum(p["weights"]))
        assert all(0 <= i < len(frames) for sample in p["samples"] for i in sample)
    worker = doc["profiles"][1]
    assert [[frames[i]["name"] for i in s] for s in worker["samples"]] == [["score"], ["score", "[gil]"]]
    io = doc["profiles"][2]
    assert frames[io["samples"][0][-1]]["name"] == "[io] socket.recv"
    assert doc["activeProfileIndex"] == 1  # the busiest thread opens first


def test_no_profile_is_a_usage_error(load_report_fixture):
    with pytest.raises(UsageError, match="no saved profile"):
        speedscope_document(load_report_fixture("empty"))
