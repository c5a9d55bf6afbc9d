"""`python -m bench.soak [--quick] [--packaged] [--out FILE]`: see bench/soak/__init__.py."""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import psutil
from playwright.sync_api import Browser, sync_playwright

from bench.page import CHROMIUM, CHROMIUM_ARGS
from bench.servers import NBAPP_SERVING, Server

from . import notebook, phases, report
from .target import Target, kernels, nbapp_run, packaged

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Plan:
    loads: int
    storm: int
    soak_s: float
    every_s: float
    activity_s: float
    reload_s: float
    timeout_s: float


FULL = Plan(200, 10_000, 600, 5, 30, 120, 30)
QUICK = Plan(10, 500, 20, 2, 5, 10, 30)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="seconds, not minutes")
    parser.add_argument("--packaged", action="store_true", help="also build and soak an app")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "reliability.md")
    parser.add_argument("--loads", type=int, help="override the plan's number of reloads")
    parser.add_argument("--storm", type=int, help="override the plan's number of changes")
    parser.add_argument("--soak-seconds", type=float, help="override the soak's length")
    return parser.parse_args(argv)


def say(message: str) -> None:
    print(f"soak: {message}", file=sys.stderr, flush=True)


def soak_target(browser: Browser, target: Target, plan: Plan) -> report.Outcome:
    outcome = report.Outcome(target.label)
    server = target.start()
    clock = time.monotonic()
    page = None
    try:
        page = phases.open_page(browser, server, plan.timeout_s)
        say(f"{target.label}: {plan.loads} reloads")
        outcome.loads = phases.loads(page, server, plan.loads, plan.timeout_s)
        say(f"{target.label}: storm of {plan.storm} changes")
        outcome.storm = phases.storm(page, server, plan.storm, clock, 300)
        say(f"{target.label}: soak for {plan.soak_s:g} s")
        outcome.soak = phases.soak(
            page,
            server,
            plan.soak_s,
            clock,
            every_s=plan.every_s,
            activity_s=plan.activity_s,
            reload_s=plan.reload_s,
        )
    except Exception as exc:  # reported in the document, and the run fails
        outcome.error = f"{type(exc).__name__}: {exc}".splitlines()[0]
    finally:
        if page is not None:
            page.context.close()
        outcome.orphans = _stop(server)
        outcome.extra_output = [line for line in server.log if not NBAPP_SERVING.match(line)]
    return outcome


def _stop(server: Server) -> int:
    """SIGTERM as a user would; how many of its processes are still there 10 s later."""
    tree = [psutil.Process(server.proc.pid), *kernels(server)]
    with contextlib.suppress(psutil.Error):
        tree += psutil.Process(server.proc.pid).children(recursive=True)
    server.proc.terminate()
    _, alive = psutil.wait_procs(tree, timeout=10)
    server.stop()  # kills whatever is left, so a failed run leaves nothing behind
    return len({p.pid for p in alive})


def build_app(nbapp: Path, nb: Path, workdir: Path) -> Path:
    """A one-folder app without the window (the soak serves it to Chromium)."""
    env = {**os.environ, "XDG_CACHE_HOME": str(workdir / "cache")}
    argv = [str(nbapp), "package", str(nb), "-o", str(workdir / "dist"), "--no-window-support"]
    started = time.monotonic()
    done = subprocess.run(argv, capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"nbapp package failed: {done.stderr.strip()[-500:]}")
    say(f"built the app in {time.monotonic() - started:.0f} s")
    return workdir / "dist" / nb.stem / nb.stem


def header(plan: Plan, quick: bool) -> list[str]:
    load = os.getloadavg()
    command = "python -m bench.soak" + (" --quick" if quick else " --packaged")
    return [
        f"Measured by `{command}` on {time.strftime('%Y-%m-%d')}: {os.cpu_count()} cores, "
        f"load average {load[0]:.2f} at the end, Debian's Chromium headless, 127.0.0.1 only.",
        f"Plan: {plan.loads} reloads (stall = not done in {plan.timeout_s:g} s), a storm of "
        f"{plan.storm} changes, a {plan.soak_s:g} s soak sampled every "
        f"{plan.every_s:g} s with 10 slider moves every {plan.activity_s:g} s and a reload "
        f"every {plan.reload_s:g} s.",
    ]


def failed(outcome: report.Outcome) -> list[str]:
    problems = []
    if outcome.error:
        problems.append(outcome.error)
    if outcome.loads and outcome.loads.stalls:
        problems.append(f"{outcome.loads.stalls} stalled loads")
    if outcome.storm and outcome.storm.kernel_count != outcome.storm.changes:
        problems.append("the kernel missed changes")
    if outcome.storm and outcome.storm.kernel_value != outcome.storm.last_sent:
        problems.append("the kernel's final value is not the last sent")
    if outcome.orphans:
        problems.append(f"{outcome.orphans} processes left")
    if outcome.extra_output:
        problems.append("output besides the serving line")
    return [f"{outcome.label}: {p}" for p in problems]


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    plan = QUICK if args.quick else FULL
    plan = replace(
        plan,
        loads=plan.loads if args.loads is None else args.loads,
        storm=plan.storm if args.storm is None else args.storm,
        soak_s=plan.soak_s if args.soak_seconds is None else args.soak_seconds,
    )
    nbapp = Path(sys.executable).with_name("nbapp")
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="nbapp-soak-") as tmp, sync_playwright() as pw:
        nb = notebook.write(Path(tmp) / "nb")
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            outcomes.append(soak_target(browser, nbapp_run(nbapp, nb), plan))
            if args.packaged:
                app = build_app(nbapp, nb, Path(tmp) / "package")
                outcomes.append(soak_target(browser, packaged(app), plan))
        finally:
            browser.close()
    plot_name = "soak-quick.png" if args.quick else "soak.png"
    report.write(outcomes, args.out, header(plan, args.quick), plot_name)
    say(f"wrote {args.out}")
    problems = [p for o in outcomes for p in failed(o)]
    for problem in problems:
        say(f"FAILED {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
