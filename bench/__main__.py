"""``python -m bench``: run nbapp and Voilà side by side and write the report."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

from . import busy, packaged, panel, window
from .cases import HERE, cases
from .chart import draw
from .environment import compile_nbapp, describe
from .page import CHROMIUM, CHROMIUM_ARGS
from .report import markdown
from .run import STALLED, TOOLS, TRIP_MODES, Plan, Results, run

REPO = HERE.parent


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="CI mode: 2 notebooks, 1 repetition")
    parser.add_argument("--reps", type=int, help="repetitions (default 5; quick: 1)")
    parser.add_argument("--moves", type=int, help="slider moves per page (30; quick 10)")
    parser.add_argument("--only", nargs="*", default=None, help="notebook names to run")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "benchmarks.md")
    parser.add_argument("--chart", type=Path, help="PNG path (default: docs/images/bench.png)")
    parser.add_argument("--nbapp", type=Path, default=Path(sys.executable).with_name("nbapp"))
    parser.add_argument("--voila", type=Path, default=HERE / ".venv-voila" / "bin" / "voila")
    parser.add_argument("--no-package", action="store_true", help="skip `nbapp package`")
    parser.add_argument("--no-window", action="store_true", help="skip nbapp in a window")
    parser.add_argument("--no-busy", action="store_true", help="skip the busy/lean start-up table")
    return parser.parse_args(argv)


def missing(results: Results, plan: Plan) -> list[str]:
    """Figures with no number for a tool: the harness itself is broken if any.

    Voilà stalling on a notebook (its page loads, its cells never finish: a known Voilà fault,
    listed in the report) is not the harness's failure, as long as Voilà completes some other
    notebook of the run. nbapp is never excused.
    """
    gaps = []
    voila_completed = False
    for case in plan.cases:
        for tool in TOOLS:
            samples = results.samples.get((case.name, tool), [])
            if any(s.done_s is not None and s.first_s is not None for s in samples):
                voila_completed |= tool == "voila"
            elif tool == "voila" and samples and all(s.error == STALLED for s in samples):
                continue  # Voilà's own stall; nothing to measure round trips on either
            else:
                gaps.append(f"{case.name}/{tool}: no completed run")
            for label, _ in case.round_trips:
                for mode, _pause in TRIP_MODES:
                    if not results.trips.get((case.name, f"{label}, {mode}", tool)):
                        gaps.append(f"{case.name}/{label}, {mode}/{tool}: no round trips")
    if plan.cases and not voila_completed:
        gaps.append("voila: no completed run on any notebook")
    return gaps


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    compile_nbapp()
    reps = args.reps or (1 if args.quick else 5)
    moves = args.moves or (10 if args.quick else 30)
    selected = [c for c in cases(args.quick) if args.only is None or c.name in args.only]
    plan = Plan(selected, reps, moves, args.nbapp.resolve(), args.voila.absolute())
    for tool in (plan.nbapp, plan.voila):
        if not os.access(tool, os.X_OK):
            print(f"bench: {tool} is missing; run `make bench`", file=sys.stderr)
            return 2
    default_out = args.out.resolve() == (REPO / "docs" / "benchmarks.md").resolve()
    default_chart = REPO / "docs" / "images" / "bench.png"
    chart = args.chart or (default_chart if default_out else args.out.with_name("bench.png"))
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            env = describe(plan.nbapp, plan.voila, browser.version)
            results = run(browser, plan)
            package_rows = packaged.NOT_MEASURED
            window_rows = ["Not measured in this run (quick mode, `--no-window`, or no Xvfb)."]
            if not args.quick and not args.no_window and window.available():
                print("bench: nbapp in a window under Xvfb", file=sys.stderr, flush=True)
                runs = window.measure(plan.nbapp, HERE / "notebooks" / "widgets.ipynb", reps)
                window_rows = window.table(runs, "bench/notebooks/widgets.ipynb")
            busy_rows = busy.NOT_MEASURED
            if not args.quick and not args.no_busy and busy.available():
                print("bench: start-up, busy and lean environments", file=sys.stderr, flush=True)
                own = cases(True)  # trivial and widgets: no third-party front end
                envs, samples = busy.measure(browser, plan.nbapp, own, reps)
                busy_rows = busy.table(samples, envs)
            trivial = HERE / "notebooks" / "trivial.ipynb"
            if not args.quick and not args.no_package and packaged.available(plan.nbapp):
                print("bench: building the packaged app", file=sys.stderr, flush=True)
                builds = packaged.measure(browser, plan.nbapp, trivial, reps)
                package_rows = packaged.table(builds, "bench/notebooks/trivial.ipynb")
        finally:
            browser.close()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    draw(results, plan, chart)
    link = os.path.relpath(chart, args.out.parent)
    notes = HERE / "notes.md" if not args.quick else HERE / "no-notes-in-quick-mode"
    text = markdown(
        results,
        plan,
        env=env,
        package=package_rows,
        window=window_rows,
        busy=busy_rows,
        chart=link,
        notes=notes,
    )
    # The Panel section (python -m bench.panel, its own run) stays as it was.
    kept = panel.kept_section(args.out)
    args.out.write_text(text + (f"\n{kept}" if kept else ""))
    print(f"bench: wrote {args.out} and {chart}", file=sys.stderr)
    gaps = missing(results, plan)
    for gap in gaps:
        print(f"bench: MISSING {gap}", file=sys.stderr)
    return 1 if gaps else 0


if __name__ == "__main__":
    sys.exit(main())
