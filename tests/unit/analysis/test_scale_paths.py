"""The shortcuts that keep big profiles fast give the answers of the plain, one-at-a-time computations."""

import json
from collections import defaultdict

from gilscope.analysis import classify
from gilscope.analysis.attribute import index_of, owner
from gilscope.analysis.classify import lock_holders
from gilscope.analysis.facts import _lock_held_scan, lock_held, run_context
from gilscope.collect.merge import merge
from gilscope.model import Report, RunInfo, State, dumps
from gilscope.model.validate import validated_json
from gilscope.render import Format, render
from gilscope.render import html as html_render

FRAMES = [
    ["<module>", "/p/app.py", 1, True],
    ["serve", "/p/app.py", 10, True],
    ["handle", "/p/app.py", 20, True],
    ["update", "/p/app.py", 30, True],
    ["parse", "/p/app.py", 40, True],
    ["Lock.acquire", "/usr/lib/python3.11/threading.py", 5, False],
    ["handle.<locals>.<listcomp>", "/p/app.py", 22, True],
]
STACKS = [  # thread, frames (outermost first), line, state, blocker, samples, wall, cpu, critical, waits
    [0, [0, 1, 2], 21, "cpu", None, 40, 0.2, 0.2, 0.2, 0],
    [1, [0, 1, 2, 3], 31, "lock", "lock.acquire", 30, 0.15, 0.0, 0.0, 3],
    [1, [0, 1, 2, 3, 4], 41, "cpu", None, 30, 0.15, 0.15, 0.1, 0],
    [2, [0, 1, 3], 31, "lock", "lock.acquire", 20, 0.1, 0.0, 0.0, 2],
    [2, [0, 1, 3], 32, "io", "time.sleep", 20, 0.1, 0.0, 0.05, 4],
    [0, [0, 1, 2, 6], 22, "cpu", None, 20, 0.1, 0.1, 0.1, 0],
    [1, [0, 1, 2, 3, 5], 31, "lock", "with", 10, 0.05, 0.0, 0.0, 1],
]


def _profile():
    threads = [
        {"tid": 10 + i, "name": n, "is_main": i == 0, "wall_s": 1.0, "cpu_s": 0.3}
        for i, n in enumerate(("MainThread", "w-1", "w-2"))
    ]
    return merge(
        [
            {
                "role": "main",
                "pid": 1,
                "frames": FRAMES,
                "threads": threads,
                "stacks": STACKS,
                "wall_s": 1.0,
                "interval_s": 0.005,
                "gil_measured": True,
            }
        ],
        "sampler",
    )


def test_merge_builds_the_stacks_validation_would():
    profile = _profile()
    again = validated_json(type(profile), dumps(profile))
    assert again == profile and again.stacks == profile.stacks
    assert all(isinstance(s.state, State) for s in profile.stacks)
    assert json.loads(dumps(profile.stacks[1]))["state"] == "lock"


def test_cached_owner_matches_a_fresh_index():
    profile = _profile()
    assert [owner(profile, s.frames) for s in profile.stacks] == [2, 3, 4, 3, 3, 2, 3]  # listcomp folds
    assert owner(profile, list(profile.stacks[0].frames)) == 2  # unhashable frames: answered uncached
    assert index_of(profile) is index_of(profile)


def test_lock_holders_in_one_pass_match_one_at_a_time():
    profile = _profile()

    def plain(key):  # the one-function scan the batch replaces
        seconds = defaultdict(float)
        for s in profile.stacks:
            if key in s.frames and s.state not in (State.lock, State.gil):
                inner = owner(profile, s.frames)
                if inner is not None:
                    seconds[inner] += s.wall_s
        return profile.frames[max(seconds, key=seconds.get)].function if seconds else None

    keys = list(range(len(profile.frames)))
    together = lock_holders(profile, keys)
    assert together == {k: plain(k) for k in keys if plain(k) is not None}
    assert all(lock_holders(profile, [k]).get(k) == plain(k) for k in keys)


def test_lock_held_for_all_hotspots_matches_each_alone():
    profile = _profile()
    run = RunInfo(
        argv=["app.py"],
        python_version="3.11",
        gil_enabled=True,
        free_threaded_build=False,
        cpu_count=2,
        wall_s=1.0,
        cpu_s=0.5,
        exit_code=0,
        engine="sampler",
    )
    hotspots = classify(profile)
    assert any(h.function == "update" for h in hotspots)
    context = run_context(profile, hotspots)  # one scan for every lock hotspot
    batched = [lock_held(h, context, profile, run) for h in hotspots]
    alone = [lock_held(h, run_context(profile, [h]), profile, run) for h in hotspots]  # one scan each
    assert batched == alone and any(batched)
    groups = [(h.function, h.file) for h in hotspots]
    assert _lock_held_scan(profile, groups) == {g: _lock_held_scan(profile, [g])[g] for g in groups}


def test_html_embeds_at_most_the_heaviest_stacks(monkeypatch):
    profile = _profile()
    run = RunInfo(
        argv=["app.py"],
        python_version="3.11",
        gil_enabled=True,
        free_threaded_build=False,
        cpu_count=2,
        wall_s=1.0,
        cpu_s=0.5,
        exit_code=0,
        engine="sampler",
    )
    report = Report(run=run, hotspots=classify(profile), profile=profile)
    page = render(report, Format.html)
    embedded = json.loads(page.split('id="gilscope-report">')[1].split("</script>")[0])
    assert embedded == json.loads(dumps(report))
    monkeypatch.setattr(html_render, "EMBED_MAX_STACKS", 3)
    page = render(report, Format.html)
    embedded = json.loads(page.split('id="gilscope-report">')[1].split("</script>")[0])
    stacks = embedded["profile"]["stacks"]
    assert [s["wall_s"] for s in stacks] == [0.2, 0.15, 0.15]  # the three heaviest, in profile order
    assert "embeds the 3 heaviest of the profile's 7 stacks" in embedded["profile"]["notes"][-1]
    assert embedded["hotspots"] == json.loads(dumps(report))["hotspots"]
