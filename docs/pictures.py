"""Makes the README's pictures of examples/report.ipynb: every output, and only the cells
tagged ``app``, side by side. Run from the repo root: ``.venv/bin/python docs/pictures.py``."""

from __future__ import annotations

import io
import re
import subprocess
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


def main() -> None:
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


if __name__ == "__main__":
    main()
