"""Interactive widget toolkits from their labextensions in one app: ipyvuetify (Vue, which the
page's @jupyterlab/apputils bundle serves), ipycanvas (drawing commands as custom messages),
ipywebrtc (an ipywidgets 7-era front end: base ^1 - ^4; its streams' own <video> views, one
of them playing a real clip through a Video view that ipywebrtc's front end asks the page's
widget manager for; its camera needs a device this machine does not have, which the widget
says in the page)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from conftest import PageLog
from libraries import CANVAS, SEEN, assert_clean, click_center, painted, record_clip, wait_seen
from support import WIDGET_TIMEOUT_MS, open_dashboard

pytestmark = pytest.mark.browser

VUETIFY = """
import ipyvuetify as v
btn = v.Btn(children=["vuetify press"], color="red")
vue_seen = seen_label("vue")
btn.on_event("click", lambda widget, event, data: setattr(vue_seen, "value", "vuetify clicked"))
_w.VBox([btn, vue_seen])
"""


WEBRTC = """
import io, ipywebrtc
from PIL import Image as PImage
buf = io.BytesIO()
PImage.new("RGB", (64, 48), (255, 0, 0)).save(buf, "png")
stream = ipywebrtc.ImageStream(image=_w.Image(value=buf.getvalue()))
recorder = ipywebrtc.ImageRecorder(stream=stream)
rtc_seen = seen_label("rtc")
recorder.image.observe(lambda c: setattr(rtc_seen, "value", f"snapshot of {len(c['new'])} bytes"), names="value")
clip = ipywebrtc.VideoStream.from_file("clip.webm")
stream.add_class("rtc-image")
clip.add_class("rtc-clip")
_w.VBox([recorder, rtc_seen, stream, clip, ipywebrtc.CameraStream()])
"""

# A stream's view is a <video> playing a MediaStream (srcObject) of the clip's size.
PLAYING = """([sel, width]) => {
  const video = document.querySelector(sel);
  return video && video.srcObject instanceof MediaStream && video.videoWidth === width;
}"""


@pytest.fixture
def clip(browser: Browser, tmp_path: Path) -> Path:
    """clip.webm next to the test's notebooks, in the folder where their kernel runs."""
    return record_clip(browser, tmp_path / "clip.webm")


def test_vuetify_canvas_webrtc_render_and_round_trip(
    serve, notebook, clip: Path, page: Page, page_log: PageLog
) -> None:
    app = serve(notebook([SEEN, VUETIFY, CANVAS, WEBRTC]))
    open_dashboard(page, app.url)
    button = page.locator(".v-btn")
    button.wait_for(timeout=WIDGET_TIMEOUT_MS)
    assert "VUETIFY PRESS" in button.inner_text().upper()
    button.click()
    wait_seen(page, "vue", "vuetify clicked")
    assert any(u.endswith("/nbapp/static/widgets/lab.js") for u in page_log.requests)

    canvas = page.locator(".widget-vbox:has(> .seen-canvas) canvas").first
    canvas.wait_for(timeout=WIDGET_TIMEOUT_MS)
    page.click(".paint")
    page.wait_for_function(
        "(c) => c.getContext('2d').getImageData(100, 50, 1, 1).data[0] === 255",
        arg=canvas.element_handle(),
        timeout=WIDGET_TIMEOUT_MS,
    )
    assert painted(canvas, (255, 0, 0)) > 10_000  # all of its 200 x 100 pixels
    click_center(page, canvas)
    wait_seen(page, "canvas", "mouse down at 100,50")

    # the recorder takes a frame of the image stream and sends it to the kernel
    page.locator(".widget-vbox:has(> .seen-rtc) button").first.click()
    wait_seen(page, "rtc", "snapshot of")
    for sel, width in ((".rtc-image video", 64), (".rtc-clip video", 64)):
        page.wait_for_function(PLAYING, arg=[sel, width], timeout=WIDGET_TIMEOUT_MS)
    page.get_by_text("Requested device not found").wait_for(timeout=WIDGET_TIMEOUT_MS)
    assert any("/nbapp/labextensions/jupyter-webrtc/" in u for u in page_log.requests)
    assert_clean(page_log)
