"""Plots from widget libraries, each from its own labextension in one app: what the library
draws is on screen, and a click or a drag in the page reaches a kernel callback."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from conftest import PageLog
from libraries import SEEN, assert_clean, click_center, painted, wait_seen
from support import WIDGET_TIMEOUT_MS, open_dashboard

pytestmark = pytest.mark.browser

RED = (255, 0, 0)

BQPLOT = """
import bqplot as bq
xs, ys = bq.LinearScale(), bq.LinearScale()
scatter = bq.Scatter(x=[1, 2, 3], y=[3, 1, 2], scales={"x": xs, "y": ys}, colors=["red"], default_size=200)
fig = bq.Figure(marks=[scatter], axes=[bq.Axis(scale=xs), bq.Axis(scale=ys, orientation="vertical")],
                layout=_w.Layout(width="400px", height="300px"))
bq_seen = seen_label("bqplot")
scatter.on_element_click(lambda mark, event: setattr(bq_seen, "value", f"clicked dot {event['data']['index']}"))
_w.VBox([fig, bq_seen])
"""

IPYMPL = """
%matplotlib widget
import matplotlib.pyplot as plt
with plt.ioff():
    mfig, ax = plt.subplots(figsize=(4, 3))
ax.plot([0, 1, 2], [0, 1, 0], color="red", linewidth=8)
mpl_seen = seen_label("mpl")
mfig.canvas.mpl_connect("button_press_event", lambda e: setattr(mpl_seen, "value", f"clicked at {e.xdata:.1f}"))
_w.VBox([mfig.canvas, mpl_seen])
"""

PLOTLY = """
import plotly.graph_objects as go
pfig = go.FigureWidget(go.Bar(y=[1, 3, 2]))
pl_seen = seen_label("plotly")
pfig.data[0].on_click(lambda trace, points, state: setattr(pl_seen, "value", f"clicked bar {points.point_inds}"))
_w.VBox([pfig, pl_seen])
"""

PYTHREEJS = """
import pythreejs as p3
cam = p3.PerspectiveCamera(position=[3, 3, 3], aspect=1.5)
box = p3.Mesh(p3.BoxGeometry(1, 1, 1), p3.MeshBasicMaterial(color="red"))
scene = p3.Scene(children=[box, cam, p3.AmbientLight()], background="white")
renderer = p3.Renderer(camera=cam, scene=scene, controls=[p3.OrbitControls(controlling=cam)], width=300, height=200)
three_seen = seen_label("three")
cam.observe(lambda c: setattr(three_seen, "value", f"camera moved to x={c['new'][0]:.2f}"), names="position")
_w.VBox([renderer, three_seen])
"""

# ipyvolume 0.6.3's own pieces that are broken with today's packages stay out: its Scatter
# widget built directly (its color_selected default is a numpy string array that
# jupyter_client cannot serialise) and ipv.show()'s legend (its template assigns
# `module.export`). The pylab API and the figure itself work, as in JupyterLab.
IPYVOLUME = """
import ipyvolume as ipv, numpy as np
ipv.figure(width=300, height=300)
points = np.array([0.0, 0.5, 1.0])
ipv.scatter(points, points, points, size=20, color="red", marker="sphere")
ipv_seen = seen_label("ipv")
ipv.gcf().camera.observe(lambda c: setattr(ipv_seen, "value", "camera turned"), names="quaternion")
_w.VBox([ipv.gcf(), ipv_seen])
"""


def drag_across(page: Page, canvas: Any) -> None:
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 80, y + 10, steps=10)
    page.mouse.up()


def canvas_of(page: Page, name: str) -> Any:
    """The canvas next to the ``seen-<name>`` label (same VBox)."""
    canvas = page.locator(f".widget-vbox:has(> .seen-{name}) canvas").first
    canvas.wait_for(timeout=WIDGET_TIMEOUT_MS)
    return canvas


def test_bqplot_ipympl_plotly_draw_and_take_clicks(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    app = serve(notebook([SEEN, BQPLOT, IPYMPL, PLOTLY]))
    open_dashboard(page, app.url)
    dots = page.locator(".bqplot .dot")
    dots.first.wait_for(timeout=WIDGET_TIMEOUT_MS)
    assert dots.count() == 3
    dots.nth(1).click()
    wait_seen(page, "bqplot", "clicked dot 1")

    figure = canvas_of(page, "mpl")
    page.wait_for_function(
        "(c) => c.width > 0", arg=figure.element_handle(), timeout=WIDGET_TIMEOUT_MS
    )
    assert painted(figure, RED) > 500  # matplotlib's thick red line, drawn by ipympl
    click_center(page, figure)  # ipympl stacks a canvas for its rubber band on top
    wait_seen(page, "mpl", "clicked at")

    bars = page.locator(".barlayer .point path")
    bars.first.wait_for(timeout=WIDGET_TIMEOUT_MS)
    assert bars.count() == 3
    click_center(page, bars.nth(1))  # plotly's drag layer covers the bars
    wait_seen(page, "plotly", "clicked bar [1]")
    assert any("/nbapp/labextensions/bqplot/" in u for u in page_log.requests)
    assert_clean(page_log)


def test_pythreejs_and_ipyvolume_render_webgl_and_sync_the_camera(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    app = serve(notebook([SEEN, PYTHREEJS, IPYVOLUME]))
    open_dashboard(page, app.url)
    for name in ("three", "ipv"):
        canvas = canvas_of(page, name)
        page.wait_for_function(
            "(c) => c.width > 0", arg=canvas.element_handle(), timeout=WIDGET_TIMEOUT_MS
        )
        assert painted(canvas, RED, tolerance=90) > 200, name  # the red box / spheres
        drag_across(page, canvas)  # orbit controls move the camera, synced to the kernel
    wait_seen(page, "three", "camera moved to")
    wait_seen(page, "ipv", "camera turned")
    assert_clean(page_log)
