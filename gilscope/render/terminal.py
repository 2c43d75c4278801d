"""The terminal report, one screen by default: a header line, the top hotspots, the threads grouped, one line per
finding and the most important finding's diff. Verbose adds each finding's conditions, evidence, assumptions and
diff. Every line fits the width; names and paths are shortened, never split."""

from __future__ import annotations

from rich.cells import cell_len

from gilscope.model import Finding, Report, TimeSplit
from gilscope.render.base import (
    STATES,
    RenderOptions,
    clean,
    cores,
    parallelism_text,
    seconds,
    sorted_findings,
    user_change,
    where,
)
from gilscope.render.terminal_findings import finding_details, finding_line
from gilscope.render.textfit import Lines, fit_end, fit_middle, fit_name, fit_path
from gilscope.render.threadgroups import group_threads

KIND_STYLE = {
    "cpu": "magenta",
    "native": "blue",
    "io": "green",
    "gil": "red",
    "lock": "yellow",
    "mixed": "white",
}
MAX_THREAD_ROWS = 12  # thread groups shown before "N more" (all of them with --threads)


def split_text(split: TimeSplit) -> str:
    total = split.total_s
    if not total:
        return "-"
    parts = [(s, getattr(split, f"{s}_s")) for s in STATES]
    return " ".join(f"{name} {value / total * 100:.0f}%" for name, value in parts if value > 0)


def _header(report: Report, out: Lines) -> None:
    run = report.run
    gil = "GIL enabled" if run.gil_enabled else "GIL disabled"
    build = ", free-threaded" if run.free_threaded_build else ""
    command = fit_middle(clean(" ".join(run.argv)) or "?", max(20, out.width // 2))
    exit_ = "exit ?" if run.exit_code is None else f"exit {run.exit_code}"
    items = [
        f"gilscope {report.version}".strip() + f": {command}",
        f"{seconds(run.wall_s)} s wall, {cores(report):.2f} of {run.cpu_count} cores",
        f"{clean(run.implementation)} {clean(run.python_version)} ({gil}{build})",
        f"{run.samples} samples ({clean(run.engine)})",
        exit_,
    ]
    line = ""
    for item in items:  # one line, or broken between items when it does not fit
        if line and cell_len(line) + 3 + cell_len(item) > out.width:
            out.add((line, "bold"))
            line = "  "
        line = f"{line} · {item}" if line.strip() else line + item
    out.add((line, "bold"))
    for label, value in (("exception", run.exception), ("interrupted", run.interrupted)):
        if value:
            out.say(f"{label}: {value}", 0, "red")


def _hotspots(report: Report, out: Lines, opts: RenderOptions) -> None:
    if not report.hotspots:
        out.add("No hotspots.")
        return
    shown = report.hotspots if opts.verbose else report.hotspots[: opts.top]
    n = len(report.hotspots)
    out.add((f"Hotspots (top {len(shown)} of {n})" if len(shown) < n else "Hotspots", "bold"))
    names = [clean(h.function) for h in shown]
    places = [clean(where(h.file, h.line, report)) for h in shown]
    splits = [split_text(h.split) for h in shown]
    fixed = 2 + 6 + 2 + 6 + 2 + 7 + 2 + 7 + 2  # share, kind, wall s, cpu s and their gaps
    split_w = max(cell_len(s) for s in splits + ["time split"])
    inline = out.width - fixed - split_w - 4 >= 36
    room = out.width - fixed - 2 - (split_w + 2 if inline else 0)
    name_w, place_w = _share_room(
        room, max(cell_len(s) for s in names + ["function"]), max(cell_len(s) for s in places + ["location"])
    )
    head = f"  {'share':>6}  {'kind':6}  {'wall s':>7}  {'cpu s':>7}  {'function':{name_w}}  {'location':{place_w}}"
    out.add((head + ("  time split" if inline else ""), "dim"))
    for h, name, place, split in zip(shown, names, places, splits):
        name, place = fit_name(name, name_w), fit_path(place, place_w)
        row: list[tuple[str, str] | str] = [
            f"  {h.share * 100:5.1f}%  ",
            (f"{h.kind.value:6}", KIND_STYLE[h.kind.value]),
            f"  {seconds(h.wall_s):>7}  {seconds(h.cpu_s):>7}  ",
            (name + " " * (name_w - cell_len(name)), "bold"),
            f"  {place}",
        ]
        if inline:
            row.append(" " * (place_w - cell_len(place)) + f"  {split}")
        out.add(*row)
        if not inline:
            out.add((fit_end(" " * fixed + split, out.width), "dim"))
    if opts.verbose:
        for h in shown:
            if h.blockers:
                blockers = ", ".join(
                    f"{k} {v:.3f} s" for k, v in sorted(h.blockers.items(), key=lambda kv: -kv[1])
                )
                out.say(f"{h.function} blocked in: {blockers}", 2, "dim", hang=4)
    if len(shown) < n:
        out.add((f"  … {n - len(shown)} more (-v lists them all)", "dim"))


def _share_room(room: int, name_need: int, place_need: int) -> tuple[int, int]:
    """Columns for the function and the location out of `room`: each its need if both fit, else split fairly."""
    if name_need + 2 + place_need <= room:
        return name_need, place_need
    place_w = min(place_need, max(14, (room - 2) // 2))
    name_w = min(name_need, room - 2 - place_w)
    return name_w, room - 2 - name_w


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f}%"


def _threads(report: Report, out: Lines, opts: RenderOptions) -> None:
    if not report.threads:
        return
    groups = group_threads(report.threads, one_by_one=opts.threads)
    shown = groups if opts.threads else groups[:MAX_THREAD_ROWS]
    wide = out.width >= 100
    n = len(report.threads)
    title = f"Threads ({n})" if opts.threads or len(groups) == n else f"Threads ({n} in {len(groups)} groups)"
    out.add((title, "bold"))
    if parallelism_text(report):
        out.add(("  " + parallelism_text(report), ""))
    numbers = (
        f"  {'wall s':>8}"
        + (f"  {'cpu s':>8}" if wide else "")
        + f"  {'GIL held':>8}  {'GIL wait':>8}  {'native':>6}  {'idle':>5}"
    )
    role_w = min(17, max(cell_len(clean(g.role)) for g in shown)) if wide else 0
    name_w = out.width - 2 - cell_len(numbers) - (role_w + 2 if wide else 0)
    labels = [_group_label(g.name, g.count, name_w) for g in shown]
    name_w = min(name_w, max(cell_len(s) for s in labels + ["thread"]))
    out.add((f"  {'thread':{name_w}}" + (f"  {'role':{role_w}}" if wide else "") + numbers, "dim"))
    for g, label in zip(shown, labels):
        row: list[tuple[str, str] | str] = [("  " + label + " " * (name_w - cell_len(label)), "bold")]
        if wide:
            role = fit_end(clean(g.role), role_w)
            row.append("  " + role + " " * (role_w - cell_len(role)))
        row.append(
            f"  {seconds(g.wall_s):>8}"
            + (f"  {seconds(g.cpu_s):>8}" if wide else "")
            + f"  {_pct(g.ratio('gil_held')):>8}  {_pct(g.ratio('gil_wait')):>8}"
            f"  {_pct(g.ratio('native')):>6}  {_pct(g.ratio('idle')):>5}"
        )
        out.add(*row)
    if len(shown) < len(groups):
        out.add((f"  … {len(groups) - len(shown)} more groups (--threads lists every thread)", "dim"))
    if any(t.gil_held is None for t in report.threads):
        out.add(("  – not measured", "dim"))


def _group_label(name: str, count: int, width: int) -> str:
    suffix = f" ×{count}" if count > 1 else ""
    return fit_middle(clean(name), max(4, width - cell_len(suffix))) + suffix


def _findings(report: Report, out: Lines, opts: RenderOptions) -> None:
    findings = sorted_findings(report)
    hint = "" if opts.verbose or not findings else "; -v for evidence and every diff"
    out.add((f"Findings ({len(findings)}{hint})", "bold"))
    if not findings:
        out.add("  none")
        return
    for i, f in enumerate(findings):
        if opts.verbose and i:
            out.blank()
        finding_line(f, report, out)
        if opts.verbose:
            finding_details(f, report, out)
    if not opts.verbose:
        _top_change(findings, report, out)


def _top_change(findings: list[Finding], report: Report, out: Lines) -> None:
    """The most important finding's diff of the user's code, when it has one."""
    top = findings[0]
    _, _, diff = user_change(top)
    if not diff and top.change_requires:
        out.blank()
        out.say(f"No diff for {top.rule}: the change is safe only if", 0, "bold")
        for need in top.change_requires:
            out.say(f"- {need}", 2)
    if not diff:
        return
    place = top.change_at or top
    at = where(place.file, place.line, report) + (f" in {place.function}" if place.function else "")
    out.blank()
    out.say(f"Change for {top.rule} at {at}:", 0, "bold")
    out.block(diff)


def _caveats(report: Report, out: Lines) -> None:
    if report.caveats:
        out.add(("Caveats", "bold"))
        for c in report.caveats:
            out.say(f"- {c}", 2, "yellow")


def render_text(
    report: Report, *, options: RenderOptions | None = None, color: bool = False, width: int = 100
) -> str:
    opts = options or RenderOptions(color=color, width=width)
    out = Lines(opts.width)
    _header(report, out)
    for section in (
        lambda: _hotspots(report, out, opts),
        lambda: _threads(report, out, opts),
        lambda: _findings(report, out, opts),
        lambda: _caveats(report, out),
    ):
        before = len(out.lines)
        out.blank()
        section()
        if len(out.lines) == before + 1:
            out.lines.pop()
    return _print(out, opts)


def _print(out: Lines, opts: RenderOptions) -> str:
    """The lines as text, styled with ANSI SGR codes when colour is on: what rich's Console prints for them
    (tabs to 8-column stops, trailing spaces cut), without importing it (~25 ms of start-up)."""
    return "".join(_line(line, opts.color).rstrip() + "\n" for line in out.lines) or "\n"


# rich's style words as SGR parameters, in the standard 8-colour system the report uses
_SGR = {
    "bold": "1",
    "dim": "2",
    "italic": "3",
    "underline": "4",
    **{
        name: str(30 + i)
        for i, name in enumerate(("black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"))
    },
}


def _line(segments: list[tuple[str, str]], color: bool) -> str:
    text, column = [], 0
    for piece, style in segments:
        piece, column = _expand_tabs(piece, column)
        codes = ";".join(_SGR[word] for word in style.split()) if color and style else ""
        text.append(f"\x1b[{codes}m{piece}\x1b[0m" if codes and piece else piece)
    return "".join(text)


def _expand_tabs(piece: str, column: int) -> tuple[str, int]:
    """`piece` with each tab as the spaces to the next 8-cell stop, from terminal cell `column`; and the cell
    column after it."""
    if "\t" not in piece:
        return piece, column + cell_len(piece)
    parts = piece.split("\t")
    out = []
    for part in parts[:-1]:
        column += cell_len(part)
        pad = 8 - column % 8
        out.append(part + " " * pad)
        column += pad
    out.append(parts[-1])
    return "".join(out), column + cell_len(parts[-1])
