"""What the page itself costs: navigation to first output, with the server already done.

Starts ``nbapp run --no-window`` once, waits until its event stream says the notebook has
run, then loads the page again and again in fresh headless Chromium contexts. The first output
is stamped in the page as in the main benchmark (bench/page.py), here from the page's own
navigation start. Kernel and server are out of the figure.

    .venv/bin/python -m bench.page_side bench/notebooks/trivial.ipynb --loads 25
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

from .environment import compile_nbapp
from .page import CHROMIUM, CHROMIUM_ARGS, wait_loaded, watch
from .servers import start_nbapp
from .window import wait_done


def measure(nbapp: Path, notebook: Path, loads: int) -> list[float]:
    """Milliseconds from navigation start to first output, one per load."""
    server = start_nbapp(nbapp, notebook.resolve(), "")
    try:
        wait_done(server.url, 120)
        stamps = []
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                for _ in range(loads):
                    context = browser.new_context()
                    page = context.new_page()
                    watch(page, min_views=0)
                    page.goto(server.url)
                    origin = float(page.evaluate("performance.timeOrigin")) / 1000
                    load = wait_loaded(page, origin, 30)
                    if load.first_s is None:
                        raise RuntimeError("no output shown within 30 s")
                    stamps.append(load.first_s * 1000)
                    context.close()
            finally:
                browser.close()
        return stamps
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.page_side", description=__doc__)
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--loads", type=int, default=25)
    parser.add_argument("--nbapp", type=Path, default=Path(sys.prefix) / "bin" / "nbapp")
    args = parser.parse_args(argv)
    compile_nbapp()
    stamps = measure(args.nbapp, args.notebook, args.loads)
    print(
        f"{args.notebook.name}: page navigation to first output {statistics.median(stamps):.0f} ms"
        f" median ({min(stamps):.0f}-{max(stamps):.0f}), {len(stamps)} loads"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
