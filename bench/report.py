"""docs/benchmarks.md and its chart, from one run's results."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from .cases import HERE, LEFT_OUT, Case
from .environment import Environment
from .run import TOOLS, TRIP_MODES, Plan, Results, Sample
from .stats import Summary, summarize

LABEL = {"nbapp": "nbapp", "voila": "Voilà"}
Pick = Callable[[Sample], float | None]


def _cell(summary: Summary | None, digits: int, p95: bool = False) -> str:
    if summary is None:
        return "failed"
    text = f"{summary.median:.{digits}f} ({summary.low:.{digits}f}-{summary.high:.{digits}f})"
    if p95:
        text += f", p95 {summary.p95:.{digits}f}"
    return text


def _ratio(ours: Summary | None, theirs: Summary | None) -> str:
    if ours is None or theirs is None or theirs.median == 0:
        return "n/a"
    return f"{ours.median / theirs.median:.2f}"


def _values(samples: Sequence[Sample], pick: Pick) -> list[float]:
    return [v for v in (pick(s) for s in samples) if v is not None]


def figure(results: Results, case: str, tool: str, pick: Pick) -> Summary | None:
    return summarize(_values(results.samples.get((case, tool), []), pick))


def pick_ready(s: Sample) -> float | None:
    return s.ready_s


def pick_first(s: Sample) -> float | None:
    return s.first_s


def pick_done(s: Sample) -> float | None:
    return s.done_s


def pick_server_mb(s: Sample) -> float | None:
    return s.memory.server_mb if s.memory else None


def pick_kernel_mb(s: Sample) -> float | None:
    return s.memory.kernel_mb if s.memory else None


def pick_total_mb(s: Sample) -> float | None:
    return s.memory.total_mb if s.memory else None


TIMES = (
    ("Process start to its URL printed (server ready) (s)", pick_ready, 2),
    ("Process start to first cell output visible (s)", pick_first, 2),
    ("Process start to every cell done and widgets live (s)", pick_done, 2),
)
MEMORY = (
    ("Server RSS (MB)", pick_server_mb, 0),
    ("Kernel RSS (MB)", pick_kernel_mb, 0),
    ("Server + kernel (+ any other child) RSS (MB)", pick_total_mb, 0),
)


def _table(results: Results, cases: list[Case], title: str, pick: Pick, digits: int) -> list[str]:
    header = "| notebook | nbapp | Voilà | nbapp/Voilà |\n| --- | --- | --- | --- |"
    lines = [f"### {title}", "", *header.splitlines()]
    for case in cases:
        ours = figure(results, case.name, "nbapp", pick)
        theirs = figure(results, case.name, "voila", pick)
        cells = [case.name, _cell(ours, digits), _cell(theirs, digits), _ratio(ours, theirs)]
        lines.append(f"| {' | '.join(cells)} |")
    return [*lines, ""]


def _trip_table(results: Results, cases: list[Case]) -> list[str]:
    lines = [
        "### Widget round trip (ms): key press on the slider to the dependent text in the DOM",
        "",
        "| notebook | widget | nbapp | Voilà | nbapp/Voilà (median) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for case in cases:
        for base, _spec in case.round_trips:
            for mode, _pause in TRIP_MODES:
                lines.append(_trip_row(results, case.name, f"{base}, {mode}"))
    return [*lines, ""]


def _trip_row(results: Results, case: str, label: str) -> str:
    ours = summarize(results.trips.get((case, label, "nbapp"), []))
    theirs = summarize(results.trips.get((case, label, "voila"), []))
    counts = f"nbapp {ours.count if ours else 0}, Voilà {theirs.count if theirs else 0} moves"
    return (
        f"| {case} | {label} ({counts}) | {_cell(ours, 1, p95=True)} "
        f"| {_cell(theirs, 1, p95=True)} | {_ratio(ours, theirs)} |"
    )


def _verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "**not met**")


def _targets(results: Results, cases: list[Case]) -> list[str]:
    """The issue's targets, per notebook: first output at most half of Voilà's, round trip
    under 10 ms median, server + kernel memory below Voilà's."""
    lines = [
        "### Targets from the issue",
        "",
        "| notebook | first output <= 0.5 x Voilà | round trip < 10 ms (isolated) |"
        " server + kernel RSS < Voilà |",
        "| --- | --- | --- | --- |",
    ]
    for case in cases:
        ours = figure(results, case.name, "nbapp", pick_first)
        theirs = figure(results, case.name, "voila", pick_first)
        fast = None if ours is None or theirs is None else ours.median <= theirs.median / 2
        trips = [
            summarize(results.trips.get((case.name, f"{label}, isolated", "nbapp"), []))
            for label, _ in case.round_trips
        ]
        quick = None if not trips else all(t is not None and t.median < 10 for t in trips)
        mine = figure(results, case.name, "nbapp", pick_total_mb)
        other = figure(results, case.name, "voila", pick_total_mb)
        light = None if mine is None or other is None else mine.median < other.median
        lines.append(f"| {case.name} | {_verdict(fast)} | {_verdict(quick)} | {_verdict(light)} |")
    return [*lines, ""]


def _failures(results: Results) -> list[str]:
    lines: list[str] = []
    for (case, tool), samples in sorted(results.samples.items()):
        for index, sample in enumerate(samples):
            if sample.error:
                reason = sample.error.splitlines()[0]
                lines.append(f"- {case}, {LABEL[tool]}, repetition {index + 1}: {reason}")
    if not lines:
        return []
    return ["### Failed runs", "", *lines, ""]


def _views(results: Results, cases: list[Case]) -> str:
    parts = []
    for case in cases:
        if case.min_views:
            seen = {
                tool: max((s.views for s in results.samples.get((case.name, tool), [])), default=0)
                for tool in TOOLS
            }
            parts.append(f"{case.name} {seen['nbapp']}/{seen['voila']}")
    return ", ".join(parts)


def markdown(
    results: Results,
    plan: Plan,
    *,
    env: Environment,
    package: list[str],
    window: list[str],
    busy: list[str],
    chart: str | None,
    notes: Path,
) -> str:
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(results.started_at))
    minutes = (results.finished_at - results.started_at) / 60
    before = ", ".join(f"{v:.2f}" for v in results.load_before)
    after = ", ".join(f"{v:.2f}" for v in results.load_after)
    left_out = "; ".join(f"{name} ({why})" for name, why in LEFT_OUT.items())
    lines = [
        "# Benchmarks: nbapp and Voilà, side by side",
        "",
        "Written by `make bench` (`python -m bench`); rerun it to get this machine's numbers.",
        "Every figure is a median with the min-max over the repetitions; the ratio is",
        "nbapp's median over Voilà's (below 1 means nbapp is faster or lighter).",
        "",
        "Which libraries render live and offline in each tool: `make bench-libraries` writes",
        "`docs/libraries.md`"
        + (
            " ([libraries.md](libraries.md))."
            if (HERE.parent / "docs" / "libraries.md").exists()
            else "."
        ),
        "",
        "## Run",
        "",
        f"- Date: {when}; {plan.reps} repetitions per notebook and tool, {plan.moves} slider"
        f" moves per round-trip figure and repetition; took {minutes:.1f} min.",
        f"- Machine: {env.cpu}, {env.cores} cores, {env.ram_gb:.1f} GB RAM; {env.os}.",
        f"- Load average (1, 5, 15 min) before: {before}; after: {after}."
        + (
            " Other builds and tests ran on this machine during the run, so the times are noisy."
            if results.load_before[0] > 0.5 or results.load_after[0] > 0.5
            else ""
        ),
        f"- Versions: {env.nbapp} (Python {env.python}); Voilà {env.voila} ({env.voila_python},"
        f" its own virtualenv bench/.venv-voila); Chromium {env.chromium} (headless, Debian's).",
        "",
        "## How it is measured",
        "",
        "- Both tools run on the same notebooks, in one run, alternating which goes first.",
        "  nbapp: `nbapp run --no-window --port 0 NB`; Voilà: `voila --no-browser --port=P NB`"
        " (0.5 serves without a token by default).",
        "- Each start gets a fresh browser context (cold cache) in one headless Chromium"
        " (`--no-sandbox --disable-gpu`, Playwright). The page is opened as soon as the tool"
        " prints its URL. Requests off 127.0.0.1 fail at once (`--host-resolver-rules`), as they"
        " would offline; Voilà's page asks for Font Awesome on a CDN, nbapp's asks for nothing.",
        "- Times start when the process is spawned and end at stamps taken inside the page"
        " (MutationObserver plus a 5 ms poll): *first output* is the first"
        " `.jp-OutputArea-output` with a size on screen; *done* is, for nbapp,"
        " `body[data-nbapp-state=done]` with every widget view ready, and for Voilà its"
        " loading spinner gone (all cells executed), the document loaded, every cell output"
        " rendered by its front end and every widget panel holding a live view. In both the"
        " page must show at least as many widget views as the notebook displays (views seen,"
        f" nbapp/Voilà: {_views(results, plan.cases) or 'none'}).",
        "- Voilà starts a kernel when the page is requested and sends the page while it runs"
        " the cells, but shows them only after the last one; nbapp starts its kernel at launch"
        " and shows each cell when it finishes.",
        "- Round trip: Playwright presses ArrowRight on the focused slider handle; the time is"
        " from the keydown event to the moment the kernel callback's new text is in the DOM"
        " (page clock; not including the next paint). Two ways: *isolated*, the next key"
        " press 250 ms after the update showed (one user action), and *back to back*, the"
        " next key press as soon as the update showed (a user holding the arrow key; this"
        " includes any pacing the widget front end applies to a stream of changes). The"
        " first 3 moves of each series are a warm-up and not counted.",
        "- Memory: RSS (psutil) of the server process and of the kernel it started, after the"
        " page is done and the round trips ran, one page connected.",
        "",
        "## Notebooks",
        "",
    ]
    for case in plan.cases:
        where = case.path.relative_to(case.path.parent.parent.parent) if case.path else case.path
        extra = f"; URL query `{case.query}`" if case.query else ""
        note = f": {case.note}" if case.note else ""
        lines.append(f"- `{where}`{note}{extra}")
    if not plan.cases or any(c.path.parent.name == "voila" for c in plan.cases):
        lines.append(f"- Left out: {left_out}.")
    lines += ["", "## Results", ""]
    if chart:
        lines += [f"![Main figures]({chart})", ""]
    for title, pick, digits in TIMES:
        lines += _table(results, plan.cases, title, pick, digits)
    if any(c.round_trips for c in plan.cases):
        lines += _trip_table(results, plan.cases)
    for title, pick, digits in MEMORY:
        lines += _table(results, plan.cases, title, pick, digits)
    lines += _targets(results, plan.cases)
    lines += ["### Start-up with many widget libraries installed", "", *busy, ""]
    lines += ["### nbapp in a window", "", *window, ""]
    lines += ["### Packaged app (`nbapp package`)", "", *package, ""]
    lines += _failures(results)
    if notes.exists():
        lines += ["", notes.read_text().strip(), ""]
    return "\n".join(lines).rstrip() + "\n"
