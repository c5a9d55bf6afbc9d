"""ipywidgets' own documentation examples "Layout Templates" and "Output Widget" (their key
cells), live: every view is created, jslinks act before the views are drawn, and what is
external by nature (a YouTube embed) shows as a placeholder instead of a CSP error."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from conftest import PageLog
from libraries import SEEN, assert_clean
from support import WIDGET_TIMEOUT_MS, open_dashboard

pytestmark = pytest.mark.browser

EXPANDED = """
from ipywidgets import AppLayout, Button, FloatSlider, GridspecLayout, Layout, TwoByTwoLayout, jslink
def create_expanded_button(description, button_style):
    return Button(description=description, button_style=button_style, layout=Layout(height="auto", width="auto"))
"""

# "Layout Templates": a bqplot figure whose scale two sliders drive through jslinks made after
# them (the page used to draw the sliders before the links acted: "Could not create a view").
# The example's scale has no range (min and max None), and its jslinks copy that None into
# the sliders: ipywidgets 8 echoes an update back before the kernel refuses it, so the page
# gets None and the sliders break when that echo lands (Voilà 0.5 fails to draw them here
# every time). Given a range, what is left is the ordering this page must get right.
BQPLOT_FIGURE = """
import bqplot as bq, numpy as np
x_ord, y_sc = bq.OrdinalScale(), bq.LinearScale(min=0.0, max=1.0)
bar = bq.Bars(x=np.arange(10), y=np.random.rand(10), scales={"x": x_ord, "y": y_sc})
fig = bq.Figure(marks=[bar], axes=[bq.Axis(scale=x_ord), bq.Axis(scale=y_sc, tick_format="0.2f", orientation="vertical")],
                padding_x=0.025, padding_y=0.025, layout=Layout(width="auto", height="90%"))
"""

TWO_BY_TWO = """
max_slider = FloatSlider(min=0, max=10, description="Max: ", layout=Layout(width="auto", height="auto"))
min_slider = FloatSlider(min=-1, max=10, description="Min: ", layout=Layout(width="auto", height="auto"))
app = TwoByTwoLayout(top_left=min_slider, bottom_left=max_slider, bottom_right=fig, align_items="center", height="400px")
jslink((y_sc, "max"), (max_slider, "value"))
jslink((y_sc, "min"), (min_slider, "value"))
jslink((min_slider, "max"), (max_slider, "value"))
jslink((max_slider, "min"), (min_slider, "value"))
max_slider.value = 1.5
max_seen = seen_label("max")
max_slider.observe(lambda c: setattr(max_seen, "value", f"max is {c['new']:.1f}"), names="value")
_w.VBox([app, max_seen])
"""

APP_LAYOUT = """
AppLayout(header=create_expanded_button("Header", "success"), left_sidebar=create_expanded_button("Left", "info"),
          center=create_expanded_button("Center", "warning"), right_sidebar=create_expanded_button("Right", "info"),
          footer=create_expanded_button("Footer", "success"), pane_widths=[3, 3, 1], pane_heights=[1, 5, "60px"])
"""

GRIDSPEC = """
grid = GridspecLayout(4, 3, height="300px")
grid[:3, 1:] = create_expanded_button("One", "success")
grid[:, 0] = create_expanded_button("Two", "info")
grid[3, 1] = create_expanded_button("Three", "warning")
grid[3, 2] = create_expanded_button("Four", "danger")
grid
"""


def test_layout_templates_example_shows_every_view(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    app = serve(notebook([SEEN, EXPANDED, BQPLOT_FIGURE, TWO_BY_TWO, APP_LAYOUT, GRIDSPEC]))
    open_dashboard(page, app.url)
    page.locator(".bqplot .bar").first.wait_for(timeout=WIDGET_TIMEOUT_MS)
    for name in ("Header", "Left", "Center", "Right", "Footer", "One", "Two", "Three", "Four"):
        page.get_by_role("button", name=name, exact=True).wait_for(timeout=WIDGET_TIMEOUT_MS)
    page.wait_for_function("document.querySelectorAll('.widget-readout').length === 2")
    for readout in page.locator(".widget-readout").all_inner_texts():
        float(readout)  # a number: the slider was drawn with the value its jslink gave it
    assert page.locator(".jupyter-widgets-error-widget").count() == 0
    # The Max slider is live: a key press reaches the kernel, which agrees with the page.
    # (Which value the links leave it at, 1.50 or 10.00, depends on when the page's own link
    # updates reach the busy kernel, in JupyterLab as here.)
    page.focus(".widget-slider:has-text('Max') .noUi-handle")
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(
        """() => {
            const slider = [...document.querySelectorAll('.widget-slider')].find((s) => s.textContent.includes('Max'));
            const readout = slider.querySelector('.widget-readout').textContent;
            const seen = document.querySelector('.seen-max').textContent;
            return seen === `max is ${Number(readout).toFixed(1)}`;
        }""",
        timeout=WIDGET_TIMEOUT_MS,
    )
    assert_clean(page_log)


OUTPUT = """
out = _w.Output(layout={"border": "1px solid black"})
out.add_class("hello-out")
with out:
    for i in range(3):
        print(i, "Hello world!")
from IPython.display import YouTubeVideo
with out:
    display(YouTubeVideo("eWzY2nGfkXk"))
with out:
    display(_w.IntSlider(description="nested"))
out
"""

INTERACTIVE = """
a, b, c = (_w.IntSlider(description=n) for n in "abc")
def f(a, b, c):
    print(f"{a}*{b}*{c}={a * b * c}")
product = _w.interactive_output(f, {"a": a, "b": b, "c": c})
product.add_class("product")
_w.HBox([_w.VBox([a, b, c]), product])
"""

DEBUG = """
debug_view = _w.Output(layout={"border": "1px solid black"})
debug_view.add_class("debug-view")
@debug_view.capture(clear_output=True)
def bad_callback(event):
    print("This is about to explode")
    return 1.0 / 0.0
button = _w.Button(description="click me to raise an exception")
button.on_click(bad_callback)
_w.VBox([button, debug_view])
"""


def test_output_widget_example_captures_and_places_external_content(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    app = serve(notebook([SEEN, OUTPUT, INTERACTIVE, DEBUG]))
    open_dashboard(page, app.url)
    hello = page.locator(".hello-out")
    hello.get_by_text("2 Hello world!").wait_for(timeout=WIDGET_TIMEOUT_MS)
    note = hello.locator(".nbapp-offline")
    note.wait_for(timeout=WIDGET_TIMEOUT_MS)
    assert "needs a network connection" in note.inner_text()
    assert "youtube.com" in (note.locator("a").get_attribute("href") or "")
    assert hello.locator("iframe").count() == 0
    hello.locator(".widget-slider").wait_for(timeout=WIDGET_TIMEOUT_MS)  # the nested slider

    page.locator(".product").get_by_text("0*0*0=0").wait_for(timeout=WIDGET_TIMEOUT_MS)
    page.focus(".widget-slider:has-text('a') .noUi-handle")
    page.keyboard.press("ArrowRight")
    page.locator(".product").get_by_text("1*0*0=0").wait_for(timeout=WIDGET_TIMEOUT_MS)

    page.get_by_role("button", name="click me to raise an exception").click()
    debug = page.locator(".debug-view")
    debug.get_by_text("This is about to explode").wait_for(timeout=WIDGET_TIMEOUT_MS)
    debug.get_by_text("ZeroDivisionError").first.wait_for(timeout=WIDGET_TIMEOUT_MS)
    assert not any("youtube" in u for u in page_log.requests)
    assert_clean(page_log)
