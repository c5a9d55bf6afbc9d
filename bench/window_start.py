"""Start-up of ``nbapp run`` in a real window: process start to window shown, and to the first
output visible on screen.

Runs under a private Xvfb. "Window shown" is the moment xdotool first finds a visible window
with the notebook's title; "first output visible" is the moment the screen first holds the
first cell's magenta block (a 600x300 div), read straight from the X server. A second cell
sleeps, so the first output must show before the notebook has finished.

    .venv/bin/python bench/window_start.py --runs 5 [--screenshot docs/images/window.png]

``--screenshot`` also runs examples/demo.ipynb and saves its window once the page is done.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image
from Xlib import X, display

ROOT = Path(__file__).resolve().parent.parent
NBAPP = str(ROOT / ".venv" / "bin" / "nbapp")
MAGENTA = (255, 0, 255)
SERVING = re.compile(r"^nbapp: serving .* at (http://\S+)$")
SCREEN = (1280, 800)


def start_xvfb() -> tuple[subprocess.Popen[bytes], str]:
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-noreset", "-nolisten", "tcp",
         "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24"],
        pass_fds=(write_end,),
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(write_end)
    ready, _, _ = select.select([read_end], [], [], 30)
    number = os.read(read_end, 16).decode().strip() if ready else ""
    if not number:
        server.kill()
        sys.exit("Xvfb did not start")
    return server, f":{number}"


def grab(conn: display.Display) -> Image.Image:
    root = conn.screen().root
    raw = root.get_image(0, 0, SCREEN[0], SCREEN[1], X.ZPixmap, 0xFFFFFFFF)
    return Image.frombytes("RGB", SCREEN, raw.data, "raw", "BGRX")


def magenta_pixels(image: Image.Image) -> int:
    small = image.resize((SCREEN[0] // 4, SCREEN[1] // 4), Image.Resampling.NEAREST)
    return sum(n for n, colour in small.getcolors(small.width * small.height) if colour == MAGENTA)


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
    block = "<div style='width:600px;height:300px;background:#ff00ff'></div>"
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": "# Start Bench"},
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
         "source": f"from IPython.display import HTML\nHTML({block!r})"},
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
         "source": "import time\ntime.sleep(2)"},
    ]  # fmt: skip
    notebook = {
        "cells": cells,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(notebook), encoding="utf-8")


def one_run(env: dict[str, str], notebook: Path, conn: display.Display) -> tuple[float, float]:
    start = time.monotonic()
    proc = subprocess.Popen(
        [NBAPP, "run", "--port", "0", str(notebook)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    shown = visible = 0.0
    try:
        while time.monotonic() - start < 60:
            now = time.monotonic() - start
            if not shown and find_window(env, "Start Bench"):
                shown = now
            if shown and magenta_pixels(grab(conn)) > 0.9 * 150 * 75:
                visible = time.monotonic() - start
                break
            time.sleep(0.02)
        else:
            raise RuntimeError("the first output never showed")
    finally:
        proc.terminate()
        proc.wait(30)
    return shown, visible


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--screenshot", type=Path)
    args = parser.parse_args()
    server, name = start_xvfb()
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if k != "WAYLAND_DISPLAY"}
        env.update(DISPLAY=name, XDG_STATE_HOME=f"{tmp}/state", XDG_CACHE_HOME=f"{tmp}/cache")
        conn = display.Display(name)
        try:
            notebook = Path(tmp) / "start.ipynb"
            write_notebook(notebook)
            one_run(env, notebook, conn)  # warm the OS file cache; not counted
            runs = [one_run(env, notebook, conn) for _ in range(args.runs)]
            print(f"runs: {args.runs}, load average before: {os.getloadavg()[0]:.2f}")
            print(f"process start -> window shown:         {summary([r[0] for r in runs])}")
            print(f"process start -> first output visible: {summary([r[1] for r in runs])}")
            if args.screenshot:
                screenshot(env, conn, args.screenshot)
        finally:
            conn.close()
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
