"""Issue 6: bad input, faults and signals lose nothing. One test per row of the issue's table, each through the
real CLI (`python -m gilscope ...` in a subprocess, in a fresh folder), checking the exit code from the README,
a one-line error without a traceback from gilscope, and the JSON report wherever the table says one is written.

Every run gets its own TMPDIR, where the CLI keeps the agent's data files: an empty TMPDIR afterwards shows that
nothing was left behind, and one still empty after a usage error shows that no target was even started.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

import gilscope
from gilscope.gate import load_report
from gilscope.model import Report

HERE = Path(__file__).resolve().parent
TARGETS = HERE / "targets"
REPO = HERE.parents[1]
PACKAGE = str(
    Path(gilscope.__file__).resolve().parent
)  # no frame from here may show in a user-facing message
RICH = REPO / "tests" / "fixtures" / "reports" / "rich.json"


@dataclass
class Result:
    code: int
    out: bytes
    err: str
    elapsed: float


@pytest.fixture
def run(tmp_path):
    """run("profile", ...) -> Result: the CLI in a subprocess, cwd=tmp_path, its own TMPDIR."""
    tmpdir = tmp_path / ".tmp"
    tmpdir.mkdir()

    def run(
        *args,
        stdin: bytes = b"",
        timeout: float = 60,
        python: str = sys.executable,
        tmpdir_name: str | None = None,
    ) -> Result:
        started = time.perf_counter()
        env = _env(tmpdir) if tmpdir_name is None else dict(_env(tmpdir), TMPDIR=tmpdir_name)
        proc = subprocess.run(
            [python, "-m", "gilscope", *map(_arg, args)],
            cwd=tmp_path,
            env=env,
            input=stdin,
            capture_output=True,
            timeout=timeout,
        )
        return Result(
            proc.returncode,
            proc.stdout,
            proc.stderr.decode("utf-8", "replace"),
            time.perf_counter() - started,
        )

    return run


def _arg(value) -> str | bytes:
    return value if isinstance(value, bytes) else str(value)


def _env(tmpdir: Path) -> dict[str, str]:
    env = dict(os.environ, TMPDIR=str(tmpdir), GITHUB_ACTIONS="", NO_COLOR="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def target(name: str) -> str:
    return str(TARGETS / name)


def assert_usage_error(result: Result, *names: str) -> None:
    """Exit 2 and one line `gilscope: error: ...` naming each of `names`."""
    assert result.code == 2, result.err
    assert result.err.startswith("gilscope: error: ") and result.err.count("\n") == 1, result.err
    assert "Traceback" not in result.err
    for name in names:
        assert name in result.err, (name, result.err)


def assert_nothing_started(tmp_path: Path) -> None:
    assert not any((tmp_path / ".tmp").iterdir()), "a target was started"


def assert_nothing_left(tmp_path: Path) -> None:
    """No agent data folder in TMPDIR, no half-written temp file beside the outputs."""
    assert not any((tmp_path / ".tmp").iterdir())
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp") and p.is_file()]


def report(tmp_path: Path, name: str = "out.json") -> Report:
    """The JSON report, read by gilscope's own strict loader (schema-checked)."""
    return load_report(tmp_path / name)


def no_gilscope_traceback(err: str) -> bool:
    return PACKAGE not in err and "gilscope: error" not in err


def hotspot_functions(rep: Report) -> set[str]:
    return {h.function for h in rep.hotspots}


# ---- SCRIPT is missing, is a folder, or is not Python --------------------------------------------------------


def _binary(tmp_path: Path) -> str:
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    return "image.png"


def _prose(tmp_path: Path) -> str:
    (tmp_path / "notes.txt").write_text("Remember to profile the importer before the release.\n")
    return "notes.txt"


def _data(tmp_path: Path) -> str:
    (tmp_path / "config.json").write_text('{"workers": 4}\n')  # valid Python too: rejected by its name
    return "config.json"


def _shell(tmp_path: Path) -> str:
    (tmp_path / "build").write_text("#!/bin/sh\necho hello\n")
    return "build"


def _folder(tmp_path: Path) -> str:
    (tmp_path / "pkg").mkdir()
    return "pkg"


@pytest.mark.parametrize(
    "make",
    [lambda p: "missing.py", _folder, _binary, _prose, _data, _shell],
    ids=["missing", "folder", "binary", "prose", "json", "shell script"],
)
def test_bad_script_is_a_usage_error_and_nothing_runs(run, tmp_path, make):
    script = make(tmp_path)
    result = run("profile", "--json", "out.json", script, "arg")
    assert_usage_error(result, script)
    assert not (tmp_path / "out.json").exists()
    assert_nothing_started(tmp_path)


# ---- the target has a syntax error ---------------------------------------------------------------------------


def test_syntax_error_is_pythons_own_message(run, tmp_path):
    (tmp_path / "broken.py").write_text("import os\n\ndef main(:\n    pass\n")
    python = subprocess.run([sys.executable, "broken.py"], cwd=tmp_path, capture_output=True, text=True)
    result = run("profile", "-q", "--json", "out.json", "broken.py")
    assert result.code == 3
    assert result.err == python.stderr  # python's message, nothing of gilscope's
    assert "SyntaxError" in result.err and "Traceback" not in result.err
    rep = report(tmp_path)
    assert (rep.run.exit_code, rep.run.exception) == (1, "SyntaxError")
    assert_nothing_left(tmp_path)


# ---- the target raises ---------------------------------------------------------------------------------------


def test_raising_target_shows_its_traceback_as_python_would(run, tmp_path):
    python = subprocess.run(
        [sys.executable, target("raises.py")], cwd=tmp_path, capture_output=True, text=True
    )
    result = run("profile", "-q", "--json", "out.json", target("raises.py"))
    assert result.code == 3
    assert result.err == python.stderr  # same frames, same lines, no gilscope frame
    assert result.out == b"target started\n"
    rep = report(tmp_path)
    assert (rep.run.exit_code, rep.run.exception) == (1, "ValueError")
    assert any("exited with status 1 (ValueError)" in c for c in rep.caveats)
    assert_nothing_left(tmp_path)


# ---- sys.exit(n) or os._exit(n) ------------------------------------------------------------------------------


@pytest.mark.parametrize("how, status, code", [("sys", 7, 3), ("os", 9, 3), ("sys", 0, 0), ("os", 0, 0)])
def test_exit_status_is_recorded(run, tmp_path, how, status, code):
    result = run("profile", "-q", "--json", "out.json", target("exits.py"), how, status)
    assert result.code == code, result.err
    assert no_gilscope_traceback(result.err) and "Traceback" not in result.err
    rep = report(tmp_path)
    assert rep.run.exit_code == status and rep.run.exception is None
    assert_nothing_left(tmp_path)


# ---- SIGINT / SIGTERM during the run -------------------------------------------------------------------------


def _interrupt(tmp_path: Path, sig: signal.Signals, *, group: bool, options: tuple = ()) -> Result:
    """Start gilscope on a 30-minute sleep; once the target says "ready", send `sig` to gilscope (or, like a
    terminal's Ctrl-C, to its whole process group)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gilscope",
            "profile",
            "-q",
            "--json",
            "out.json",
            *options,
            target("sleeper.py"),
        ],
        cwd=tmp_path,
        env=_env(tmp_path / ".tmp"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    guard = threading.Timer(30, os.killpg, (proc.pid, signal.SIGKILL))  # never hang the suite on a lost line
    guard.start()
    try:
        assert proc.stdout.readline() == b"ready\n"
        if group:
            os.killpg(proc.pid, sig)
        else:
            os.kill(proc.pid, sig)
        out, err = proc.communicate(timeout=30)
    finally:
        guard.cancel()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return Result(proc.returncode, out, err.decode("utf-8", "replace"), time.perf_counter() - started)


@pytest.mark.parametrize(
    "sig, code, how",
    [
        (signal.SIGINT, 130, "gilscope"),
        (signal.SIGINT, 130, "group"),
        (signal.SIGINT, 130, "late start"),
        (signal.SIGTERM, 143, "gilscope"),
        (signal.SIGTERM, 143, "late start"),
    ],
)
def test_signal_during_the_run_writes_the_partial_report(tmp_path, sig, code, how):
    # "late start": with --rules the target starts only after the full command line is parsed (entry.py)
    (tmp_path / ".tmp").mkdir()
    (tmp_path / "rules").mkdir()
    options = ("--rules", "rules") if how == "late start" else ()
    result = _interrupt(tmp_path, sig, group=how == "group", options=options)
    assert result.code == code, result.err
    assert result.elapsed < 20
    assert no_gilscope_traceback(result.err), result.err
    if sig == signal.SIGINT:  # python shows the KeyboardInterrupt in the target's sleep, and so must we
        assert result.err.rstrip().endswith("KeyboardInterrupt") and "sleeper.py" in result.err
    rep = report(tmp_path)
    assert rep.run.interrupted == sig.name
    assert any("partial profile" in c for c in rep.caveats)
    assert_nothing_left(tmp_path)


@pytest.mark.parametrize("engine", ["auto", "cprofile", "yappi"])
def test_a_sigterm_the_main_thread_misses_still_ends_the_target(run, tmp_path, engine):
    """Under plain python SIGTERM's default action ends the process even when the main thread is blocked and
    never sees it. gilscope's handler must not turn that into a hang (a Pool.terminate() joining its workers
    did hang, now and then)."""
    result = run(
        "profile", "-q", "--engine", engine, "--json", "out.json", target("missed_sigterm.py"), timeout=30
    )
    assert result.code == 143, result.err
    assert result.elapsed < 15
    rep = report(tmp_path)
    assert (rep.run.exit_code, rep.run.interrupted) == (143, "SIGTERM")
    assert "gilscope-" not in " ".join(t.name for t in rep.threads)
    assert_nothing_left(tmp_path)


@pytest.mark.parametrize("engine", ["auto", "cprofile", "yappi"])
def test_a_forked_childs_missed_sigterm_ends_the_child_only(run, tmp_path, engine):
    """The child must not inherit its parent's watch on signals: its SIGTERM would end the parent instead."""
    result = run(
        "profile",
        "-q",
        "--engine",
        engine,
        "--json",
        "out.json",
        target("missed_sigterm.py"),
        "fork",
        timeout=30,
    )
    assert result.code == 0, result.err
    assert result.out.decode().splitlines() == ["child ended by signal 15", "parent done"]
    assert report(tmp_path).run.exit_code == 0
    assert_nothing_left(tmp_path)


# ---- --timeout S ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ignores_sigterm", [False, True], ids=["sleep", "sleep ignoring SIGTERM"])
def test_timeout_stops_a_30_minute_sleep(run, tmp_path, ignores_sigterm):
    args = ["--ignore-sigterm"] if ignores_sigterm else []
    result = run("profile", "-q", "--timeout", "1", "--json", "out.json", target("sleeper.py"), *args)
    assert result.code == 124, result.err
    assert result.elapsed < (8 if ignores_sigterm else 5)  # SIGTERM at 1 s; SIGKILL 3 s later if ignored
    assert no_gilscope_traceback(result.err), result.err
    rep = report(tmp_path)
    assert rep.run.interrupted == "timeout"
    assert any("partial profile" in c for c in rep.caveats)
    if not ignores_sigterm:
        assert rep.run.samples > 0
    assert_nothing_left(tmp_path)


# ---- an output path in a missing or read-only folder ---------------------------------------------------------


def _unwritable_folder(tmp_path: Path) -> Path:
    """A folder this process cannot create files in: a 0555 one, or for root (who may write there anyway)
    a system folder that refuses new files."""
    folder = tmp_path / "readonly"
    folder.mkdir()
    folder.chmod(0o555)
    for candidate in (folder, Path("/sys"), Path("/proc")):
        probe = candidate / ".probe"
        try:
            probe.touch()
        except OSError:
            return candidate
        probe.unlink()
    pytest.fail("no folder here refuses new files, even /sys and /proc")


@pytest.mark.parametrize("flag", ["--json", "--markdown", "--html", "--sarif", "--speedscope"])
def test_output_in_a_missing_folder_fails_before_the_target_runs(run, tmp_path, flag):
    result = run("profile", flag, "no/such/out.x", target("marker.py"))
    assert_usage_error(result, flag, "no/such/out.x", "does not exist")
    assert not (tmp_path / "ran.marker").exists()
    assert_nothing_started(tmp_path)


@pytest.mark.parametrize("where", ["read-only folder", "is a folder"])
def test_unwritable_output_fails_before_the_target_runs(run, tmp_path, where):
    path = _unwritable_folder(tmp_path) / "out.json" if where == "read-only folder" else tmp_path
    try:
        result = run("profile", "--json", path, target("marker.py"))
    finally:
        if where == "read-only folder":
            (tmp_path / "readonly").chmod(0o755)
    assert_usage_error(result, str(path))
    assert not (tmp_path / "ran.marker").exists()
    assert_nothing_started(tmp_path)


# ---- an existing report file: replaced atomically ------------------------------------------------------------


def test_existing_report_is_replaced_atomically(run, tmp_path):
    old = '{"an": "older report"}\n'
    out = tmp_path / "out.json"
    out.write_text(old)
    out.chmod(0o640)
    os.link(out, tmp_path / "kept.json")  # a second name for the old file's inode
    seen: set[str] = set()
    done = threading.Event()

    def watch():  # every read, all through the run, sees either the old file or a whole new report
        while not done.is_set():
            text = out.read_text()
            seen.add("old" if text == old else "new" if json.loads(text)["schema_version"] == 1 else text)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        result = run("profile", "-q", "--json", out.name, target("exits.py"), "sys", "0")
    finally:
        done.set()
        watcher.join()
    assert result.code == 0, result.err
    assert seen <= {"old", "new"}
    assert report(tmp_path).run.exit_code == 0
    assert (tmp_path / "kept.json").read_text() == old  # renamed over, not rewritten in place
    assert out.stat().st_ino != (tmp_path / "kept.json").stat().st_ino
    assert out.stat().st_mode & 0o777 == 0o640
    assert_nothing_left(tmp_path)


# ---- targets that close or redirect stdout, chdir, start daemon threads, fork, exec, read stdin, print bytes --


def _close_stdout(tmp_path, result, rep):
    assert result.out == b"before close\n" and "still running" in result.err


def _redirect_stdout(tmp_path, result, rep):
    assert result.out == b"" and (tmp_path / "redirected.txt").read_text() == "into the file\n"


def _chdir(tmp_path, result, rep):
    assert result.out == b"cwd ends in sub\n" and not (tmp_path / "sub" / "out.json").exists()


def _daemon_threads(tmp_path, result, rep):
    assert result.out == b"main done\n"
    assert sum(t.role == "daemon thread" for t in rep.threads) == 2


def _forks(tmp_path, result, rep):
    assert result.out == b"parent done\n"
    assert sum(t.role == "child" for t in rep.threads) == 2 and len({t.pid for t in rep.threads}) == 3


def _execs(tmp_path, result, rep):
    assert result.out == b"exec child ran\n"


def _reads_stdin(tmp_path, result, rep):
    assert result.out == b"read 3 lines, 14 bytes\n"


def _bad_bytes(tmp_path, result, rep):
    assert result.out == b"not utf-8: \xff\xfe\x80\nargs: [b'\\xff\\xferaw', b'caf\\xe9']\n"
    assert "also on stderr" in result.err
    for name in ("out.md", "out.html", "out.sarif"):  # every format, valid UTF-8
        (tmp_path / name).read_text(encoding="utf-8")
    assert rep.run.argv[1:] == ["\\udcff\\udcferaw", "caf\\udce9"]  # shown escaped, never lost


UNUSUAL = {
    "close_stdout": _close_stdout,
    "redirect_stdout": _redirect_stdout,
    "chdir": _chdir,
    "daemon_threads": _daemon_threads,
    "forks": _forks,
    "execs": _execs,
    "reads_stdin": _reads_stdin,
    "bad_bytes": _bad_bytes,
}


@pytest.mark.parametrize("name", UNUSUAL)
def test_unusual_target_is_profiled_and_reported(run, tmp_path, name):
    args = [b"\xff\xferaw", b"caf\xe9"] if name == "bad_bytes" else []
    # a relative TMPDIR (where the agent's data goes) must survive the target's chdir
    result = run(
        "profile",
        "-q",
        "--json",
        "out.json",
        "--markdown",
        "out.md",
        "--html",
        "out.html",
        "--sarif",
        "out.sarif",
        target(f"{name}.py"),
        *args,
        stdin=b"one\ntwo\nthree\n",
        timeout=30,
        tmpdir_name=".tmp" if name == "chdir" else None,
    )
    assert result.code == 0, result.err
    assert no_gilscope_traceback(result.err), result.err
    rep = report(tmp_path)
    assert rep.run.exit_code == 0 and rep.run.samples > 0
    assert "work" in hotspot_functions(rep)  # the target's own busy function was seen
    UNUSUAL[name](tmp_path, result, rep)
    assert_nothing_left(tmp_path)


# ---- py-spy cannot attach, or the target exits within milliseconds -------------------------------------------


def test_pyspy_on_a_target_that_exits_at_once(run, tmp_path):
    result = run("profile", "-q", "--engine", "pyspy", "--json", "out.json", target("empty.py"))
    assert result.code == 0, result.err
    assert no_gilscope_traceback(result.err), result.err
    rep = report(tmp_path)
    assert rep.run.exit_code == 0
    assert any("short run" in c or "py-spy" in c for c in rep.caveats)
    assert_nothing_left(tmp_path)


def test_pyspy_that_cannot_attach_falls_back_with_a_caveat(run, tmp_path):
    # gilscope looks for py-spy beside its python first: a python linked into a folder with a py-spy that fails
    # the way it does without ptrace permission.
    bin_dir = tmp_path / "py" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").symlink_to(sys.executable)
    if sys.prefix != sys.base_prefix:  # in a venv, the link finds the venv's packages through these two
        (bin_dir.parent / "pyvenv.cfg").write_text((Path(sys.prefix) / "pyvenv.cfg").read_text())
        (bin_dir.parent / "lib").symlink_to(Path(sys.prefix) / "lib")
    spy = bin_dir / "py-spy"
    spy.write_text(
        "#!/bin/sh\necho 'Error: Failed to attach: Operation not permitted (os error 1)' >&2\nexit 1\n"
    )
    spy.chmod(0o755)
    result = run(
        "profile",
        "-q",
        "--engine",
        "pyspy",
        "--json",
        "out.json",
        target("marker.py"),
        python=str(bin_dir / "python"),
    )
    assert result.code == 0, result.err
    assert no_gilscope_traceback(result.err), result.err
    assert (tmp_path / "ran.marker").read_text() == "ran\n"  # ran once, not twice
    rep = report(tmp_path)
    assert rep.run.engine != "pyspy" and rep.run.exit_code == 0
    assert any("py-spy could not" in c and "Operation not permitted" in c for c in rep.caveats)
    assert_nothing_left(tmp_path)


# ---- a rules folder with a broken rule file ------------------------------------------------------------------

BASE_RULE = (REPO / "rules" / "meta" / "GS901-too-few-samples.toml").read_text(encoding="utf-8")
RULE = BASE_RULE.replace('id = "GS901"', 'id = "GS990"').replace(
    'name = "too-few-samples"', 'name = "my-rule"'
)
SUMMARY = next(line for line in RULE.splitlines(keepends=True) if line.startswith("summary = "))
RULE_CASES = {  # (old, new, file name, field, problem)
    "bad TOML": ("[when]", "[when", "GS990-my-rule.toml", "when", "invalid TOML"),
    "unknown fact": (
        'fact = "samples"',
        'fact = "sampels"',
        "GS990-my-rule.toml",
        "when.all[1].any[0].fact",
        "unknown fact 'sampels'",
    ),
    "wrong type": (
        "lt = 100",
        'lt = "many"',
        "GS990-my-rule.toml",
        "when.all[1].any[0].lt",
        "expected a number",
    ),
    "duplicate id": ('id = "GS990"', 'id = "GS901"', "GS901-my-rule.toml", "id", "duplicate id 'GS901'"),
    "missing docs": (SUMMARY, "", "GS990-my-rule.toml", "docs.summary", "missing"),
    "code in a condition": (
        'fact = "samples"',
        "fact = \"__import__('os').system('touch pwned')\"",
        "GS990-my-rule.toml",
        "when.all[1].any[0].fact",
        "unknown fact",
    ),
    "nested too deeply": (
        "[when]",
        "deep = " + "[" * 100_000 + "]" * 100_000 + "\n[when]",
        "GS990-my-rule.toml",
        None,
        "invalid TOML: nested too deeply",
    ),
    "code in the message": (
        "${samples}",
        "${__import__('os').system('touch pwned')}",
        "GS990-my-rule.toml",
        "message",
        "",
    ),
}


@pytest.mark.parametrize("case", RULE_CASES)
def test_broken_rule_file_names_file_rule_and_field(run, tmp_path, case):
    old, new, file_name, field, problem = RULE_CASES[case]
    assert old in RULE
    folder = tmp_path / "myrules" / "meta"
    folder.mkdir(parents=True)
    (folder / file_name).write_text(RULE.replace(old, new, 1), encoding="utf-8")
    rule_id = file_name.split("-")[0]
    result = run("profile", "--rules", "myrules", target("marker.py"))
    where = f"field '{field}': " if field else ""
    assert_usage_error(result, f"myrules/meta/{file_name}: rule {rule_id}: {where}{problem}")
    assert not (tmp_path / "ran.marker").exists() and not (tmp_path / "pwned").exists()
    assert_nothing_started(tmp_path)
    result = run("rules", "check", "--rules", "myrules")
    assert result.code == 2 and f"{where}{problem}" in result.err and "Traceback" not in result.err


# ---- a malformed or foreign JSON file given to report, check or diff -----------------------------------------

BAD_REPORTS = {
    "truncated": (b'{"schema_version": 1, "run": {', "is not valid JSON"),
    "sarif": (b'{"version": "2.1.0", "runs": []}', "is not a gilscope report"),
    "array": (b"[1, 2, 3]", "is not a gilscope report"),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\xff", "cannot read"),
    "future schema": (b'{"schema_version": 99}', "has schema_version 99"),
    "fields missing": (b'{"schema_version": 1, "tool": "gilscope"}', "is not a valid gilscope report"),
}


@pytest.mark.parametrize("command", ["report", "check", "diff"])
@pytest.mark.parametrize("case", BAD_REPORTS)
def test_bad_report_json_is_a_clear_error(run, tmp_path, command, case):
    content, problem = BAD_REPORTS[case]
    (tmp_path / "bad.json").write_bytes(content)
    args = {
        "report": ["report", "bad.json"],
        "check": ["check", "bad.json"],
        "diff": ["diff", RICH, "bad.json"],
    }
    result = run(*args[command])
    assert_usage_error(result, "bad.json", problem)
    assert result.out == b""


def test_bad_baseline_is_a_usage_error_before_the_target_runs(run, tmp_path):
    (tmp_path / "old.json").write_text("[")
    result = run("profile", "--fail-on", "warning", "--baseline", "old.json", target("marker.py"))
    assert_usage_error(result, "old.json", "is not valid JSON")
    assert not (tmp_path / "ran.marker").exists()


# ---- untrusted text in HTML, Markdown, SARIF and annotations: escaped ----------------------------------------
# Covered by tests/unit/render/test_render_escaping.py (properties over hostile function names, paths, messages
# and thread names in every format); not repeated here.


# ---- 1000 threads; recursion 5000 deep; a 30-minute sleep under --timeout 1 ---------------------------------

PEAK_RSS_MB = 400


@pytest.mark.parametrize(
    "name, args, code, seconds",
    [
        ("many_threads.py", (), 0, 60),
        ("deep_recursion.py", (), 0, 60),
        ("sleeper.py", ("--timeout", "1"), 124, 5),
    ],
    ids=["1000 threads", "recursion 5000 deep", "30-minute sleep, --timeout 1"],
)
def test_bounded_time_and_memory(tmp_path, name, args, code, seconds):
    # through a small parent whose RUSAGE_CHILDREN peak covers gilscope, the agent and the target alone
    (tmp_path / ".tmp").mkdir()
    probe = (
        "import resource, subprocess, sys; code = subprocess.call(sys.argv[1:]); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)"
    )
    started = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            probe,
            sys.executable,
            "-m",
            "gilscope",
            "profile",
            "-q",
            *args,
            "--json",
            "out.json",
            target(name),
        ],
        cwd=tmp_path,
        env=_env(tmp_path / ".tmp"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    elapsed = time.perf_counter() - started
    peak_kb, status = map(int, proc.stdout.split()[-2:])
    assert status == code, proc.stderr
    assert elapsed < seconds
    assert peak_kb < PEAK_RSS_MB * 1024, f"peak RSS {peak_kb // 1024} MB"
    assert no_gilscope_traceback(proc.stderr), proc.stderr
    rep = report(tmp_path)
    if name == "many_threads.py":
        assert len(rep.threads) > 100
    if name == "deep_recursion.py":
        assert "down" in hotspot_functions(rep)
    assert_nothing_left(tmp_path)
