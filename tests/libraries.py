"""Helpers for the widget-library tests (tests/test_widgets_*.py): one app per family, the
library's own rendering checked on screen, round trips through a kernel-side Label."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path
from typing import Any

from PIL import Image

from conftest import PageLog
from support import WIDGET_TIMEOUT_MS

# A Label the kernel rewrites from a library's callback: what the page sent came back.
SEEN = """
import ipywidgets as _w
def seen_label(name, text="kernel saw nothing"):
    label = _w.Label(text)
    label.add_class(f"seen-{name}")
    return label
"""

# Drawn from a callback: ipycanvas sends drawing commands as custom messages, which a page
# that connects after the cell ran never receives (as on reloading JupyterLab); a button
# makes the drawing a round trip of its own.
CANVAS = """
import ipycanvas
canvas = ipycanvas.Canvas(width=200, height=100)
canvas_seen = seen_label("canvas")
canvas.on_mouse_down(lambda x, y: setattr(canvas_seen, "value", f"mouse down at {x:.0f},{y:.0f}"))
def draw(_):
    canvas.fill_style = "red"
    canvas.fill_rect(0, 0, 200, 100)
paint = _w.Button(description="paint")
paint.add_class("paint")
paint.on_click(draw)
_w.VBox([paint, canvas, canvas_seen])
"""


def assert_clean(page_log: PageLog) -> None:
    """No console error, no failed request, nothing off loopback (the fixture checks that)."""
    assert not page_log.console_errors, page_log.console_errors
    assert not page_log.failed, page_log.failed


def wait_seen(page: Any, name: str, text: str) -> None:
    page.wait_for_function(
        "([sel, text]) => (document.querySelector(sel)?.textContent || '').includes(text)",
        arg=[f".seen-{name}", text],
        timeout=WIDGET_TIMEOUT_MS,
    )


def click_center(page: Any, locator: Any) -> None:
    """A real mouse click at the middle of an element that something else (a plot's drag
    layer, a canvas on top) covers, which Playwright's own click would refuse."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def painted(locator: Any, rgb: tuple[int, int, int], tolerance: int = 40) -> int:
    """How many pixels of the element's screenshot are close to ``rgb``: what a canvas or
    WebGL library drew (their pixels are not in the DOM)."""
    data = Image.open(io.BytesIO(locator.screenshot())).convert("RGB").tobytes()
    r0, g0, b0 = rgb
    return sum(
        1
        for i in range(0, len(data), 3)
        if abs(data[i] - r0) <= tolerance
        and abs(data[i + 1] - g0) <= tolerance
        and abs(data[i + 2] - b0) <= tolerance
    )


# A small real video, made without a network: Chromium's MediaRecorder encodes 0.6 s of a
# 64 x 48 canvas flipping between red and blue as VP8 WebM (there is no encoder to install).
RECORD_CLIP = """async () => {
  const canvas = Object.assign(document.createElement("canvas"), { width: 64, height: 48 });
  document.body.append(canvas);
  const draw = canvas.getContext("2d");
  const recorder = new MediaRecorder(canvas.captureStream(10), { mimeType: "video/webm;codecs=vp8" });
  const parts = [];
  recorder.ondataavailable = (event) => parts.push(event.data);
  let frame = 0;
  const timer = setInterval(() => {
    draw.fillStyle = frame++ % 2 ? "red" : "blue";
    draw.fillRect(0, 0, 64, 48);
  }, 50);
  const stopped = new Promise((resolve) => (recorder.onstop = resolve));
  recorder.start();
  await new Promise((resolve) => setTimeout(resolve, 600));
  recorder.stop();
  await stopped;
  clearInterval(timer);
  return Array.from(new Uint8Array(await new Blob(parts).arrayBuffer()));
}"""


def record_clip(browser: Any, path: Path) -> Path:
    """Write a WebM clip recorded in a blank page of ``browser`` (a Playwright Browser)."""
    page = browser.new_page()
    try:
        page.set_content("<body></body>")
        path.write_bytes(bytes(page.evaluate(RECORD_CLIP)))
    finally:
        page.close()
    assert path.stat().st_size > 200, path.stat().st_size
    return path


def pip_target(folder: Path, requirement: str) -> Path:
    """``requirement`` (no dependencies) installed from PyPI into ``folder``: an older release
    next to the environment's own, for PYTHONPATH and JUPYTER_PATH to put first."""
    if not (folder / ".installed").exists():
        pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps"]
        subprocess.run([*pip, "--target", str(folder), requirement], check=True)
        (folder / ".installed").touch()
    return folder
