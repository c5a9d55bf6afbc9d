"""Panel, HoloViews, hvplot and Bokeh in real Chromium, with the real libraries: drawn as
JupyterLab's pyviz extension draws them, BokehJS and Panel served once by the app, live over
comms, and (in tagged mode) shown as ``panel serve`` would show the notebook. The ``page``
fixture fails a test on any request off 127.0.0.1."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page

from conftest import PageLog
from support import NBAPP, WIDGET_TIMEOUT_MS, Code, env_with, open_dashboard, text_becomes, wait_for

pytestmark = pytest.mark.browser

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "panel"
BOKEH_JS = "/nbapp/vendor/bokeh/js/bokeh.min.js"
RED = (255, 0, 0)


def source_data(page: Page) -> list[dict[str, list[float]]]:
    """The columns of every ColumnDataSource in the page's Bokeh documents (its model)."""
    return page.evaluate(
        """() => {
          const found = [];
          for (const doc of window.Bokeh.documents)
            for (const model of doc.all_models)
              if (model.type === 'ColumnDataSource') {
                const data = model.data instanceof Map ? Object.fromEntries(model.data) : model.data;
                const columns = {};
                for (const [key, value] of Object.entries(data))
                  if (value && typeof value.length === 'number') columns[key] = Array.from(value);
                found.push(columns);
              }
          return found;
        }"""
    )


def cell_script_bytes(page: Page) -> int:
    """How much script text the cells carry (inlined BokehJS alone would be megabytes)."""
    return page.evaluate(
        "() => Array.from(document.querySelectorAll('#nbapp-cells script, #nbapp-sidebar script'))"
        ".reduce((n, s) => n + s.textContent.length, 0)"
    )


def pixels_of(page: Page, selector: str, colour: tuple[int, int, int]) -> int:
    """How many pixels of ``colour`` (within 60 per channel) the element shows."""
    shot = Image.open(io.BytesIO(page.locator(selector).first.screenshot())).convert("RGB")
    raw = shot.tobytes()
    return sum(
        1 for i in range(0, len(raw), 3) if all(abs(raw[i + c] - colour[c]) <= 60 for c in range(3))
    )


PANEL_BIND = """
import panel as pn
pn.extension()
slider = pn.widgets.IntSlider(name="n", start=0, end=10, value=3)
seen = []
def compute(n):
    seen.append(n)
    return f"kernel computed {n * 10} after {len(seen)} calls"
pn.Column(slider, pn.bind(compute, slider))
"""


def test_panel_slider_reaches_the_kernel_and_the_bound_output_follows(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    app = serve(notebook([PANEL_BIND]))
    sent: list[str] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda frame: sent.append(str(frame))))
    open_dashboard(page, app.url)
    page.get_by_text("kernel computed 30 after 1 calls").wait_for(timeout=WIDGET_TIMEOUT_MS)
    page.locator(".noUi-handle").first.focus()  # Panel renders in (open) shadow roots
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.get_by_text("kernel computed 50").wait_for(timeout=WIDGET_TIMEOUT_MS)
    # the page sent the slider's changes, not the kernel's own Markdown text back to it
    patches = [frame for frame in sent if "PATCH-DOC" in frame]
    assert any('"attr":"value"' in frame for frame in patches), patches
    assert not [frame for frame in patches if '"attr":"text"' in frame], patches
    # BokehJS came once from the installed bokeh package, not inlined into the cells
    assert sum(url.endswith(BOKEH_JS) for url in page_log.requests) == 1, page_log.requests
    assert any(
        "/nbapp/vendor/panel/" in url and url.endswith("panel.min.js") for url in page_log.requests
    )
    assert cell_script_bytes(page) < 400_000
    assert not page_log.console_errors, page_log.console_errors


LIVE = [
    "import panel as pn, param\n"
    "from bokeh.models import ColumnDataSource\n"
    "from bokeh.plotting import figure\n"
    "pn.extension()",
    # param.depends
    "class Squarer(param.Parameterized):\n"
    "    n = param.Integer(default=2, bounds=(0, 10))\n"
    "    @param.depends('n')\n"
    "    def view(self):\n"
    "        return f'n squared is {self.n ** 2}'\n"
    "squarer = Squarer()\n"
    "pn.Column(pn.widgets.IntSlider.from_param(squarer.param.n), squarer.view)",
    # pn.state.onload, a periodic callback, and a Bokeh source streamed from it
    "loaded = pn.pane.Markdown('not loaded')\n"
    "pn.state.onload(lambda: setattr(loaded, 'object', 'onload ran'))\n"
    "ticks = pn.pane.Markdown('tick 0')\n"
    "source = ColumnDataSource({'x': [0], 'y': [0]})\n"
    "fig = figure(width=300, height=200)\n"
    "fig.line('x', 'y', source=source)\n"
    "plot = pn.pane.Bokeh(fig)\n"
    "count = [0]\n"
    "def tick():\n"
    "    count[0] += 1\n"
    "    ticks.object = f'tick {count[0]}'\n"
    "    source.stream({'x': [count[0]], 'y': [count[0] ** 2]})\n"
    "    pn.io.push_notebook(plot)\n"
    "pn.state.add_periodic_callback(tick, period=150, count=4)\n"
    "pn.Column(loaded, ticks, plot)",
    # HoloViews streaming: a Buffer fed by a periodic callback
    "import holoviews as hv, pandas as pd\n"
    "from holoviews.streams import Buffer\n"
    "hv.extension('bokeh')\n"
    "buffer = Buffer(pd.DataFrame({'t': [0.0], 'v': [0.0]}), length=100, index=False)\n"
    "sent = [0]\n"
    "def feed():\n"
    "    sent[0] += 1\n"
    "    buffer.send(pd.DataFrame({'t': [float(sent[0])], 'v': [float(sent[0])]}))\n"
    "pn.state.add_periodic_callback(feed, period=150, count=3)\n"
    "hv.DynamicMap(hv.Curve, streams=[buffer]).opts(width=300, height=200)",
]


def test_param_depends_onload_periodic_callbacks_and_streams_update_live(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    app = serve(notebook(LIVE))
    open_dashboard(page, app.url)
    page.get_by_text("onload ran").wait_for(timeout=WIDGET_TIMEOUT_MS)
    page.get_by_text("tick 4").wait_for(timeout=WIDGET_TIMEOUT_MS)
    page.wait_for_function(
        """() => {
          const lengths = [];
          for (const doc of window.Bokeh.documents)
            for (const m of doc.all_models)
              if (m.type === 'ColumnDataSource') {
                const x = m.data instanceof Map ? m.data.get('x') ?? m.data.get('t') : (m.data.x ?? m.data.t);
                if (x) lengths.push(x.length);
              }
          return lengths.includes(5) && lengths.includes(4);  // 1 + 4 streamed, 1 + 3 sent
        }""",
        timeout=WIDGET_TIMEOUT_MS,
    )
    page.locator(".noUi-handle").first.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.get_by_text("n squared is 16").wait_for(timeout=WIDGET_TIMEOUT_MS)
    assert not page_log.console_errors, page_log.console_errors


HVPLOT = """
import pandas as pd, hvplot.pandas, holoviews as hv, panel as pn
df = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0, 4.0], "y": [1.0, 3.0, 2.0, 4.0, 3.0]})
plot = df.hvplot.line("x", "y", width=500, height=300, color="#ff0000")
range_x = hv.streams.RangeX(source=plot)
def told(x_range):
    return "no range yet" if x_range is None else f"kernel saw x from {x_range[0]:.2f}"
pn.Column(plot, pn.pane.Markdown(pn.bind(told, range_x.param.x_range)))
"""


def test_hvplot_line_draws_on_its_canvas_and_its_tools_work(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    app = serve(notebook([HVPLOT]))
    open_dashboard(page, app.url)
    canvas = page.locator(".bk-Canvas canvas, canvas").first
    canvas.wait_for(timeout=WIDGET_TIMEOUT_MS)
    page.get_by_text("kernel saw x from 0.00").wait_for(timeout=WIDGET_TIMEOUT_MS)
    # the line, in the colour asked for, on the canvas; its data in Bokeh's document model
    assert pixels_of(page, "canvas", RED) > 200
    sources = source_data(page)
    assert any(data.get("y") == [1.0, 3.0, 2.0, 4.0, 3.0] for data in sources), sources
    box = canvas.bounding_box()
    assert box is not None
    # hover: a tooltip shows over the line
    shot = Image.open(io.BytesIO(canvas.screenshot())).convert("RGB")
    width, height = shot.size
    red = [
        (x, y)
        for x in range(0, width, 4)
        for y in range(height)
        if shot.getpixel((x, y))[0] > 200 and shot.getpixel((x, y))[1] < 80
    ]
    tooltip = page.locator(".bk-Tooltip .bk-tooltip-content").first
    for x, y in red[:: max(1, len(red) // 20)]:
        page.mouse.move(box["x"] + x * box["width"] / width, box["y"] + y * box["height"] / height)
        if tooltip.count() and tooltip.is_visible():
            break
    assert tooltip.is_visible() and "x" in tooltip.inner_text()
    # pan (a drag): the new range reaches the kernel through HoloViews' stream, and back
    page.mouse.move(0, 0)  # away from the line: its tooltip would take the drag
    start_x, start_y = box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.9
    page.mouse.move(start_x, start_y)
    page.mouse.down()
    page.mouse.move(start_x - 120, start_y, steps=12)
    page.mouse.up()
    moved = re.compile(r"kernel saw x from (?!0\.00)\d+\.\d\d")
    page.get_by_text(moved).wait_for(timeout=WIDGET_TIMEOUT_MS)
    assert not page_log.console_errors, page_log.console_errors


LINKED = """
import holoviews as hv, numpy as np, pandas as pd, panel as pn
hv.extension("bokeh")
df = pd.DataFrame({"a": np.arange(20.0), "b": np.arange(20.0) ** 0.5, "c": np.arange(20.0)[::-1]})
links = hv.link_selections.instance()
opts = dict(width=300, height=300, size=8)
left = hv.Scatter(df, "a", "b").opts(tools=["box_select"], active_tools=["box_select"], **opts)
right = hv.Scatter(df, "c", "b").opts(**opts)
chosen = pn.pane.Markdown("no selection")
def show(*_):
    chosen.object = f"kernel selected {len(links.filter(df))} rows"
links.param.watch(show, "selection_expr")
pn.Column(links(left + right), chosen)
"""


def test_linked_selections_go_through_the_kernel(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    """A box selected on one plot: HoloViews' selection stream reaches Python, which filters
    the data (and the other plot), and the page shows what the kernel computed."""
    app = serve(notebook([LINKED]))
    open_dashboard(page, app.url)
    canvas = page.locator("canvas").first
    canvas.wait_for(timeout=WIDGET_TIMEOUT_MS)
    page.get_by_text("no selection").wait_for(timeout=WIDGET_TIMEOUT_MS)
    box = canvas.bounding_box()
    assert box is not None
    x0, y0 = box["x"] + box["width"] * 0.15, box["y"] + box["height"] * 0.15
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x0 + box["width"] * 0.4, y0 + box["height"] * 0.7, steps=10)
    page.mouse.up()
    page.get_by_text(re.compile(r"kernel selected [1-9]\d* rows")).wait_for(
        timeout=WIDGET_TIMEOUT_MS
    )
    assert not page_log.console_errors, page_log.console_errors


BOKEH_THEN_PANEL = [
    "from bokeh.io import output_notebook, show\n"
    "from bokeh.plotting import figure\n"
    "output_notebook(hide_banner=True)\n"
    "p = figure(width=300, height=200)\n"
    "p.scatter([1, 2, 3], [3, 1, 2], size=12, color='#ff0000')\n"
    "show(p)",
    "import panel as pn\npn.extension()\npn.pane.Markdown('panel after bokeh')",
    "from bokeh.io import output_notebook\noutput_notebook(hide_banner=True)\n"
    "pn.pane.Markdown('panel after bokeh again')",
]


def test_bokeh_and_panel_load_bundles_share_one_bokehjs(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    """output_notebook, then pn.extension, then output_notebook again: BokehJS runs once and
    keeps Panel's models, so every document renders."""
    app = serve(notebook(BOKEH_THEN_PANEL))
    open_dashboard(page, app.url)
    page.get_by_text("panel after bokeh", exact=True).wait_for(timeout=WIDGET_TIMEOUT_MS)
    page.get_by_text("panel after bokeh again").wait_for(timeout=WIDGET_TIMEOUT_MS)
    page.locator(".bk-Figure canvas").first.wait_for(timeout=WIDGET_TIMEOUT_MS)
    assert pixels_of(page, ".bk-Figure canvas", RED) > 50
    assert page.evaluate("() => window.Bokeh.Panel !== undefined")
    assert sum(url.endswith(BOKEH_JS) for url in page_log.requests) == 1, page_log.requests
    assert not page_log.console_errors, page_log.console_errors


SERVABLE_ONLY = [
    "import panel as pn\npn.extension()",
    "slider = pn.widgets.IntSlider(name='level', start=0, end=10, value=2)\n"
    "pn.Column('# notebook narrative, not served', slider)",
    "pn.Column(slider, pn.bind(lambda n: f'served level {n}', slider)).servable()",
    "print('a print that is not served')",
    "pn.pane.Markdown(f'served={pn.state.served} name_is_bokeh={__name__.startswith(\"bokeh\")}')"
    ".servable(area='sidebar')",
    "if __name__ == '__main__':\n    pn.pane.Markdown('only outside panel serve').servable()",
]


def test_servable_only_notebook_in_tagged_mode_shows_just_the_servable_objects(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    app = serve(notebook(SERVABLE_ONLY), "--only-tagged")
    open_dashboard(page, app.url)
    main = page.locator("#nbapp-cells")
    sidebar = page.locator("#nbapp-sidebar")
    main.get_by_text("served level 2").wait_for(timeout=WIDGET_TIMEOUT_MS)
    # pn.state.served is true, and __name__ is panel serve's kind; the sidebar area is honoured
    sidebar.get_by_text("served=True name_is_bokeh=True").wait_for(timeout=WIDGET_TIMEOUT_MS)
    text = page.locator("body").inner_text()
    for hidden in ("notebook narrative", "a print that is not served", "only outside panel serve"):
        assert hidden not in text
    assert page.locator("#nbapp-cells .noUi-handle").count() == 1  # the served slider only
    page.locator("#nbapp-cells .noUi-handle").focus()
    page.keyboard.press("ArrowRight")
    main.get_by_text("served level 3").wait_for(timeout=WIDGET_TIMEOUT_MS)
    assert not page_log.console_errors, page_log.console_errors


FAST_LIST = [
    "import panel as pn\npn.extension()",
    "slider = pn.widgets.IntSlider(name='speed', start=0, end=10, value=4)\n"
    "pn.template.FastListTemplate(\n"
    "    title='Wind farm monitor',\n"
    "    sidebar=[pn.pane.Markdown('## Controls'), slider],\n"
    "    main=[pn.pane.Markdown(pn.bind(lambda s: f'turbines at speed {s}', slider))],\n"
    ").servable()",
]


def test_fast_list_template_becomes_the_page_title_sidebar_and_main(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    app = serve(notebook(FAST_LIST, metadata={"nbapp": {"mode": "tagged"}}))
    open_dashboard(page, app.url)
    title = page.locator("#nbapp-app-title")
    title.wait_for(timeout=WIDGET_TIMEOUT_MS)
    assert title.inner_text() == "Wind farm monitor"
    assert page.title() == "Wind farm monitor"
    sidebar, main = page.locator("#nbapp-sidebar"), page.locator("#nbapp-cells")
    sidebar.get_by_text("Controls").wait_for(timeout=WIDGET_TIMEOUT_MS)
    main.get_by_text("turbines at speed 4").wait_for(timeout=WIDGET_TIMEOUT_MS)
    # the sidebar sits left of the main area, as the template lays it out
    side_box, main_box = sidebar.bounding_box(), main.bounding_box()
    assert side_box and main_box and side_box["x"] + side_box["width"] <= main_box["x"] + 1
    assert sidebar.locator(".noUi-handle").count() == 1
    sidebar.locator(".noUi-handle").focus()
    page.keyboard.press("ArrowRight")
    main.get_by_text("turbines at speed 5").wait_for(timeout=WIDGET_TIMEOUT_MS)
    assert not page_log.console_errors, page_log.console_errors


def test_dark_app_gets_panels_dark_theme(serve, notebook, page: Page, page_log: PageLog) -> None:
    app = serve(notebook([PANEL_BIND]), "--theme", "dark")
    open_dashboard(page, app.url)
    page.get_by_text("kernel computed 30").wait_for(timeout=WIDGET_TIMEOUT_MS)
    themes = [url.rsplit("/", 1)[-1] for url in page_log.requests if "/bundled/theme/" in url]
    assert "dark.css" in themes and "default.css" not in themes, themes
    assert not page_log.console_errors, page_log.console_errors


needs_corpus = pytest.mark.skipif(
    not (CORPUS / "iris_kmeans.ipynb").is_file(), reason="../shared/corpus is not next to the repo"
)


@needs_corpus
def test_iris_kmeans_app_runs_as_panel_serve_shows_it(serve, page: Page, page_log: PageLog) -> None:
    """Panel's gallery app, written for panel serve: its pmui.Page (made servable only when
    pn.state.served) becomes the page: title, the widgets in the sidebar, the plot."""
    app = serve(CORPUS / "iris_kmeans.ipynb", "--only-tagged")
    open_dashboard(page, app.url)
    text_becomes(page, "#nbapp-app-title", "Iris K-Means Clustering")
    sidebar = page.locator("#nbapp-sidebar")
    sidebar.get_by_text("n_clusters").wait_for(timeout=WIDGET_TIMEOUT_MS)
    page.locator("#nbapp-cells canvas").first.wait_for(timeout=WIDGET_TIMEOUT_MS)

    def clusters() -> set[str]:
        """The cluster labels the plot's data holds (its categorical colour column)."""
        return {str(v) for data in source_data(page) for v in data.get("labels", [])}

    wait_for(lambda: clusters() == {"0", "1", "2"}, 20, "the plot of 3 clusters")
    sidebar.locator("input[type=range]").first.focus()
    page.keyboard.press("ArrowRight")  # n_clusters 3 -> 4: KMeans runs again in the kernel
    wait_for(lambda: clusters() == {"0", "1", "2", "3"}, 20, "the plot of 4 clusters")
    sidebar.get_by_text("This app provides an example").wait_for(timeout=WIDGET_TIMEOUT_MS)
    # Redrawing this plot throws the same error in the page under `panel serve` itself
    # (panel 1.9.4, bokeh 3.9.2, holoviews 1.23.2): Bokeh's, not the app's.
    upstream = "Cannot read properties of undefined (reading 'top_panel')"
    assert [e for e in page_log.console_errors if e != upstream] == [], page_log.console_errors


@needs_corpus
def test_xgboost_app_runs_in_tagged_and_in_all_outputs_mode(
    serve, page: Page, page_log: PageLog
) -> None:
    tagged = serve(CORPUS / "xgboost_classifier.ipynb", "--only-tagged")
    open_dashboard(page, tagged.url)
    text_becomes(page, "#nbapp-app-title", "XGBoost Example")
    main = page.locator("#nbapp-cells")
    main.get_by_text("Test score").wait_for(timeout=WIDGET_TIMEOUT_MS)
    main.get_by_text("booster='gbtree'").wait_for(timeout=WIDGET_TIMEOUT_MS)
    page.locator("#nbapp-sidebar input[type=range]").first.focus()
    page.keyboard.press("ArrowRight")
    main.get_by_text("n_trees=").wait_for(timeout=WIDGET_TIMEOUT_MS)
    main.get_by_text(re.compile(r"n_trees=(?!0,)\d+")).wait_for(timeout=WIDGET_TIMEOUT_MS)
    # every output, as the notebook shows them in Jupyter: no app title, narrative included
    everything = serve(CORPUS / "xgboost_classifier.ipynb")
    open_dashboard(page, everything.url)
    page.get_by_text("This example was adapted from an example").wait_for(timeout=WIDGET_TIMEOUT_MS)
    page.locator("#nbapp-cells").get_by_text("Test score").wait_for(timeout=WIDGET_TIMEOUT_MS)
    assert page.locator("#nbapp-app-title").is_hidden()
    assert not page_log.console_errors, page_log.console_errors


def test_exported_panel_page_is_static_offline_and_says_callbacks_need_the_app(
    tmp_path: Path, notebook, file_page: tuple[Page, list[str], list[str]]
) -> None:
    """A servable template exported in tagged mode: its title, sidebar and main area, every
    script inlined, no request; a note says that callbacks need the app."""
    nb = notebook(FAST_LIST)
    out = tmp_path / "board.html"
    done = subprocess.run(
        [NBAPP, "export", str(nb), "--only-tagged", "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    page, requests, errors = file_page
    page.goto(out.as_uri())
    assert page.locator("#nbapp-app-title").inner_text() == "Wind farm monitor"
    page.locator("#nbapp-cells").get_by_text("turbines at speed 4").wait_for(
        timeout=WIDGET_TIMEOUT_MS
    )
    page.locator("#nbapp-sidebar .noUi-handle").wait_for(timeout=WIDGET_TIMEOUT_MS)
    note = page.locator(".nbapp-static-note")
    assert "nothing they would compute in Python runs here" in note.inner_text()
    # the file itself, and blob: modules the page made itself; nothing else
    assert [url for url in requests if not url.startswith("blob:")] == [out.as_uri()], requests
    assert not errors, errors


def test_second_start_paints_the_servable_app_at_once_then_goes_live(
    serve, notebook, tmp_path: Path, page: Page, page_log: PageLog
) -> None:
    """Instant open: the last run's page (title, sidebar, main) shows while the kernel starts,
    drawn but not connected; then the live run replaces it and the slider reaches the kernel.
    Nothing of the snapshot reaches the new kernel (its stderr stays empty)."""
    nb = notebook(FAST_LIST, metadata={"nbapp": {"mode": "tagged"}})
    env = env_with(XDG_CACHE_HOME=str(tmp_path / "cache"))
    first = serve(nb, env=env)
    open_dashboard(page, first.url)
    page.goto("about:blank")  # before the app goes: its page would try to reconnect
    first.stop()
    wait_for(lambda: list((tmp_path / "cache").rglob("*.json")), 20, "the first run's snapshot")
    second = serve(nb, env=env)
    sent: list[str] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda frame: sent.append(str(frame))))
    page.goto(second.url)
    painted = page.locator("[data-nbapp-snapshot]").get_by_text("turbines at speed 4")
    painted.wait_for(timeout=WIDGET_TIMEOUT_MS)
    assert page.locator("#nbapp-app-title").inner_text() == "Wind farm monitor"
    # the snapshot's slider moves (keys still reach it) but tells no kernel: its comms
    # belong to the last run's kernel
    old_comms = set(
        re.findall(
            r'"(?:client_)?comm_id":"(\w+)"',
            " ".join(page.locator("[data-nbapp-snapshot] script").all_text_contents()),
        )
    )
    assert old_comms
    page.locator("[data-nbapp-snapshot] .noUi-handle").focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_selector('body[data-nbapp-state="done"]', state="attached", timeout=60_000)
    assert not [frame for frame in sent if any(comm in frame for comm in old_comms)]
    assert page.locator("[data-nbapp-snapshot]").count() == 0
    page.locator("#nbapp-sidebar .noUi-handle").focus()
    page.keyboard.press("ArrowRight")
    page.locator("#nbapp-cells").get_by_text("turbines at speed 5").wait_for(
        timeout=WIDGET_TIMEOUT_MS
    )
    second.stop()
    assert second.stderr == "", second.stderr
    assert not page_log.console_errors, page_log.console_errors


HIDDEN_RESULT = [
    "import pathlib\n"
    "class Costly:\n"
    "    def __init__(self, name):\n"
    "        self.name = name\n"
    "    def _repr_html_(self):\n"
    "        pathlib.Path(f'rendered-{self.name}').touch()\n"
    "        return f'<b>{self.name}</b>'",
    Code("Costly('hidden')", tags=("remove-output",)),
    "hidden_result = _\nCostly('shown')",
    "print(sorted(p.name for p in pathlib.Path('.').glob('rendered-*')), hidden_result.name)",
]


def test_a_result_the_page_hides_is_not_rendered(serve, notebook, page: Page) -> None:
    """The kernel skips rendering the result of a cell whose outputs the page does not show
    (a Panel layout there would cost a full render for nothing); the cell still ran, and
    ``_`` holds its result."""
    app = serve(notebook(HIDDEN_RESULT))
    open_dashboard(page, app.url)
    page.get_by_text("['rendered-shown'] hidden").wait_for(timeout=WIDGET_TIMEOUT_MS)
