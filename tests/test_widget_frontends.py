"""How the page finds widget front ends: from the labextensions' metadata, read when a page
first asks, never at start-up; files served from the first Jupyter data folder that has the
extension; and the classic notebook's AMD bundles as the fallback."""

from __future__ import annotations

import http.client
import json
import os
from pathlib import Path

import pytest
from playwright.sync_api import Page

from conftest import PageLog
from libraries import SEEN, assert_clean, wait_seen
from support import WIDGET_TIMEOUT_MS, Running, env_with, open_dashboard

SLIDER = "import ipywidgets as w\nw.IntSlider(value=4, description='plain')"


def get(app: Running, path: str, *, token: bool = True) -> tuple[int, bytes]:
    """Status and body of GET ``path`` as it is written (no client-side normalising)."""
    conn = http.client.HTTPConnection("127.0.0.1", app.port, timeout=30)
    try:
        conn.request("GET", path, headers=app.auth if token else {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def jupyter_path(tmp_path: Path) -> Path:
    """A Jupyter data folder that comes before the environment's (JUPYTER_PATH)."""
    root = tmp_path / "jupyter-data"
    (root / "labextensions").mkdir(parents=True)
    (root / "nbextensions").mkdir(parents=True)
    return root


@pytest.mark.browser
def test_start_up_reads_no_front_end_and_a_plain_page_asks_for_none(
    serve, notebook, tmp_path: Path, page: Page, page_log: PageLog
) -> None:
    """Front ends whose files block whoever opens them (named pipes): the server still
    prints its URL and the page runs, because nothing reads them until a widget needs a
    module the page does not carry."""
    root = jupyter_path(tmp_path)
    for folder in (root / "labextensions" / "blocking", root / "nbextensions" / "blocking"):
        folder.mkdir()
    os.mkfifo(root / "labextensions" / "blocking" / "package.json")
    os.mkfifo(root / "nbextensions" / "blocking" / "extension.js")
    os.mkfifo(root / "nbextensions" / "blocking" / "index.js")
    app = serve(notebook([SLIDER]), env=env_with(JUPYTER_PATH=str(root)))
    open_dashboard(page, app.url)
    page.locator(".widget-slider").wait_for(timeout=WIDGET_TIMEOUT_MS)
    asked = [u for u in page_log.requests if "widget-modules" in u or "extensions/" in u]
    assert not asked, asked  # built-in widgets need no third-party front end
    assert not any(
        u.endswith(("/lab.js", "/datagrid.js", "/widgets7.js")) for u in page_log.requests
    )
    assert_clean(page_log)


def test_index_lists_labextensions_from_their_package_json(serve, notebook) -> None:
    app = serve(notebook([SLIDER]))
    status, body = get(app, "/nbapp/api/widget-modules")
    assert status == 200
    index = json.loads(body)
    lab = {e["name"]: e for e in index["labextensions"]}
    bqplot = lab["bqplot"]
    assert bqplot["url"] == "/nbapp/labextensions/bqplot/"
    assert "bqscales" in bqplot["dependencies"] and bqplot["widgets"]
    status, script = get(app, f"{bqplot['url']}{bqplot['load']}")
    assert status == 200 and b"_JUPYTERLAB" in script
    # pythreejs is built on Windows: its `load` has a backslash, served all the same
    three = lab["jupyter-threejs"]
    assert "\\" not in three["load"] and get(app, f"{three['url']}{three['load']}")[0] == 200
    assert not lab["@jupyter-widgets/jupyterlab-manager"]["widgets"]
    # AMD bundles by folder name; a module only an extension.js maps is looked up on demand
    assert index["nbextensions"]["bqplot"] == "/nbextensions/bqplot/index.js"
    assert "three" not in index["nbextensions"]
    _, body = get(app, "/nbapp/api/widget-modules?module=three")
    assert json.loads(body)["nbextensions"]["three"] == "/nbextensions/jupyter-threejs/three.js"


def test_front_end_files_stay_inside_their_folders(serve, notebook) -> None:
    app = serve(notebook([SLIDER]))
    assert get(app, "/nbextensions/bqplot/index.js")[0] == 200
    assert get(app, "/nbapp/labextensions/bqplot/package.json")[0] == 404  # not a served kind
    for path in (
        "/nbapp/labextensions/../../../etc/passwd",
        "/nbapp/labextensions/%2e%2e/%2e%2e/etc/passwd",
        "/nbapp/labextensions/bqplot/..%2f..%2fbqscales/package.json",
        "/nbextensions/.hidden/x.js",
        "/nbextensions/no-such-extension/index.js",
        "/nbapp/labextensions/@jupyter-widgets/../bqplot/static/x.js",
    ):
        assert get(app, path)[0] == 404, path
    # without the token: refused like every other route
    assert get(app, "/nbextensions/bqplot/index.js", token=False)[0] == 403


def broken_labextension(root: Path, name: str) -> None:
    """A labextension of that name in front of the environment's whose container script
    defines no container (as a half-installed or mismatched build would)."""
    folder = root / "labextensions" / name
    (folder / "static").mkdir(parents=True)
    (folder / "static" / "remoteEntry.0.js").write_text("// no container here\n")
    build = {"load": "static/remoteEntry.0.js", "extension": "./extension"}
    package = {"name": name, "version": "0.0.1", "jupyterlab": {"_build": build}}
    (folder / "package.json").write_text(json.dumps(package))


LEAFLET_AND_GRID = (
    SEEN
    + """
import ipyleaflet as L, ipydatagrid, pandas as pd
m = L.Map(center=(52.0, 10.0), zoom=5)
m.add(L.Marker(location=(52.0, 10.0), icon=L.AwesomeIcon(name="star", marker_color="red")))
zoom_seen = seen_label("zoom")
m.observe(lambda c: setattr(zoom_seen, "value", f"zoom {c['new']}"), names="zoom")
grid = ipydatagrid.DataGrid(pd.DataFrame({"a": [1, 2]}), layout={"height": "120px"})
_w.VBox([m, zoom_seen, grid])
"""
)


@pytest.mark.browser
def test_amd_bundles_are_the_fallback_with_their_own_assets(
    serve, notebook, tmp_path: Path, page: Page, page_log: PageLog
) -> None:
    """ipyleaflet's and ipydatagrid's classic notebook bundles when their labextensions fail:
    require.js's `module` dependency gives ipyleaflet its public path (the awesome
    marker's sprite), the body's data-base-url gives ipydatagrid's (its header icons)."""
    root = jupyter_path(tmp_path)
    broken_labextension(root, "jupyter-leaflet")
    broken_labextension(root, "ipydatagrid")
    app = serve(notebook([LEAFLET_AND_GRID]), env=env_with(JUPYTER_PATH=str(root)))
    open_dashboard(page, app.url)
    marker = page.locator(".awesome-marker-icon-red")
    marker.wait_for(timeout=WIDGET_TIMEOUT_MS)
    image = marker.evaluate("(el) => getComputedStyle(el).backgroundImage")
    assert f"{app.base}/nbextensions/jupyter-leaflet/" in image, image
    page.wait_for_function(
        "(name) => performance.getEntriesByType('resource').some((e) => e.name.includes(name))",
        arg="/nbextensions/jupyter-leaflet/",
    )
    page.click(".leaflet-control-zoom-in")
    wait_seen(page, "zoom", "zoom 6")
    page.locator(".lm-DataGrid canvas").first.wait_for(timeout=WIDGET_TIMEOUT_MS)
    for name in ("jupyter-leaflet", "ipydatagrid"):
        assert f"{app.base}/nbextensions/{name}/index.js" in page_log.requests
    assert any(
        "/nbextensions/ipydatagrid/" in u and u.endswith((".svg", ".png"))
        for u in page_log.requests
    ), "ipydatagrid's own images"
    assert_clean(page_log)


ORDERED = """
import bqplot as bq, ipywidgets as w
slider = w.FloatSlider(value=0.0, max=10.0, description="linked")
scale = bq.LinearScale(min=0.0, max=5.0)  # its class loads from bqscales' labextension
w.jslink((scale, "max"), (slider, "value"))
slider
"""

# Every text a slider's readout shows, from its first (a MutationObserver set before the
# page's own scripts run).
READOUTS = """
window.readouts = [];
new MutationObserver(() => {
  for (const el of document.querySelectorAll(".widget-readout")) {
    const text = el.textContent;
    if (text && window.readouts[window.readouts.length - 1] !== text) window.readouts.push(text);
  }
}).observe(document, { childList: true, subtree: true, characterData: true });
"""


@pytest.mark.browser
def test_a_view_is_drawn_after_the_messages_before_its_output(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    """The slider's model exists early; the jslink that sets its value comes after a model
    whose class takes a while to load. As in JupyterLab, the view is drawn once every
    message before the cell's output has acted: never with the value the link replaces."""
    page.add_init_script(READOUTS)
    app = serve(notebook([ORDERED]))
    open_dashboard(page, app.url)
    page.locator(".widget-readout").wait_for(timeout=WIDGET_TIMEOUT_MS)
    page.wait_for_function("window.readouts.includes('5.00')", timeout=WIDGET_TIMEOUT_MS)
    assert page.evaluate("window.readouts") == ["5.00"]
    assert_clean(page_log)


# A federated extension as `jupyter labextension build` lays it out, reduced to the module
# federation container protocol: init(shareScope) and get(module) -> factory. Its renderer is
# a Lumino Widget taken from the page's share scope, as a real mimeExtension's would be.
MIME_CONTAINER = """
var _JUPYTERLAB;
(function () {
  var scope = null;
  function shared(name) {
    var versions = scope[name];
    return versions[Object.keys(versions)[0]].get().then(function (factory) { return factory(); });
  }
  (_JUPYTERLAB = typeof _JUPYTERLAB === "undefined" ? {} : _JUPYTERLAB)["nbapp-test-mime"] = {
    init: function (shareScope) { scope = shareScope; return Promise.resolve(); },
    get: function (module) {
      if (module !== "./mimeExtension") return Promise.reject(new Error(module));
      return shared("@lumino/widgets").then(function (lumino) {
        class Rendered extends lumino.Widget {
          renderModel(model) {
            this.node.innerHTML = '<b class="federated">federated: ' + model.data["application/vnd.nbapp-test+json"].v + "</b>";
            return Promise.resolve();
          }
        }
        var extension = {
          id: "nbapp-test-mime:plugin",
          rank: 0,
          rendererFactory: {
            safe: true,
            mimeTypes: ["application/vnd.nbapp-test+json"],
            createRenderer: function () { return new Rendered(); },
          },
        };
        return function () { return { __esModule: true, default: extension }; };
      });
    },
  };
})();
"""


@pytest.mark.browser
def test_a_federated_mime_extension_loads_when_an_output_has_its_type(
    serve, notebook, tmp_path: Path, page: Page, page_log: PageLog
) -> None:
    root = jupyter_path(tmp_path)
    folder = root / "labextensions" / "nbapp-test-mime"
    (folder / "static").mkdir(parents=True)
    (folder / "static" / "remoteEntry.1.js").write_text(MIME_CONTAINER)
    build = {"load": "static/remoteEntry.1.js", "mimeExtension": "./mimeExtension"}
    package = {"name": "nbapp-test-mime", "version": "1.0.0", "jupyterlab": {"_build": build}}
    (folder / "package.json").write_text(json.dumps(package))
    cell = (
        "from IPython.display import display\n"
        "display({'application/vnd.nbapp-test+json': {'v': 7}, 'text/plain': 'as text'}, raw=True)"
    )
    app = serve(notebook([cell]), env=env_with(JUPYTER_PATH=str(root)))
    open_dashboard(page, app.url)
    page.locator("b.federated").wait_for(timeout=WIDGET_TIMEOUT_MS)
    assert page.inner_text("b.federated") == "federated: 7"
    assert "as text" not in page.inner_text("#nbapp-cells")
    # Extensions do not say which types they draw: they are tried one at a time until one
    # draws this type (here after jupyterlab-plotly's, which draws Plotly's).
    entry = f"{app.base}/nbapp/labextensions/nbapp-test-mime/static/remoteEntry.1.js"
    assert entry in page_log.requests
    assert_clean(page_log)
