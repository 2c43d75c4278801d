"""On a real free-threaded interpreter (CI runs tests/integration on 3.13t): the module that re-enables the GIL is
named (GS801, on CPython's own RuntimeWarning), engines that cannot run there fall back with a caveat, and no GIL
vocabulary appears while the GIL is off."""

import sys

import pytest

FREE_THREADED = not getattr(sys, "_is_gil_enabled", lambda: True)()
pytestmark = pytest.mark.skipif(
    not FREE_THREADED, reason="needs a free-threaded build with the GIL off (.ci/run runs this file on 3.13t)"
)

SPIN = "def spin():\n    return sum(i * i for i in range(2_000_000))\nspin()\n"


def test_importing_yappi_re_enables_the_gil_and_gs801_names_it(profile):
    pytest.importorskip("yappi", reason="yappi is a dependency of gilscope: installed with it")
    proc, report = profile("import yappi\n" + SPIN)
    assert proc.returncode == 0, proc.stderr
    assert "GIL) has been enabled to load module '_yappi'" in proc.stderr  # CPython's own warning, untouched
    assert report["profile"]["gil_reenabled_by"] == ["_yappi"]
    assert any(f["rule"] == "GS801" and "_yappi" in f["message"] for f in report["findings"])


def test_cprofile_falls_back_to_the_sampler_with_a_caveat_before_3_14(profile):
    proc, report = profile(
        "import threading\nts = [threading.Thread(target=lambda: sum(range(10**6))) "
        "for _ in range(4)]\n[t.start() for t in ts]; [t.join() for t in ts]\n",
        options=("--engine", "cprofile"),
    )
    assert proc.returncode == 0, proc.stderr
    if sys.version_info < (3, 14):
        assert report["run"]["engine"] == "sampler"
        assert any("gh-116738" in c for c in report["caveats"])
    else:
        assert report["run"]["engine"] == "cprofile"


def test_no_gil_kind_or_blocker_while_the_gil_is_off(profile):
    proc, report = profile(
        "import threading\nlock = threading.Lock()\n"
        "def work():\n    for _ in range(200):\n        with lock:\n"
        "            sum(range(20_000))\n"
        "ts = [threading.Thread(target=work) for _ in range(4)]\n"
        "[t.start() for t in ts]; [t.join() for t in ts]\n"
    )
    assert proc.returncode == 0, proc.stderr
    assert report["run"]["gil_enabled"] is False
    assert all(h["kind"] != "gil" for h in report["hotspots"]), report["hotspots"]
    assert all("GIL" not in (h.get("blockers") or {}) for h in report["hotspots"])
    assert all(s["state"] != "gil" for s in report["profile"]["stacks"])
