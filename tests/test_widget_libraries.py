"""Third-party widgets and plotting libraries in a real Chromium, from what the environment
installed and nothing else: the ``page`` fixture fails the test on any request off loopback."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from conftest import PageLog
from support import WIDGET_TIMEOUT_MS, open_dashboard, text_becomes

pytestmark = pytest.mark.browser


ANYWIDGET = '''
import anywidget, traitlets
import ipywidgets as w

class Counter(anywidget.AnyWidget):
    _esm = """
    function render({ model, el }) {
      const button = document.createElement("button");
      button.className = "any-counter";
      const show = () => { button.textContent = `count is ${model.get("value")}`; };
      button.addEventListener("click", () => {
        model.set("value", model.get("value") + 1);
        model.save_changes();
      });
      model.on("change:value", show);
      show();
      el.append(button);
    }
    export default { render };
    """
    _css = ".any-counter { border-left: 7px solid rgb(1, 2, 3); }"
    value = traitlets.Int(0).tag(sync=True)

counter = Counter()
seen = w.Label("kernel saw nothing")
seen.add_class("seen")
counter.observe(lambda change: setattr(seen, "value", f"kernel saw {change['new']}"), names="value")
jump = w.Button(description="jump")
jump.add_class("jump")
def to_forty_two(_):
    counter.value = 42
jump.on_click(to_forty_two)
w.VBox([counter, seen, jump])
'''


def test_anywidget_with_inline_esm_renders_and_round_trips(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    app = serve(notebook([ANYWIDGET]))
    open_dashboard(page, app.url)
    button = page.locator("button.any-counter")
    button.wait_for(timeout=WIDGET_TIMEOUT_MS)
    assert button.inner_text() == "count is 0"
    # _css reached the page
    assert button.evaluate("(b) => getComputedStyle(b).borderLeftWidth") == "7px"
    # page -> kernel: the click's save_changes reaches the kernel's observer
    button.click()
    button.click()
    text_becomes(page, ".seen", "kernel saw 2")
    # kernel -> page: a kernel-side assignment re-renders the anywidget view
    page.click(".jump")
    text_becomes(page, "button.any-counter", "count is 42")
    text_becomes(page, ".seen", "kernel saw 42")
    # anywidget's front end came from the environment's labextension, served by nbapp
    assert any("/nbapp/labextensions/anywidget/" in u for u in page_log.requests), page_log.requests
    assert not page_log.console_errors, page_log.console_errors


def test_plotly_figure_draws_with_the_installed_plotly_js(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    app = serve(notebook(["import plotly.express as px\npx.scatter(x=[1, 2, 3], y=[3, 1, 2])"]))
    open_dashboard(page, app.url)
    points = page.locator(".nbapp-plotly-figure .scatterlayer .point")
    points.first.wait_for(timeout=WIDGET_TIMEOUT_MS)
    assert points.count() == 3
    assert any(u.endswith("/nbapp/vendor/plotly/plotly.min.js") for u in page_log.requests)
    assert not page_log.console_errors, page_log.console_errors


PLOTLY_INTERACT = """
import plotly.express as px
from ipywidgets import interact, IntSlider

@interact(n=IntSlider(value=3, min=1, max=10))
def scatter(n):
    px.scatter(x=list(range(n)), y=list(range(n))).show()
"""


def test_plotly_figure_shown_in_interact_output_follows_the_slider(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    app = serve(notebook([PLOTLY_INTERACT]))
    open_dashboard(page, app.url)
    points = ".widget-interact .nbapp-plotly-figure .scatterlayer .point"
    page.wait_for_function(
        f"document.querySelectorAll({points!r}).length === 3", timeout=WIDGET_TIMEOUT_MS
    )
    page.focus(".widget-interact .noUi-handle")
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        f"document.querySelectorAll({points!r}).length === 4", timeout=WIDGET_TIMEOUT_MS
    )
    assert not page_log.console_errors, page_log.console_errors


BOKEH = """
from bokeh.io import output_notebook, show
from bokeh.plotting import figure
output_notebook(hide_banner=True)
p = figure(width=300, height=200, title="bokeh offline")
p.scatter([1, 2, 3], [3, 1, 2], size=10)
show(p)
"""


def test_bokeh_plot_renders_with_inline_resources(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    app = serve(notebook([BOKEH]))
    open_dashboard(page, app.url)
    page.locator(".bk-Figure").wait_for(timeout=WIDGET_TIMEOUT_MS)
    canvas = page.locator(".bk-Figure canvas").first
    canvas.wait_for(timeout=WIDGET_TIMEOUT_MS)  # Bokeh renders into (open) shadow roots
    box = canvas.bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 100, box
    assert not page_log.console_errors, page_log.console_errors


def test_plotly_figure_widget_renders_and_follows_the_kernel(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    app = serve(
        notebook(
            [
                "import plotly.graph_objects as go, ipywidgets as w\n"
                "fig = go.FigureWidget(go.Bar(y=[1, 3, 2]))\n"
                "more = w.Button(description='more'); more.add_class('more')\n"
                "def grow(_):\n    fig.data[0].y = [1, 3, 2, 5]\n"
                "more.on_click(grow)\n"
                "w.VBox([fig, more])",
            ]
        )
    )
    open_dashboard(page, app.url)
    bars = page.locator(".barlayer .point")
    bars.first.wait_for(timeout=WIDGET_TIMEOUT_MS)
    assert bars.count() == 3
    page.click(".more")
    page.wait_for_function(
        "document.querySelectorAll('.barlayer .point').length === 4", timeout=WIDGET_TIMEOUT_MS
    )
    assert not page_log.console_errors, page_log.console_errors


PANEL = """
import panel as pn
pn.extension()
clicks = []
note = pn.pane.Markdown("no clicks yet")
button = pn.widgets.Button(name="Count me")
def count(_):
    clicks.append(1)
    note.object = f"kernel counted {len(clicks)}"
button.on_click(count)
slider = pn.widgets.IntSlider(name="n", start=0, end=100, value=0)
level = pn.pane.Markdown("level 0")
slider.param.watch(lambda event: setattr(level, "object", f"level {event.new}"), "value")
pn.ipywidget(pn.Column(button, note, slider, level))
"""


def test_panel_object_through_jupyter_bokeh_renders_offline_and_round_trips(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    """Panel's documented route into ipywidgets; Bokeh's JS inlined by the kernel, Panel's
    stylesheets served from the installed package (PANEL_CDN_ROOT), nothing from a CDN."""
    app = serve(notebook([PANEL]))
    open_dashboard(page, app.url)
    note = page.get_by_text("no clicks yet")  # Bokeh renders in (open) shadow roots
    note.wait_for(timeout=WIDGET_TIMEOUT_MS)
    page.get_by_role("button", name="Count me").click()
    page.get_by_text("kernel counted 1").wait_for(timeout=WIDGET_TIMEOUT_MS)
    # A burst of slider events: jupyter_bokeh batches them between kernel idles
    page.locator(".noUi-handle").first.focus()
    for _ in range(12):
        page.keyboard.press("ArrowRight")
    page.get_by_text("level 12").wait_for(timeout=WIDGET_TIMEOUT_MS)
    assert any("/nbapp/vendor/panel/" in u and u.endswith(".css") for u in page_log.requests)
    # jupyter_bokeh's labextension needs JupyterLab's document registry: its classic
    # notebook bundle is the fallback
    assert any("/nbextensions/jupyter_bokeh/index.js" in u for u in page_log.requests)
    assert not page_log.console_errors, page_log.console_errors
