"""Live widgets in a real Chromium, against a real nbapp and its kernel, with no network."""

from __future__ import annotations

import hashlib
import os

import pytest
from playwright.sync_api import Page

from conftest import PageLog
from support import (
    WIDGET_TIMEOUT_MS,
    open_dashboard,
    read_events,
    state_is,
    text_becomes,
)

pytestmark = pytest.mark.browser


SLIDER = """
import ipywidgets as w
slider = w.IntSlider(value=3, min=0, max=100, description="n")
result = w.Label()
result.add_class("result")
def show(change):
    result.value = f"square={change['new'] ** 2}"
slider.observe(show, names="value")
show({"new": slider.value})
w.VBox([slider, result])
"""


def test_slider_moved_in_the_page_recomputes_in_the_kernel(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    app = serve(notebook([SLIDER]))
    open_dashboard(page, app.url)
    text_becomes(page, ".result", "square=9")
    page.focus(".widget-slider .noUi-handle")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    text_becomes(page, ".result", "square=25")  # 5 ** 2, computed by the kernel's callback
    assert page.locator(".widget-readout").first.inner_text() == "5"
    assert not page_log.console_errors, page_log.console_errors


def test_widgets_made_before_the_page_connects_are_restored(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    """The page loads after the notebook ran: its widgets come back through request_states."""
    app = serve(notebook([SLIDER]))
    read_events(app, state_is("done"))  # the notebook has run before any page connected
    open_dashboard(page, app.url)
    text_becomes(page, ".result", "square=9")
    page.focus(".widget-slider .noUi-handle")
    page.keyboard.press("ArrowLeft")
    text_becomes(page, ".result", "square=4")
    assert not page_log.console_errors, page_log.console_errors


def test_two_pages_on_one_app_both_get_the_widgets_and_each_others_changes(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    """A window and a browser tab, or two tabs: each page's bridge reads every kernel message.
    With one shared signature record, whichever page read a message first made the other
    refuse it as a replay: the second page never showed its widgets."""
    app = serve(notebook([SLIDER]))
    other = page.context.new_page()
    for each in (page, other):
        open_dashboard(each, app.url)
        text_becomes(each, ".result", "square=9")
    page.focus(".widget-slider .noUi-handle")
    page.keyboard.press("ArrowRight")
    text_becomes(other, ".result", "square=16")  # the kernel's answer reached the other page
    other.wait_for_function(
        "() => document.querySelector('.widget-readout')?.textContent === '4'",
        timeout=WIDGET_TIMEOUT_MS,
    )
    assert app.stop() == 0
    app.stderr_reader.join(10)
    assert app.stderr == ""  # no "dropped an unreadable iopub message"
    assert not page_log.console_errors, page_log.console_errors


OUTPUT = """
import ipywidgets as w
out = w.Output()
out.add_class("captured")
button = w.Button(description="Say hi", icon="check")
button.add_class("hi")
clicks = []
def hello(_):
    clicks.append(1)
    with out:
        print(f"hello number {len(clicks)}")
button.on_click(hello)
w.VBox([button, out])
"""


def test_output_widget_captures_prints_of_a_callback(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    app = serve(notebook([OUTPUT]))
    open_dashboard(page, app.url)
    page.click(".hi", timeout=WIDGET_TIMEOUT_MS)
    text_becomes(page, ".captured", "hello number 1")
    page.click(".hi")
    text_becomes(page, ".captured", "hello number 2")
    assert not page_log.console_errors, page_log.console_errors


def test_button_icon_shows_the_font_awesome_glyph_offline(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    app = serve(notebook([OUTPUT]))
    open_dashboard(page, app.url)
    icon = page.locator(".hi i.fa-check")
    icon.wait_for(timeout=WIDGET_TIMEOUT_MS)
    page.wait_for_function("document.fonts.ready.then(() => true)")
    glyph = icon.evaluate(
        """(el) => {
            const style = getComputedStyle(el, "::before");
            const probe = document.createElement("span");
            probe.textContent = style.content.replace(/"/g, "");
            probe.style.font = `${style.fontWeight} 20px ${style.fontFamily}`;
            document.body.append(probe);
            const width = probe.getBoundingClientRect().width;
            probe.style.fontFamily = "monospace";
            const fallback = probe.getBoundingClientRect().width;
            probe.remove();
            return {
                family: getComputedStyle(el).fontFamily,
                content: style.content,
                loaded: document.fonts.check(`${style.fontWeight} 20px "Font Awesome 5 Free"`),
                width, fallback,
            };
        }"""
    )
    assert "Font Awesome 5 Free" in glyph["family"], glyph
    assert glyph["content"] not in ("none", "normal", '""'), glyph  # the check-mark code point
    assert glyph["loaded"], glyph  # the woff2 came from our server and decoded
    assert glyph["width"] > 0 and glyph["width"] != glyph["fallback"], glyph
    assert any("/nbapp/static/widgets/fonts/fa-solid-900" in url for url in page_log.requests)
    assert not page_log.console_errors, page_log.console_errors


def test_page_that_connects_mid_run_gets_widgets_made_before_it(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    """The buttons' comm_open went out before the page connected; the box that holds them
    arrives live and must wait for them (through the restore), not give up."""
    app = serve(
        notebook(
            [
                "import ipywidgets as w, time\n"
                "buttons = [w.Button(description=f'b{i}') for i in range(12)]",
                "time.sleep(3)",
                "box = w.HBox(buttons); box.add_class('late-box'); box",
                "time.sleep(3)",
            ]
        )
    )
    read_events(app, lambda e: e.get("type") == "status" and e.get("cell", 0) >= 2)
    open_dashboard(page, app.url)
    page.wait_for_selector(".late-box .widget-button >> nth=11", timeout=WIDGET_TIMEOUT_MS)
    assert page.locator(".late-box .widget-button").count() == 12
    assert page.locator(".nbapp-widget-failed").count() == 0
    assert not page_log.console_errors, page_log.console_errors


def press_right(page: Page, handle: str, times: int) -> None:
    page.focus(handle)
    for _ in range(times):
        page.keyboard.press("ArrowRight")


INTERACT = """
import ipywidgets as w
from ipywidgets import interact

@interact(x=w.IntSlider(value=2, min=0, max=10, description="x"))
def square(x):
    print(f"interact says {x * x}")

a = w.IntSlider(value=1, min=0, max=10, description="a")
a.add_class("a")
def cube(a):
    print(f"output says {a ** 3}")
out = w.interactive_output(cube, {"a": a})
out.add_class("cubes")
w.VBox([a, out])
"""


def test_interact_and_interactive_output_recompute_in_the_kernel(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    app = serve(notebook([INTERACT]))
    open_dashboard(page, app.url)
    text_becomes(page, ".widget-interact", "interact says 4")
    press_right(page, ".widget-interact .noUi-handle", 1)
    text_becomes(page, ".widget-interact", "interact says 9")
    text_becomes(page, ".cubes", "output says 1")
    press_right(page, ".a .noUi-handle", 2)
    text_becomes(page, ".cubes", "output says 27")
    assert not page_log.console_errors, page_log.console_errors


JSLINK = """
import ipywidgets as w
src = w.IntSlider(value=10, description="src"); src.add_class("src")
dst = w.IntSlider(value=0, description="dst"); dst.add_class("dst")
link = w.jslink((src, "value"), (dst, "value"))
w.VBox([src, dst])
"""


def test_jslink_ties_two_sliders_in_the_page(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    app = serve(notebook([JSLINK]))
    open_dashboard(page, app.url)
    text_becomes(page, ".dst .widget-readout", "10")  # the link copies on creation
    press_right(page, ".src .noUi-handle", 3)
    text_becomes(page, ".dst .widget-readout", "13")
    assert not page_log.console_errors, page_log.console_errors


LAYOUTS = """
import ipywidgets as w
def box(name):
    b = w.Button(description=name, layout=w.Layout(width="auto", height="auto"))
    b.add_class(name)
    return b
grid = w.GridspecLayout(2, 2, height="200px")
grid[0, :] = box("g-top")
grid[1, 0] = box("g-left")
grid[1, 1] = box("g-right")
display(grid)
w.AppLayout(header=box("a-header"), left_sidebar=box("a-left"), center=box("a-center"),
            right_sidebar=box("a-right"), footer=box("a-footer"))
"""


def test_gridspec_and_app_layout_place_their_children(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    app = serve(notebook([LAYOUTS]))
    open_dashboard(page, app.url)
    page.locator(".a-footer").wait_for(timeout=WIDGET_TIMEOUT_MS)

    def box(name: str) -> dict[str, float]:
        found = page.locator(f".{name}").bounding_box()
        assert found is not None, name
        return found

    top, left, right = box("g-top"), box("g-left"), box("g-right")
    assert top["y"] + top["height"] <= left["y"] + 1 and left["y"] == right["y"]
    assert left["x"] + left["width"] <= right["x"] + 1
    assert top["width"] >= left["width"] + right["width"] - 1  # spans both columns
    header, center, footer = box("a-header"), box("a-center"), box("a-footer")
    sidebar_left, sidebar_right = box("a-left"), box("a-right")
    assert header["y"] + header["height"] <= center["y"] + 1
    assert center["y"] + center["height"] <= footer["y"] + 1
    assert sidebar_left["x"] + sidebar_left["width"] <= center["x"] + 1
    assert center["x"] + center["width"] <= sidebar_right["x"] + 1
    assert not page_log.console_errors, page_log.console_errors


UPLOAD = """
import hashlib
import ipywidgets as w
up = w.FileUpload(accept="", multiple=False)
up.add_class("up")
got = w.Label("nothing yet")
got.add_class("got")
def received(change):
    f = up.value[0]
    data = bytes(f["content"])
    got.value = f"{f['name']} {len(data)} {hashlib.sha256(data).hexdigest()}"
up.observe(received, names="value")
w.VBox([up, got])
"""


def test_file_upload_sends_the_file_bytes_to_the_kernel(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    payload = os.urandom(200_000)  # binary, several websocket buffers' worth
    app = serve(notebook([UPLOAD]))
    open_dashboard(page, app.url)
    # The widget's <input type=file> is not in the document; its button opens the chooser.
    with page.expect_file_chooser(timeout=WIDGET_TIMEOUT_MS) as chooser:
        page.click(".up", timeout=WIDGET_TIMEOUT_MS)
    chooser.value.set_files(
        files=[{"name": "data.bin", "mimeType": "application/octet-stream", "buffer": payload}]
    )
    digest = hashlib.sha256(payload).hexdigest()
    text_becomes(page, ".got", f"data.bin {len(payload)} {digest}")
    assert not page_log.console_errors, page_log.console_errors


def test_a_cell_that_opens_thousands_of_comms_loses_nothing(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    """1600 buttons open ~4840 comms in one cell, past ZeroMQ's default 1000-message queue:
    the run must still see the cell's output and idle, and the page every model."""
    app = serve(
        notebook(
            [
                "import ipywidgets as w\n"
                "rows = [w.HBox([w.Button(description=f'{i}-{j}') for j in range(40)]) for i in range(40)]\n"
                "print('made', sum(len(r.children) for r in rows))\n"
                "box = w.VBox(rows); box.add_class('many'); box",
                "print('after')",
            ]
        )
    )
    open_dashboard(page, app.url)
    assert "made 1600" in page.inner_text("#nbapp-cells")
    assert "after" in page.inner_text("#nbapp-cells")
    page.wait_for_function(
        "document.querySelectorAll('.many .widget-button').length === 1600", timeout=60_000
    )
    assert not page_log.console_errors, page_log.console_errors
