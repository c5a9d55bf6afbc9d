"""What analysts display, drawn by the real libraries in a real Chromium, offline: each test
finds an element of the library's own rendering, works the library where it is interactive,
and fails on any request off 127.0.0.1 (the ``page`` fixture) or any console error."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from conftest import PageLog
from support import WIDGET_TIMEOUT_MS, open_dashboard

pytestmark = pytest.mark.browser

# How many distinct colours an image element shows (drawn into a canvas): a blank or broken
# image has one or two.
COLOURS = """(img) => {
  const canvas = document.createElement("canvas");
  canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
  const ctx = canvas.getContext("2d");
  ctx.drawImage(img, 0, 0);
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  const seen = new Set();
  for (let i = 0; i < data.length; i += 4) seen.add(`${data[i]},${data[i+1]},${data[i+2]}`);
  return seen.size;
}"""


def no_console_errors(page_log: PageLog) -> None:
    assert not page_log.console_errors, page_log.console_errors


def test_matplotlib_figure_is_an_image_of_its_size(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    app = serve(
        notebook(
            [
                "%config InlineBackend.print_figure_kwargs = {'bbox_inches': None}\n"
                "import matplotlib.pyplot as plt\n"
                "fig, ax = plt.subplots(figsize=(4, 3), dpi=100)\n"
                "ax.plot([0, 1, 2], [2, 0, 1], color='tab:red')\n"
                "ax.set_title('mpl offline')",
            ]
        )
    )
    open_dashboard(page, app.url)
    img = page.locator('.jp-RenderedImage img[src^="data:image/png"]')
    img.wait_for()
    size = img.evaluate("(i) => [i.naturalWidth, i.naturalHeight]")
    assert size == [400, 300], size
    assert img.evaluate(COLOURS) > 20
    no_console_errors(page_log)


def test_seaborn_plot_draws_its_data(serve, notebook, page: Page, page_log: PageLog) -> None:
    app = serve(
        notebook(
            [
                "%config InlineBackend.print_figure_kwargs = {'bbox_inches': None}\n"
                "import seaborn as sns, pandas as pd, matplotlib.pyplot as plt\n"
                "df = pd.DataFrame({'group': list('abcd') * 5, 'value': range(20)})\n"
                "fig, ax = plt.subplots(figsize=(5, 2.5), dpi=100)\n"
                "sns.barplot(data=df, x='group', y='value', hue='group', ax=ax)",
            ]
        )
    )
    open_dashboard(page, app.url)
    img = page.locator('.jp-RenderedImage img[src^="data:image/png"]')
    img.wait_for()
    assert img.evaluate("(i) => [i.naturalWidth, i.naturalHeight]") == [500, 250]
    # seaborn's palette: four bar colours, plus axes and text
    assert img.evaluate(COLOURS) > 30
    box = img.bounding_box()
    assert box is not None and box["width"] > 300
    no_console_errors(page_log)


ALTAIR = """
import altair as alt, pandas as pd
alt.renderers.set_embed_options(renderer="svg")
data = pd.DataFrame({"x": range(1, 11), "y": [3, 1, 4, 1, 5, 9, 2, 6, 5, 3]})
limit = alt.param(name="limit", value=4, bind=alt.binding_range(min=1, max=10, step=1, name="limit "))
alt.Chart(data).mark_point(size=60).encode(x="x:Q", y="y:Q").add_params(limit).transform_filter(
    alt.datum.x <= limit
)
"""


def test_altair_chart_draws_with_the_local_vega_and_its_slider_filters_marks(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    """altair's default (HTML) renderer asks a CDN for vega; the app serves its own."""
    app = serve(notebook([ALTAIR]))
    open_dashboard(page, app.url)
    marks = "document.querySelectorAll('.vega-embed svg .mark-symbol path').length"
    page.wait_for_function(f"{marks} === 4", timeout=WIDGET_TIMEOUT_MS)
    # a Vega signal bound to a slider: moving it re-filters the data in the page
    page.locator(".vega-bindings input[type=range]").evaluate(
        "(el) => { el.value = 7; el.dispatchEvent(new Event('input', { bubbles: true })); }"
    )
    page.wait_for_function(f"{marks} === 7", timeout=WIDGET_TIMEOUT_MS)
    assert any(u.endswith("/nbapp/static/vendor/vega/vega-embed.min.js") for u in page_log.requests)
    no_console_errors(page_log)


VEGALITE_MIME = """
from IPython.display import display
spec = {
    "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
    "data": {"values": [{"a": "A", "b": 28}, {"a": "B", "b": 55}, {"a": "C", "b": 43}]},
    "mark": "bar",
    "encoding": {"x": {"field": "a", "type": "nominal"}, "y": {"field": "b", "type": "quantitative"}},
}
display({"application/vnd.vegalite.v5+json": spec, "text/plain": "<VegaLite 5 object>"},
        metadata={"application/vnd.vegalite.v5+json": {"embed_options": {"renderer": "svg"}}}, raw=True)
"""


def test_vega_lite_mime_bundle_is_drawn_by_the_page_registry(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    """The MIME type JupyterLab's vega extension draws; vega is fetched only for it."""
    app = serve(notebook(["print('before')", VEGALITE_MIME]))
    open_dashboard(page, app.url)
    bars = page.locator(".jp-RenderedVegaLite svg .mark-rect path")
    bars.first.wait_for(timeout=WIDGET_TIMEOUT_MS)
    assert bars.count() == 3
    assert "<VegaLite 5 object>" not in page.inner_text("#nbapp-cells")  # not the fallback
    vega = [u for u in page_log.requests if "/vendor/vega/" in u]
    assert len(vega) == 3, vega
    no_console_errors(page_log)


def test_page_without_a_chart_loads_no_chart_library(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    app = serve(notebook(["print('plain')", "from IPython.display import JSON; JSON({'k': 1})"]))
    open_dashboard(page, app.url)
    page.locator(".jp-RenderedJSON").wait_for()
    assert not [u for u in page_log.requests if "/vendor/" in u], page_log.requests
    no_console_errors(page_log)


GEOJSON = """
from IPython.display import GeoJSON
GeoJSON({"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [2.35, 48.85]}},
    {"type": "Feature", "properties": {}, "geometry": {"type": "LineString",
     "coordinates": [[2.30, 48.80], [2.40, 48.90]]}},
]})
"""


def test_geojson_geometry_drawn_locally_and_the_base_map_says_it_needs_a_network(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    app = serve(notebook([GEOJSON]))
    open_dashboard(page, app.url)
    paths = page.locator(".jp-RenderedGeoJSON .leaflet-overlay-pane path")
    paths.first.wait_for(timeout=WIDGET_TIMEOUT_MS)
    assert paths.count() == 2
    notice = page.locator(".jp-RenderedGeoJSON .nbapp-offline-tiles")
    assert "needs a network connection" in notice.inner_text()
    box = page.locator(".jp-RenderedGeoJSON").bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 200
    no_console_errors(page_log)


FOLIUM = """
import folium
m = folium.Map(location=[45.52, -122.68], zoom_start=12)
folium.Marker([45.52, -122.68], popup="Portland offline", icon=folium.Icon(color="red", icon="info-sign")).add_to(m)
folium.CircleMarker([45.53, -122.67], radius=12, color="purple").add_to(m)
m
"""


def test_folium_map_with_local_leaflet_marker_popup_and_no_tiles(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    """folium renders into an iframe's srcdoc that links Leaflet, jQuery, Bootstrap, Font
    Awesome... on CDNs; the app serves its own copies, and the tiles show a notice."""
    app = serve(notebook([FOLIUM]))
    open_dashboard(page, app.url)
    frame = page.frame_locator(".jp-OutputArea-output iframe")
    frame.locator(".leaflet-container").wait_for(timeout=WIDGET_TIMEOUT_MS)
    marker = frame.locator(".leaflet-marker-pane .awesome-marker-icon-red")
    marker.wait_for(timeout=WIDGET_TIMEOUT_MS)
    # the glyphicon inside the marker has its font (a glyph, not an empty box)
    glyph = frame.locator(".awesome-marker-icon-red .glyphicon-info-sign")
    font = glyph.evaluate("(el) => getComputedStyle(el).fontFamily")
    assert "Glyphicons Halflings" in font
    assert frame.locator(".leaflet-overlay-pane path").count() == 1  # the circle marker
    assert "needs a network connection" in frame.locator(".nbapp-offline-tiles").inner_text()
    marker.click()
    frame.get_by_text("Portland offline").wait_for(timeout=WIDGET_TIMEOUT_MS)
    served = [u for u in page_log.requests if "/nbapp/static/vendor/" in u]
    for part in ("leaflet/leaflet.js", "jquery/", "bootstrap5/", "awesome-markers/", "glyphicons/"):
        assert any(part in u for u in served), (part, served)
    no_console_errors(page_log)


ITABLES = """
import pandas as pd
from itables import init_notebook_mode
init_notebook_mode(all_interactive=True)
pd.DataFrame({"name": [f"row-{i}" for i in range(1, 31)], "value": range(1, 31)})
"""


def test_itables_offline_table_searches_and_pages_in_the_page(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    app = serve(notebook([ITABLES]))
    open_dashboard(page, app.url)
    rows = page.locator("table.dataTable tbody tr")
    page.wait_for_function(
        "document.querySelectorAll('table.dataTable tbody tr').length === 10",
        timeout=WIDGET_TIMEOUT_MS,
    )
    search = page.locator(".dt-search input, .dataTables_filter input").first
    search.fill("row-17")
    page.wait_for_function(
        "document.querySelectorAll('table.dataTable tbody tr').length === 1",
        timeout=WIDGET_TIMEOUT_MS,
    )
    assert "row-17" in rows.first.inner_text()
    search.fill("")
    page.locator(".dt-paging button, .paginate_button").filter(has_text="2").first.click()
    page.locator("table.dataTable tbody").get_by_text("row-11", exact=True).wait_for(
        timeout=WIDGET_TIMEOUT_MS
    )
    no_console_errors(page_log)


def test_itables_connected_mode_loads_its_bundle_from_the_installed_package(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    """Whoever asks itables for its CDN gets the DataTables bundle itables ships."""
    app = serve(
        notebook(
            [
                "import pandas as pd, itables\n"
                "itables.show(pd.DataFrame({'n': range(12)}), connected=True)",
            ]
        )
    )
    open_dashboard(page, app.url)
    page.wait_for_function(
        "document.querySelectorAll('table.dataTable tbody tr').length === 10",
        timeout=WIDGET_TIMEOUT_MS,
    )
    assert any(u.endswith("/nbapp/vendor/itables/dt_bundle.js") for u in page_log.requests)
    no_console_errors(page_log)


GREAT_TABLES = """
import pandas as pd
from great_tables import GT, style, loc, google_font
df = pd.DataFrame({"city": ["Oslo", "Lima"], "temp": [4.5, 19.0]})
(
    GT(df)
    .tab_header(title="Offline weather", subtitle="two cities")
    .tab_style(style=style.fill(color="lightblue"), locations=loc.body(columns="temp"))
    .opt_table_font(font=google_font("IBM Plex Sans"))
)
"""


def test_great_tables_table_with_styled_header_and_no_font_request(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    """Its Google font is external by nature: dropped, the table falls back to its stack."""
    app = serve(notebook([GREAT_TABLES]))
    open_dashboard(page, app.url)
    title = page.locator(".gt_heading .gt_title")
    title.wait_for()
    assert title.inner_text() == "Offline weather"
    assert float(title.evaluate("(t) => parseFloat(getComputedStyle(t).fontSize)")) > 16
    cell = page.locator("td.gt_row", has_text="19").first
    assert cell.evaluate("(c) => getComputedStyle(c).backgroundColor") == "rgb(173, 216, 230)"
    no_console_errors(page_log)


def test_pandas_styler_colours_reach_the_page(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    app = serve(
        notebook(
            [
                "import pandas as pd\n"
                "df = pd.DataFrame({'a': [1, 5, 3], 'b': [9, 2, 4]})\n"
                "df.style.highlight_max(color='yellow').set_caption('styled')",
            ]
        )
    )
    open_dashboard(page, app.url)
    page.locator("caption", has_text="styled").wait_for()
    tops = page.locator("td").filter(has_text="5").first
    assert tops.evaluate("(c) => getComputedStyle(c).backgroundColor") == "rgb(255, 255, 0)"
    plain = page.locator("td").filter(has_text="1").first
    assert plain.evaluate("(c) => getComputedStyle(c).backgroundColor") != "rgb(255, 255, 0)"
    no_console_errors(page_log)


def test_sympy_expression_is_typeset_by_the_local_mathjax(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    app = serve(
        notebook(
            [
                "import sympy as sp\nsp.init_printing()\nx = sp.symbols('x')\n"
                "sp.Integral(sp.sqrt(x), (x, 0, 1))",
            ]
        )
    )
    open_dashboard(page, app.url)
    math = page.locator('[data-mime-type="text/latex"] mjx-container')
    math.wait_for(timeout=WIDGET_TIMEOUT_MS)
    assert math.locator("mjx-msqrt").count() == 1  # the square root, typeset
    assert "\\int" not in page.inner_text("#nbapp-cells")  # no raw TeX left
    assert any("/nbapp/static/vendor/mathjax/" in u for u in page_log.requests)
    no_console_errors(page_log)


PLACEHOLDERS = """
from IPython.display import YouTubeVideo, HTML, display
import ipywidgets as w
display(YouTubeVideo("dQw4w9WgXcQ", width=400, height=225))
display(HTML('<img src="https://example.com/chart.png" width="120" height="80" alt="remote chart">'))
out = w.Output()
with out:
    display(YouTubeVideo("dQw4w9WgXcQ"))
out
"""


def test_external_content_shows_a_placeholder_saying_it_needs_a_network(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    """A video site's iframe and a remote image, in a cell and inside an Output widget: a
    visible note with a link, no request and no Content-Security-Policy error."""
    app = serve(notebook([PLACEHOLDERS]))
    open_dashboard(page, app.url)
    boxes = page.locator(".nbapp-offline")
    page.wait_for_function(
        "document.querySelectorAll('.nbapp-offline').length === 3", timeout=WIDGET_TIMEOUT_MS
    )
    video = boxes.nth(0)
    assert "needs a network connection" in video.inner_text()
    assert video.locator("a").get_attribute("href") == "https://www.youtube.com/embed/dQw4w9WgXcQ"
    size = video.bounding_box()
    assert size is not None and size["width"] >= 400 and size["height"] >= 225
    assert "image needs a network connection" in boxes.nth(1).inner_text()
    inside = page.locator(".widget-output .nbapp-offline")
    assert "needs a network connection" in inside.inner_text()
    assert page.locator("iframe").count() == 0
    no_console_errors(page_log)


def test_output_of_a_type_nothing_draws_says_so_as_jupyterlab_does(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    app = serve(
        notebook(
            [
                "from IPython.display import display\n"
                "display({'application/vnd.example.thing+json': {'a': 1}}, raw=True)\n"
                "display({'application/vnd.example.thing+json': {'a': 1}, 'text/plain': 'thing as text'}, raw=True)",
            ]
        )
    )
    open_dashboard(page, app.url)
    note = page.locator(".nbapp-no-renderer")
    note.wait_for()
    assert "application/vnd.example.thing+json" in note.inner_text()
    assert note.count() == 1  # the second output has its text fallback
    assert "thing as text" in page.inner_text("#nbapp-cells")
    no_console_errors(page_log)


# A stand-in for a federated extension's mimeExtension, registered the way the labextension
# loader does: only once an output has a type nothing in the page draws.
LATE_EXTENSION = """
Object.defineProperty(window, "nbapp", {
  configurable: true,
  get() { return this._nbapp; },
  set(api) {
    this._nbapp = api;
    api.registry.setMimeExtensionLoader(async (types) => {
      window.askedFor = types;
      api.registry.addMimeExtension({
        id: "late-extension",
        rank: 0,
        rendererFactory: {
          safe: true,
          mimeTypes: ["application/vnd.example.late+json"],
          createRenderer: (options) => new api.registry.DrawnRenderer(options, (node, data) => {
            node.innerHTML = `<b class="late">late: ${data.v}</b>`;
          }),
        },
      });
      return true;
    });
  },
});
"""


def test_a_type_nothing_draws_asks_the_extension_loader_and_is_drawn_by_what_it_adds(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    app = serve(
        notebook(
            [
                "from IPython.display import display\n"
                "display({'application/vnd.example.late+json': {'v': 7}, 'text/plain': 'late as text'}, raw=True)",
            ]
        )
    )
    page.add_init_script(LATE_EXTENSION)
    open_dashboard(page, app.url)
    page.locator("b.late").wait_for(timeout=WIDGET_TIMEOUT_MS)
    assert page.inner_text("b.late") == "late: 7"
    assert "late as text" not in page.inner_text("#nbapp-cells")
    assert page.evaluate("window.askedFor") == ["application/vnd.example.late+json"]
    no_console_errors(page_log)
