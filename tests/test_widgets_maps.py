"""Maps: ipyleaflet from its labextension, tiles replaced by an in-page placeholder (they are
external by nature), markers and controls drawn, zoom and a marker drag reaching the kernel."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from conftest import PageLog
from libraries import SEEN, assert_clean, wait_seen
from support import WIDGET_TIMEOUT_MS, open_dashboard

pytestmark = pytest.mark.browser

LEAFLET = (
    SEEN
    + """
import ipyleaflet as L
m = L.Map(center=(52.0, 10.0), zoom=5)
marker = L.Marker(location=(52.0, 10.0), draggable=True)
m.add(marker)
zoom_seen = seen_label("zoom")
m.observe(lambda c: setattr(zoom_seen, "value", f"zoom {c['new']}"), names="zoom")
drag_seen = seen_label("drag")
def moved(change):
    lat, lon = change["new"]
    drag_seen.value = f"marker at {lat:.2f} {lon:.2f}"
marker.observe(moved, names="location")
_w.VBox([m, zoom_seen, drag_seen])
"""
)


def test_ipyleaflet_draws_markers_offline_and_round_trips(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    app = serve(notebook([LEAFLET]))
    open_dashboard(page, app.url)
    icon = page.locator(".leaflet-marker-icon")
    icon.wait_for(timeout=WIDGET_TIMEOUT_MS)
    # the marker image came from the labextension's own files, through its webpack public path
    assert icon.evaluate("(img) => img.complete && img.naturalWidth > 0")
    assert "/nbapp/labextensions/jupyter-leaflet/" in icon.get_attribute("src")
    box = page.locator(".leaflet-container").bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 200, box
    # the base map is external: a placeholder says so, and no tile was asked for
    note = page.locator(".nbapp-offline-tiles")
    assert "needs a network connection" in note.inner_text()
    assert not any("openstreetmap" in u for u in page_log.requests)
    # page -> kernel: the zoom control and a marker drag
    page.click(".leaflet-control-zoom-in")
    wait_seen(page, "zoom", "zoom 6")
    start = icon.bounding_box()
    assert start is not None
    x, y = start["x"] + start["width"] / 2, start["y"] + start["height"] - 4
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 60, y + 40, steps=8)
    page.mouse.up()
    wait_seen(page, "drag", "marker at")
    assert "52.00 10.00" not in page.inner_text(".seen-drag")
    assert_clean(page_log)
