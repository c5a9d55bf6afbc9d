"""Start-up of ``nbapp run`` and of packaged apps in a real window: process start to window
shown, to the first output on screen, and to every output on screen.

Runs under a private Xvfb. "Window shown" is the moment xdotool first finds a visible window
with the notebook's title; "first output" is the moment the screen first holds the first cell's
magenta block (a 600x300 div), "every output" the moment it also holds the last cell's green
block, read straight from the X server. Between them a cell sleeps 3 s, so without a snapshot
every output takes at least 3 s; with one (the last run's for ``nbapp run``, the build run's
for a packaged app started with a fresh HOME) both blocks are painted at once, dimmed until
the live run confirms them (dimmed blocks count: they are on screen).

    .venv/bin/python bench/window_start.py --runs 5 [--app dist/start/start ...]
        [--package OUTDIR] [--screenshot docs/images/window.png]

``--package OUTDIR`` first builds the bench notebook with `nbapp package` twice (the default
system web view, and ``--webview qt``) into OUTDIR and measures both apps too. ``nbapp run``
is measured in Qt WebEngine and in WebKitGTK (``NBAPP_WEBVIEW``), each with the last run's
snapshot (after one unmeasured run) and without one (``--no-snapshot``). ``--screenshot``
also runs examples/demo.ipynb and saves its window.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image
from Xlib import X, display

if __package__ in (None, ""):  # run as a file (bench/window_start.py): bench is importable too
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.environment import compile_nbapp
from bench.window import SCREEN, start_xvfb

ROOT = Path(__file__).resolve().parent.parent
NBAPP = str(Path(sys.executable).with_name("nbapp"))  # the nbapp of the running venv
MAGENTA = (255, 0, 255)
SLEEP_SECONDS = 3
SERVING = re.compile(r"^nbapp: serving .* at (http://\S+)$")


def grab(conn: display.Display) -> Image.Image:
    root = conn.screen().root
    raw = root.get_image(0, 0, SCREEN[0], SCREEN[1], X.ZPixmap, 0xFFFFFFFF)
    return Image.frombytes("RGB", SCREEN, raw.data, "raw", "BGRX")


def block_pixels(image: Image.Image) -> tuple[int, int]:
    """Pixels (at 1/4 scale) of the magenta and of the green block, live or dimmed."""
    small = image.resize((SCREEN[0] // 4, SCREEN[1] // 4), Image.Resampling.NEAREST)
    magenta = green = 0
    for n, (r, g, b) in small.getcolors(small.width * small.height) or []:
        if r > 240 and b > 240 and g < 160:
            magenta += n
        elif g > 240 and r < 160 and b < 160:
            green += n
    return magenta, green


def magenta_pixels(image: Image.Image) -> int:
    return block_pixels(image)[0]


def find_window(env: dict[str, str], title: str) -> str:
    result = subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--name", f"^{title}$"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.split()[0] if result.returncode == 0 and result.stdout else ""


def write_notebook(path: Path) -> None:
    block = "<div style='width:600px;height:{}px;background:#{}'></div>"
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": "# Start Bench"},
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
         "source": f"from IPython.display import HTML\nHTML({block.format(300, 'ff00ff')!r})"},
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
         "source": f"import time\ntime.sleep({SLEEP_SECONDS})"},
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
         "source": f"from IPython.display import HTML\nHTML({block.format(120, '00ff00')!r})"},
    ]  # fmt: skip
    notebook = {
        "cells": cells,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(notebook), encoding="utf-8")


def one_run(
    env: dict[str, str], argv: list[str], conn: display.Display
) -> tuple[float, float, float]:
    """Window shown, first output on screen, every output on screen (s from process start)."""
    start = time.monotonic()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    shown = first = every = 0.0
    try:
        while time.monotonic() - start < 90:
            now = time.monotonic() - start
            if not shown and find_window(env, "Start Bench"):
                shown = now
            if shown:
                magenta, green = block_pixels(grab(conn))
                if not first and magenta > 0.9 * 150 * 75:
                    first = time.monotonic() - start
                if first and green > 0.9 * 150 * 30:
                    every = time.monotonic() - start
                    break
            time.sleep(0.02)
        else:
            raise RuntimeError(f"not every output showed: {argv}")
    finally:
        proc.terminate()
        proc.wait(30)
    return shown, first, every


def screenshot(env: dict[str, str], conn: display.Display, target: Path) -> None:
    proc = subprocess.Popen(
        [NBAPP, "run", "--port", "0", str(ROOT / "examples" / "demo.ipynb")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        match = SERVING.match(proc.stdout.readline().strip())
        if not match:
            raise RuntimeError("no serving line")
        previous: bytes = b""
        deadline = time.monotonic() + 90
        time.sleep(5)
        while time.monotonic() < deadline:  # done when the screen stops changing for 2 s
            image = grab(conn)
            if image.tobytes() == previous:
                break
            previous = image.tobytes()
            time.sleep(2)
        window = find_window(env, "Signal explorer")
        geometry = subprocess.run(
            ["xdotool", "getwindowgeometry", "--shell", window],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        values = {
            k: int(v) for k, v in (line.split("=") for line in geometry.split()) if k != "SCREEN"
        }
        box = (
            values["X"],
            values["Y"],
            values["X"] + values["WIDTH"],
            values["Y"] + values["HEIGHT"],
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        grab(conn).crop(box).save(target, optimize=True)
        print(f"saved {target}")
    finally:
        proc.terminate()
        proc.wait(30)


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} s ({min(values):.2f}-{max(values):.2f})"


def package(notebook: Path, outdir: Path, webview: str, env: dict[str, str]) -> Path:
    name = f"start-{webview}"
    argv = [NBAPP, "package", str(notebook), "-o", str(outdir), "--name", name]
    argv += ["--webview", webview]
    started = time.monotonic()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"nbapp package failed: {done.stderr[-2000:]}")
    print(f"built {name} in {time.monotonic() - started:.0f} s")
    for line in done.stderr.splitlines():
        if line.startswith(("nbapp: size of", "  ")):
            print(line)
    return outdir / name / name


def measure(label: str, runs: list[tuple[float, float, float]]) -> None:
    print(f"{label}:")
    print(f"  window shown:          {summary([r[0] for r in runs])}")
    print(f"  first output on screen: {summary([r[1] for r in runs])}")
    print(f"  every output on screen: {summary([r[2] for r in runs])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--app", type=Path, action="append", default=[])
    parser.add_argument("--package", type=Path, help="build the bench notebook into this folder")
    parser.add_argument("--screenshot", type=Path)
    args = parser.parse_args()
    compile_nbapp()
    xvfb = start_xvfb()
    name = xvfb.display
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if k != "WAYLAND_DISPLAY"}
        env.update(DISPLAY=name, XDG_STATE_HOME=f"{tmp}/state", XDG_CACHE_HOME=f"{tmp}/cache")
        conn = display.Display(name)
        try:
            notebook = Path(tmp) / "start.ipynb"
            write_notebook(notebook)
            apps = list(args.app)
            if args.package:
                apps += [package(notebook, args.package, w, env) for w in ("system", "qt")]
            print(f"load average before: {os.getloadavg()}")
            run = [NBAPP, "run", "--port", "0", str(notebook)]
            unfrozen: dict[str, list[tuple[float, float, float]]] = {}
            for webview in ("qt", "gtk"):  # the venv's nbapp has both; WebKitGTK is its default
                view = {**env, "NBAPP_WEBVIEW": webview}
                one_run(view, run, conn)  # warms the OS file cache and leaves a snapshot
                runs = [one_run(view, run, conn) for _ in range(args.runs)]
                unfrozen[f"nbapp run ({webview}), last run's snapshot"] = runs
                runs = [one_run(view, [*run, "--no-snapshot"], conn) for _ in range(args.runs)]
                unfrozen[f"nbapp run ({webview}) --no-snapshot"] = runs
            packaged = {}
            for app in apps:
                runs = []
                for number in range(args.runs):
                    home = Path(tmp) / f"home-{app.name}-{number}"  # a first launch each time
                    home.mkdir()
                    clean = {"PATH": "/usr/bin:/bin", "HOME": str(home), "DISPLAY": name}
                    runs.append(one_run(clean, [str(app), "--port", "0"], conn))
                packaged[app] = runs
            print(f"runs: {args.runs} each, load average after: {os.getloadavg()}")
            for label, runs in unfrozen.items():
                measure(label, runs)
            for app, runs in packaged.items():
                measure(f"packaged {app} (fresh HOME: the build's snapshot)", runs)
            if args.screenshot:
                screenshot(env, conn, args.screenshot)
        finally:
            conn.close()
            xvfb.stop()


if __name__ == "__main__":
    main()
