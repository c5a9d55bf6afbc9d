"""One benchmark run: every notebook, both tools, interleaved, in one headless Chromium."""

from __future__ import annotations

import os
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser

from .cases import Case
from .page import round_trips, wait_loaded, watch
from .servers import Memory, Server, memory, start_nbapp, start_voila

TOOLS = ("nbapp", "voila")
# Each move alone (the next key press 250 ms after the update showed), and moves back to back
# (the next key press as soon as the update showed), as a user holding an arrow key.
TRIP_MODES = (("isolated", 250.0), ("back to back", 0.0))


STALLED = "not done in time"  # the page loaded but the tool never finished the notebook


@dataclass(frozen=True)
class Sample:
    """One start of one tool on one notebook."""

    first_s: float | None
    done_s: float | None
    views: int
    memory: Memory | None
    error: str = ""
    ready_s: float | None = None  # process start to its URL printed


@dataclass
class Results:
    """Everything measured, keyed by (notebook, tool) and (notebook, round trip, tool)."""

    samples: dict[tuple[str, str], list[Sample]] = field(default_factory=lambda: defaultdict(list))
    trips: dict[tuple[str, str, str], list[float]] = field(
        default_factory=lambda: defaultdict(list)
    )
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    started_at: float = 0.0
    finished_at: float = 0.0


@dataclass(frozen=True)
class Plan:
    cases: list[Case]
    reps: int
    moves: int
    nbapp: Path
    voila: Path
    timeout_s: float = 120


def _start(tool: str, plan: Plan, case: Case) -> Server:
    if tool == "nbapp":
        return start_nbapp(plan.nbapp, case.path, case.query)
    return start_voila(plan.voila, case.path, case.query)


def run_once(browser: Browser, plan: Plan, case: Case, tool: str, results: Results) -> Sample:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    watch(page, case.min_views)
    server: Server | None = None
    try:
        server = _start(tool, plan, case)
        page.goto(server.url, wait_until="commit", timeout=plan.timeout_s * 1000)
        load = wait_loaded(page, server.started, plan.timeout_s)
        ready_s = server.ready - server.started
        if load.done_s is None:
            return Sample(load.first_s, None, load.views, None, STALLED, ready_s)
        for label, spec in case.round_trips:
            for mode, pause_ms in TRIP_MODES:
                timings = round_trips(page, spec, plan.moves, pause_ms=pause_ms)
                results.trips[(case.name, f"{label}, {mode}", tool)].extend(timings)
        time.sleep(0.5)  # let the processes settle after the last update
        return Sample(load.first_s, load.done_s, load.views, memory(server), "", ready_s)
    except Exception as exc:  # a failed run is reported, not fatal to the benchmark
        log = "\n".join(server.log[-5:]) if server else ""
        return Sample(None, None, 0, None, f"{type(exc).__name__}: {exc}\n{log}".strip())
    finally:
        context.close()
        if server is not None:
            server.stop()


def run(browser: Browser, plan: Plan) -> Results:
    results = Results(load_before=os.getloadavg(), started_at=time.time())
    for rep in range(plan.reps):
        for case in plan.cases:
            order = TOOLS if rep % 2 == 0 else TOOLS[::-1]  # neither tool always goes first
            for tool in order:
                sample = run_once(browser, plan, case, tool, results)
                results.samples[(case.name, tool)].append(sample)
                _progress(rep, case, tool, sample)
    results.load_after = os.getloadavg()
    results.finished_at = time.time()
    return results


def _progress(rep: int, case: Case, tool: str, sample: Sample) -> None:
    def fmt(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}s"

    mem = f"{sample.memory.total_mb:.0f}MB" if sample.memory else "-"
    line = (
        f"bench: rep {rep + 1} {case.name:<18} {tool:<6} first {fmt(sample.first_s)}"
        f" done {fmt(sample.done_s)} views {sample.views} mem {mem}"
    )
    if sample.error:
        line += f"  FAILED: {sample.error.splitlines()[0]}"
    print(line, file=sys.stderr, flush=True)
