"""``python -m bench.panel``: nbapp against ``panel serve`` on the same Panel notebooks, one run.

Both tools serve the app a notebook makes ``.servable()``: ``panel serve NB`` and
``nbapp run --no-window --only-tagged NB`` (tagged mode stands where ``panel serve`` stands).
Each start gets a fresh context in one headless Chromium, offline (names other than loopback
do not resolve), and the tools alternate which goes first. Stamps are taken inside the page:

- *first output*: the first Bokeh root (``[data-root-id] > *``) with a size on screen;
- *plot drawn*: the first canvas with a size on screen (Bokeh draws into shadow roots);
- *app ready*: the Bokeh model whose text shows the slider's bound output is in the page;
- *live*: that, and for nbapp every cell run (instant open paints the last run's page first).

A third column starts nbapp a second time on the same notebook with its snapshots on (instant
open), from a cache folder of the run's own that one uncounted start fills.

Round trip: ArrowRight on the Panel slider; from the keydown event to the bound Markdown's
Bokeh model holding the kernel's (or server's) new text, plus the next animation frame. Memory:
RSS of the server and of the kernel it started, after the round trips, one page connected.
The section it writes goes into docs/benchmarks.md between PANEL markers; ``python -m bench``
keeps it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from .cases import HERE
from .environment import compile_nbapp
from .page import CHROMIUM, CHROMIUM_ARGS
from .servers import (
    NBAPP_SERVING,
    Memory,
    Server,
    memory,
    start_nbapp,
    start_panel_serve,
    start_process,
)
from .stats import Summary, summarize

REPO = HERE.parent
CORPUS = REPO.parent / "shared" / "corpus" / "panel"
INSTANT = "nbapp, instant open"
TOOLS = ("nbapp", "panel serve", INSTANT)
BEGIN, END = "<!-- panel-serve:begin -->", "<!-- panel-serve:end -->"
TRIP_MODES = (("isolated", 250.0), ("back to back", 0.0))

WATCH = """
(() => {
  const bench = (window.__panel = {
    first: null, plot: null, ready: null, live: null, marker: MARKER, drawsPlot: PLOT,
  });
  const now = () => performance.timeOrigin + performance.now();
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && el.closest("[hidden]") === null;
  };
  const canvases = (root, found) => {
    for (const el of root.querySelectorAll("*")) {
      if (el.tagName === "CANVAS") found.push(el);
      if (el.shadowRoot) canvases(el.shadowRoot, found);
    }
    return found;
  };
  const marked = () => {
    for (const doc of (window.Bokeh && window.Bokeh.documents) || [])
      for (const m of doc.all_models)
        if (typeof m.text === "string" && m.text.includes(bench.marker)) return true;
    return false;
  };
  const check = () => {
    if (!document.body) return;
    if (bench.first === null && [...document.querySelectorAll("[data-root-id] > *")].some(shown))
      bench.first = now();
    if (bench.plot === null && canvases(document, []).some(shown)) bench.plot = now();
    if (bench.ready === null && bench.marker && marked()) bench.ready = now();
    // nbapp: every cell ran (instant open paints the last run before that); panel serve's
    // page is live once it shows the app.
    const nbapp = document.body.dataset.nbappState;
    const shows =
      bench.first !== null &&
      (!bench.drawsPlot || bench.plot !== null) &&
      (!bench.marker || bench.ready !== null);
    if (bench.live === null && (nbapp === undefined ? shows : nbapp === "done" && shows))
      bench.live = now();
  };
  const done = () => bench.first !== null && bench.live !== null;
  const tick = () => { check(); if (!done()) setTimeout(tick, 10); };
  tick();
})();
"""

# Resolves with ms from the next keydown to the marked model showing `expected` (+1 frame).
ROUND_TRIP = """
([marker, expected]) => {
  window.__rt = new Promise((resolve) => {
    let t0 = null;
    const stamp = (e) => { t0 = e.timeStamp; };
    document.addEventListener("keydown", stamp, { capture: true, once: true });
    for (const doc of window.Bokeh.documents)
      for (const m of doc.all_models)
        if (typeof m.text === "string" && m.text.includes(marker)) {
          m.properties.text.change.connect(() => {
            if (t0 !== null && m.text.includes(expected))
              requestAnimationFrame(() => resolve(performance.now() - t0));
          });
        }
  });
}
"""


@dataclass(frozen=True)
class PanelCase:
    name: str
    path: Path
    marker: str = ""  # text of the slider's bound output; "" = no round trip
    note: str = ""
    plot: bool = True  # the app draws a canvas (live waits for it)


CASES = (
    PanelCase(
        "panel_app",
        HERE / "notebooks" / "panel_app.ipynb",
        marker="square=",
        note="a Panel slider, a pn.bind Markdown, an hvplot line; one .servable() Column",
    ),
    PanelCase(
        "iris_kmeans",
        CORPUS / "iris_kmeans.ipynb",
        note="Panel's gallery app: scikit-learn k-means, hvplot, a panel-material-ui Page",
    ),
    PanelCase(
        "xgboost_classifier",
        CORPUS / "xgboost_classifier.ipynb",
        note="Panel's gallery app: an XGBoost classifier, a table, a score, a panel-material-ui"
        " Page; no plot",
        plot=False,
    ),
)


@dataclass(frozen=True)
class Sample:
    first_s: float | None
    plot_s: float | None
    ready_s: float | None
    live_s: float | None
    memory: Memory | None
    error: str = ""


@dataclass
class Results:
    samples: dict[tuple[str, str], list[Sample]] = field(default_factory=lambda: defaultdict(list))
    trips: dict[tuple[str, str, str], list[float]] = field(
        default_factory=lambda: defaultdict(list)
    )
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    started_at: float = 0.0
    finished_at: float = 0.0


def _start(tool: str, case: PanelCase, args: argparse.Namespace) -> Server:
    if tool == "nbapp":
        return start_nbapp(args.nbapp, case.path, "", extra=("--only-tagged",))
    if tool == INSTANT:
        # A second start of the same notebook: the last run's snapshot, from a cache folder of
        # the benchmark's own (warmed by one start that is not counted).
        argv = [
            str(args.nbapp),
            "run",
            "--no-window",
            "--port",
            "0",
            "--only-tagged",
            case.path.name,
        ]
        env = {**os.environ, "XDG_CACHE_HOME": str(args.cache)}
        return start_process("nbapp", argv, NBAPP_SERVING, 60, env=env, cwd=case.path.parent)
    return start_panel_serve(args.panel, case.path)


STAMPS = ("first", "plot", "ready", "live")


def _stamps(page: Page, started: float, timeout_s: float) -> dict[str, float | None]:
    with contextlib.suppress(PlaywrightTimeout):  # a stamp not taken is reported as missing
        page.wait_for_function(
            "() => window.__panel && window.__panel.first !== null && window.__panel.live !== null",
            timeout=timeout_s * 1000,
            polling=50,
        )
    stamps: dict[str, Any] = page.evaluate("() => window.__panel || {}")
    return {
        key: None if stamps.get(key) is None else stamps[key] / 1000 - started for key in STAMPS
    }


def round_trips(
    page: Page, marker: str, moves: int, pause_ms: float, warmup: int = 3
) -> list[float]:
    """ArrowRight on the (first) Panel slider; ms until its bound output shows the new value."""
    handle = ".noUi-handle"
    page.focus(handle, timeout=20_000)
    value = int(float(page.get_attribute(handle, "aria-valuenow") or 0))
    timings: list[float] = []
    for index in range(warmup + moves):
        value += 1
        page.evaluate(ROUND_TRIP, [marker, f"square={value * value}"])
        page.keyboard.press("ArrowRight")
        elapsed = page.evaluate(
            "() => Promise.race([window.__rt, new Promise((r) => setTimeout(r, 10000, null))])"
        )
        if elapsed is None:
            raise RuntimeError(f"the bound output did not show square={value * value} in 10 s")
        if index >= warmup:
            timings.append(float(elapsed))
        page.wait_for_timeout(pause_ms)
    return timings


def run_once(
    browser: Browser, case: PanelCase, tool: str, args: argparse.Namespace, results: Results
) -> Sample:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    watch = WATCH.replace("MARKER", repr(case.marker)).replace("PLOT", str(case.plot).lower())
    page.add_init_script(watch)
    server: Server | None = None
    try:
        server = _start(tool, case, args)
        page.goto(server.url, wait_until="commit", timeout=120_000)
        got = _stamps(page, server.started, 120)
        times = (got["first"], got["plot"], got["ready"], got["live"])
        if got["first"] is None or got["live"] is None:
            return Sample(*times, None, "not done in time")
        if case.marker and tool != INSTANT:  # once live, the same page as nbapp's
            for mode, pause in TRIP_MODES:
                timings = round_trips(page, case.marker, args.moves, pause)
                results.trips[(case.name, mode, tool)].extend(timings)
        time.sleep(0.5)
        return Sample(*times, memory(server))
    except Exception as exc:  # a failed start is reported, not fatal to the run
        return Sample(None, None, None, None, None, f"{type(exc).__name__}: {exc}")
    finally:
        context.close()
        if server is not None:
            server.stop()


def run(browser: Browser, cases: list[PanelCase], args: argparse.Namespace) -> Results:
    results = Results(load_before=os.getloadavg(), started_at=time.time())
    for case in cases:  # the instant-open starts need a last run to open on
        run_once(browser, case, INSTANT, args, Results())
    for rep in range(args.reps):
        for case in cases:
            for tool in TOOLS if rep % 2 == 0 else TOOLS[::-1]:  # alternate who goes first
                sample = run_once(browser, case, tool, args, results)
                results.samples[(case.name, tool)].append(sample)
                print(
                    f"bench.panel: rep {rep + 1} {case.name} {tool}: first {sample.first_s}"
                    f" plot {sample.plot_s} ready {sample.ready_s} live {sample.live_s}"
                    f" {sample.error}",
                    file=sys.stderr,
                    flush=True,
                )
    results.load_after = os.getloadavg()
    results.finished_at = time.time()
    return results


def _cell(summary: Summary | None, digits: int, p95: bool) -> str:
    if summary is None:
        return "failed"
    text = f"{summary.median:.{digits}f} ({summary.low:.{digits}f}-{summary.high:.{digits}f})"
    return f"{text}, p95 {summary.p95:.{digits}f}" if p95 else text


def _ratio(ours: Summary | None, theirs: Summary | None) -> str:
    if ours is None or theirs is None or not theirs.median:
        return "n/a"
    return f"{ours.median / theirs.median:.2f}"


def _row(
    label: str, figures: tuple[Summary | None, ...], digits: int, p95: bool, instant: bool = True
) -> str:
    ours, theirs, opened = figures
    shown = _cell(opened, digits, p95) if instant else "as nbapp"
    return (
        f"| {label} | {_cell(ours, digits, p95)} | {_cell(theirs, digits, p95)} | {shown}"
        f" | {_ratio(ours, theirs)} |"
    )


def _pick(results: Results, case: str, tool: str, attr: str) -> Summary | None:
    """One figure of every completed start: a time of the sample, or a memory of it."""
    values = []
    for sample in results.samples.get((case, tool), []):
        holder = sample.memory if attr.endswith("_mb") else sample
        value = getattr(holder, attr) if holder is not None else None
        if value is not None and not sample.error:
            values.append(float(value))
    return summarize(values)


def section(results: Results, cases: list[PanelCase], args: argparse.Namespace) -> str:
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(results.started_at))
    minutes = (results.finished_at - results.started_at) / 60
    load = [", ".join(f"{v:.2f}" for v in lv) for lv in (results.load_before, results.load_after)]
    lines = [
        BEGIN,
        "## Panel: nbapp and `panel serve`, side by side",
        "",
        "Written by `make bench-panel` (`python -m bench.panel`); `python -m bench` keeps it.",
        f"{when}: {args.reps} repetitions per notebook and tool, {args.moves} slider moves per"
        f" round-trip figure and repetition; took {minutes:.1f} min. Load average before:"
        f" {load[0]}; after: {load[1]}. Panel {_version('panel')}, Bokeh {_version('bokeh')}.",
        "",
        "Both serve what the notebook makes `.servable()`: `panel serve NB --address=127.0.0.1"
        " --port=P` and `nbapp run --no-window --only-tagged NB` (tagged mode stands where"
        " `panel serve` stands), from the notebook's folder, one fresh browser context per"
        " start, offline, tools alternating which goes first. Times are from process spawn to"
        " stamps taken in the page: *first output* the first Bokeh root with a size on screen;"
        " *plot drawn* the first canvas with a size; *app ready* the slider's bound output in"
        " the page's Bokeh model; *live* that and, for nbapp, every cell run. `panel serve`"
        " runs a notebook when its page asks for a session; nbapp starts its kernel and runs"
        " the cells at launch, while the page loads (`--no-snapshot`, so it starts from"
        " nothing as `panel serve` does). *nbapp, instant open*: the same notebook's second"
        " start, which paints the last run's page at once (drawn, not yet live) and goes live"
        " when its own run is done."
        " Round trip: ArrowRight on the Panel slider, from the keydown event to the bound"
        " Markdown's Bokeh model holding the new text, plus one animation frame; *isolated*"
        " waits 250 ms between moves, *back to back* none (3 warm-up moves not counted)."
        " Memory: RSS of the server, and of nbapp's kernel, one page connected.",
        "",
    ]
    for case in cases:
        where = os.path.relpath(case.path, REPO) if case.path.is_absolute() else case.path
        lines += [
            f"### {case.name}",
            "",
            f"`{where}`: {case.note}.",
            "",
            "| figure | nbapp | `panel serve` | nbapp, instant open | nbapp / `panel serve` |",
            "| --- | --- | --- | --- | --- |",
        ]
        for label, attr, digits in (
            ("start to first output (s)", "first_s", 2),
            *((("start to plot drawn (s)", "plot_s", 2),) if case.plot else ()),
            *((("start to app ready (s)", "ready_s", 2),) if case.marker else ()),
            ("start to live (s)", "live_s", 2),
            ("memory, server (MB)", "server_mb", 0),
            ("memory, kernel (MB)", "kernel_mb", 0),
            ("memory, total (MB)", "total_mb", 0),
        ):
            figures = tuple(_pick(results, case.name, tool, attr) for tool in TOOLS)
            lines.append(_row(label, figures, digits, p95=False))
        for mode, _pause in TRIP_MODES if case.marker else ():
            figures = tuple(
                summarize(results.trips.get((case.name, mode, tool), [])) for tool in TOOLS
            )
            label = f"slider round trip, {mode} (ms)"
            lines.append(_row(label, figures, 1, p95=True, instant=False))
        failed = [
            f"{tool} ({s.error})"
            for tool in TOOLS
            for s in results.samples.get((case.name, tool), [])
            if s.error
        ]
        if failed:
            lines += ["", f"Failed starts: {'; '.join(failed)}."]
        lines.append("")
    lines.append(END)
    return "\n".join(lines) + "\n"


def _version(name: str) -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def put_section(path: Path, text: str) -> None:
    """Replace the Panel section of ``path`` (or append it) with ``text``."""
    old = path.read_text() if path.exists() else ""
    if BEGIN in old and END in old:
        head, rest = old.split(BEGIN, 1)
        new = head + text.rstrip("\n") + rest.split(END, 1)[1]
    else:
        new = old.rstrip("\n") + "\n\n" + text
    path.write_text(new)


def kept_section(path: Path) -> str:
    """The Panel section ``path`` has now, for a rewrite of the rest of it to keep."""
    old = path.read_text() if path.exists() else ""
    if BEGIN not in old or END not in old:
        return ""
    return BEGIN + old.split(BEGIN, 1)[1].split(END, 1)[0] + END + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.panel", description=__doc__)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--moves", type=int, default=30)
    parser.add_argument("--only", nargs="*", default=None, help="case names to run")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "benchmarks.md")
    parser.add_argument("--nbapp", type=Path, default=Path(sys.executable).with_name("nbapp"))
    parser.add_argument("--panel", type=Path, default=Path(sys.executable).with_name("panel"))
    args = parser.parse_args(argv)
    compile_nbapp()
    cases = [c for c in CASES if c.path.exists() and (args.only is None or c.name in args.only)]
    with (
        tempfile.TemporaryDirectory(prefix="nbapp-bench-panel-") as cache,
        sync_playwright() as pw,
    ):
        args.cache = Path(cache)
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            results = run(browser, cases, args)
        finally:
            browser.close()
    put_section(args.out, section(results, cases, args))
    print(f"bench.panel: wrote its section of {args.out}", file=sys.stderr)
    missing = [
        f"{case.name}/{tool}"
        for case in cases
        for tool in TOOLS
        if not any(not s.error for s in results.samples.get((case.name, tool), []))
    ]
    for gap in missing:
        print(f"bench.panel: MISSING {gap}: no completed start", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
