"""Makes the README's pictures from live runs. Run from the repo root:

    .venv/bin/python docs/pictures.py [modes] [menu] [folder]

modes: examples/report.ipynb, every output and only the cells tagged ``app``, side by side.
menu: examples/demo.ipynb in nbapp's Qt window under a private Xvfb, its File menu open.
folder: ``nbapp run examples``, the list of the folder's notebooks once each has run.
"""

from __future__ import annotations

import io
import os
import re
import select
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
NBAPP = ROOT / ".venv" / "bin" / "nbapp"
NOTEBOOK = ROOT / "examples" / "report.ipynb"
SERVING = re.compile(r"at (http://127\.0\.0\.1:\d+/\?token=\S+)$")


def shoot(*args: str) -> Image.Image:
    proc = subprocess.Popen(
        [NBAPP, "run", "--no-window", str(NOTEBOOK), *args], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        match = SERVING.search(proc.stdout.readline().strip())
        assert match, "no serving line"
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            page = browser.new_page(viewport={"width": 1100, "height": 820})
            page.goto(match.group(1))
            page.wait_for_selector('body[data-nbapp-state="done"]', state="attached")
            page.wait_for_timeout(1500)  # widget views and their plots settle
            shot = Image.open(io.BytesIO(page.screenshot()))
            browser.close()
        return shot
    finally:
        proc.terminate()
        proc.wait(30)


def modes() -> None:
    shots = [("nbapp run report.ipynb", shoot()), ("--only-tagged", shoot("--only-tagged"))]
    width = sum(s.width for _, s in shots) // 2 + 30
    height = shots[0][1].height // 2 + 40
    sheet = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=18)
    x = 10
    for label, shot in shots:
        small = shot.resize((shot.width // 2, shot.height // 2), Image.Resampling.LANCZOS)
        draw.text((x, 8), label, fill="black", font=font)
        sheet.paste(small, (x, 36))
        draw.rectangle((x - 1, 35, x + small.width, 36 + small.height), outline="#999")
        x += small.width + 10
    target = ROOT / "docs" / "images" / "modes.png"
    sheet.save(target, optimize=True)
    print(f"saved {target}")


@contextmanager
def private_display() -> Iterator[str]:
    """Xvfb on a free display number (it says which on -displayfd)."""
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    ready, _, _ = select.select([read_end], [], [], 30)
    number = os.read(read_end, 16).decode().strip() if ready else ""
    try:
        assert number, "Xvfb did not start"
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(10)
        os.close(read_end)


def _until(check: Callable[[], str], seconds: float, what: str) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return str(found)
        time.sleep(0.2)
    raise SystemExit(f"gave up waiting for {what}")


def menu() -> None:
    with private_display() as screen, tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "DISPLAY": screen, "XDG_STATE_HOME": home, "XDG_CACHE_HOME": home}
        env["XDG_RUNTIME_DIR"] = home
        env["NBAPP_WEBVIEW"] = "qt"  # the window whose menu has the shortcuts shown
        notebook = ROOT / "examples" / "demo.ipynb"
        proc = subprocess.Popen([NBAPP, "run", str(notebook)], stdout=subprocess.PIPE, env=env)

        def xdotool(*args: str) -> str:
            command = ["xdotool", *args]
            done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
            return done.stdout.strip()

        try:
            found = _until(
                lambda: xdotool("search", "--onlyvisible", "--name", "^Signal explorer$"),
                60,
                "the window",
            )
            window = found.split()[0]
            time.sleep(8)  # the kernel runs the notebook; the plot draws
            xdotool("windowfocus", "--sync", window)
            xdotool("key", "alt+f")  # the File menu, by its mnemonic
            time.sleep(1)
            place = dict(
                line.split("=", 1)
                for line in xdotool("getwindowgeometry", "--shell", window).splitlines()
            )
            shot = subprocess.run(
                ["import", "-window", "root", "png:-"], env=env, capture_output=True, check=True
            ).stdout
        finally:
            proc.terminate()
            proc.wait(30)
    left, top = int(place["X"]), int(place["Y"])
    image = Image.open(io.BytesIO(shot)).convert("RGB")
    target = ROOT / "docs" / "images" / "menu.png"
    image.crop((left, top, left + 900, top + 430)).save(target, optimize=True)
    print(f"saved {target}")


def folder() -> None:
    """The list once every notebook has run (so each card has its preview) and its kernel
    has stopped again (``--keep-alive 1``)."""
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "XDG_STATE_HOME": home, "XDG_CACHE_HOME": home}
        command = [NBAPP, "run", "--no-window", "--keep-alive", "1", str(ROOT / "examples")]
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
        try:
            assert proc.stdout is not None
            match = SERVING.search(proc.stdout.readline().strip())
            assert match, "no serving line"
            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path="/usr/bin/chromium",
                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
                )
                page = browser.new_page(viewport={"width": 720, "height": 390})
                page.goto(match.group(1))
                links = page.query_selector_all(".nbapp-card-link")
                for number in range(len(links)):
                    page.query_selector_all(".nbapp-card-link")[number].click()
                    page.wait_for_url("**/nb/*/")
                    page.wait_for_selector('body[data-nbapp-state="done"]', state="attached")
                    page.go_back()
                    page.wait_for_selector(".nbapp-cards")

                def ready() -> bool:  # every preview kept, every kernel stopped
                    page.reload()
                    previews = page.query_selector_all(".nbapp-card-preview iframe")
                    running = "running" in page.inner_text(".nbapp-cards")
                    return len(previews) == len(links) and not running

                _until(lambda: "yes" if ready() else "", 60, "the previews")
                page.wait_for_load_state("load")  # the previews' frames too
                target = ROOT / "docs" / "images" / "folder.png"
                Image.open(io.BytesIO(page.screenshot())).save(target, optimize=True)
                browser.close()
        finally:
            proc.terminate()
            proc.wait(30)
    print(f"saved {target}")


if __name__ == "__main__":
    for name in sys.argv[1:] or ["modes", "menu", "folder"]:
        {"modes": modes, "menu": menu, "folder": folder}[name]()
