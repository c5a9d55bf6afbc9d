"""ipywidgets 7 next to 8, with real packages from PyPI put first on the kernel's path:

- a library release built for ipywidgets 7 (ipycanvas 0.10.2: its labextension asks for
  @jupyter-widgets/base ^2 - ^4) gets the page's base as a shared singleton, as in
  JupyterLab 4, and draws and round-trips;
- a kernel running ipywidgets 7 itself (models of @jupyter-widgets/base 1.2.0 and controls
  1.5.0) gets ipywidgets 7's own front end (base 4 / controls 3), as Voilà 0.5 gives it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page

from conftest import PageLog
from libraries import CANVAS, SEEN, assert_clean, click_center, painted, pip_target, wait_seen
from support import WIDGET_TIMEOUT_MS, env_with, open_dashboard

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def old_ipycanvas(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return pip_target(tmp_path_factory.mktemp("ipycanvas-0.10.2"), "ipycanvas==0.10.2")


@pytest.fixture(scope="session")
def ipywidgets7(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return pip_target(tmp_path_factory.mktemp("ipywidgets-7"), "ipywidgets==7.8.5")


# The same canvas as test_widgets_ui's, from the release built for ipywidgets 7.
OLD_CANVAS = (
    SEEN
    + """
import ipycanvas
assert ipycanvas.__version__ == "0.10.2", ipycanvas.__version__
"""
    + CANVAS
)


def test_library_release_built_for_ipywidgets7_draws_and_round_trips(
    serve, notebook, old_ipycanvas: Path, page: Page, page_log: PageLog
) -> None:
    data = old_ipycanvas / "share" / "jupyter"
    env = env_with(PYTHONPATH=str(old_ipycanvas), JUPYTER_PATH=str(data))
    app = serve(notebook([OLD_CANVAS]), env=env)
    open_dashboard(page, app.url)
    canvas = page.locator(".widget-vbox:has(> .seen-canvas) canvas").first
    canvas.wait_for(timeout=WIDGET_TIMEOUT_MS)
    page.click(".paint")
    page.wait_for_function(
        "(c) => c.getContext('2d').getImageData(100, 50, 1, 1).data[0] === 255",
        arg=canvas.element_handle(),
        timeout=WIDGET_TIMEOUT_MS,
    )
    assert painted(canvas, (255, 0, 0)) > 10_000
    click_center(page, canvas)
    wait_seen(page, "canvas", "mouse down at 100,50")
    # its own (0.10.2) labextension, from the folder put first on JUPYTER_PATH
    loaded = [u for u in page_log.requests if "/nbapp/labextensions/ipycanvas/" in u]
    remote = next(u for u in loaded if "remoteEntry" in u)
    assert (data / "labextensions" / "ipycanvas" / "static" / remote.rsplit("/", 1)[1]).is_file()
    assert_clean(page_log)


WIDGETS7 = """
import ipywidgets as w
assert w.__version__.startswith("7."), w.__version__
slider = w.IntSlider(value=3, min=0, max=10, description="n")
label = w.Label("square=9")
label.add_class("result")
slider.observe(lambda c: setattr(label, "value", f"square={c['new'] ** 2}"), names="value")
box = w.VBox([slider, label, w.Button(description="press", icon="check")])
box
"""


def test_kernel_running_ipywidgets7_gets_ipywidgets7_front_end(
    serve, notebook, ipywidgets7: Path, page: Page, page_log: PageLog
) -> None:
    app = serve(notebook([WIDGETS7]), env=env_with(PYTHONPATH=str(ipywidgets7)))
    open_dashboard(page, app.url)
    handle = page.locator(".ui-slider-handle")  # ipywidgets 7's jQuery UI slider
    handle.wait_for(timeout=WIDGET_TIMEOUT_MS)
    assert page.locator(".widget-readout").inner_text() == "3"
    assert page.locator(".jupyter-button i.fa-check").count() == 1
    handle.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.locator(".result").get_by_text("square=25").wait_for(timeout=WIDGET_TIMEOUT_MS)
    assert any(u.endswith("/nbapp/static/widgets/widgets7.js") for u in page_log.requests)
    assert_clean(page_log)
