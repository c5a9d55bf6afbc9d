"""Plotting libraries' browser code, served from the installed Python packages, never a CDN.

Plotly figures arrive as ``application/vnd.plotly.v1+json`` (plotly's default renderer in a
kernel) and the page draws them with the ``plotly.min.js`` that the plotly package ships.
Bokeh, Panel, HoloViews and hvplot load their front ends the way they do in JupyterLab: a
load bundle names the scripts (BokehJS, Panel's ``panel.min.js``, extensions' bundles) by URL
and the page fetches each once. The kernel is told, through its environment, to name them by
their CDN URLs (Bokeh's own choice outside a server), with Panel's and panel-material-ui's
CDN roots pointed at this server; cdn.py maps BokehJS's CDN URLs to the copy the bokeh
package ships. Only ``nbapp export`` asks for everything inline, since its page has no server.
Nothing is imported here: the packages are only located, so an app that uses none pays nothing.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from functools import cache
from pathlib import Path

PLOTLY_URL = "/nbapp/vendor/plotly"
PANEL_URL = "/nbapp/vendor/panel"
PMUI_URL = "/nbapp/vendor/panel-material-ui"
BOKEH_URL = "/nbapp/vendor/bokeh"
ITABLES_URL = "/nbapp/vendor/itables"
# "1": the outputs must carry their libraries' scripts and styles (nbapp export's page).
INLINE_RESOURCES_ENV = "NBAPP_INLINE_RESOURCES"


def _package_dir(name: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


@cache
def plotly_js_dir() -> Path | None:
    """plotly's ``package_data`` folder (holds ``plotly.min.js``), if plotly is installed."""
    package = _package_dir("plotly")
    folder = package / "package_data" if package else None
    return folder if folder and (folder / "plotly.min.js").is_file() else None


@cache
def itables_html_dir() -> Path | None:
    """itables' ``html`` folder (its DataTables bundle, ``dt_bundle.js``), if installed."""
    package = _package_dir("itables")
    folder = package / "html" if package else None
    return folder if folder and (folder / "dt_bundle.js").is_file() else None


@cache
def panel_dist_dir() -> Path | None:
    """Panel's ``dist`` folder (what cdn.holoviz.org serves for this version), if installed."""
    package = _package_dir("panel")
    folder = package / "dist" if package else None
    return folder if folder and folder.is_dir() else None


@cache
def bokeh_js_dir() -> Path | None:
    """BokehJS as the bokeh package ships it for its server (``bokeh.min.js`` and the
    widgets, tables, gl, mathjax and api bundles), if bokeh is installed."""
    package = _package_dir("bokeh")
    folder = package / "server" / "static" / "js" if package else None
    return folder if folder and (folder / "bokeh.min.js").is_file() else None


@cache
def version_of(distribution: str) -> str | None:
    """The installed version of ``distribution`` (a front end must be exactly this one)."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


@cache
def pmui_dist_dir() -> Path | None:
    """panel-material-ui's ``dist`` folder (its component bundle, styles, icon fonts)."""
    package = _package_dir("panel_material_ui")
    folder = package / "dist" if package else None
    return folder if folder and folder.is_dir() else None


_BOKEH_USERS = frozenset({"bokeh", "panel", "holoviews", "hvplot"})
_PANEL_USERS = frozenset({"panel", "holoviews", "hvplot"})


def front_ends_for(packages: set[str]) -> list[str]:
    """The scripts the first Bokeh or Panel output of a notebook importing ``packages`` will
    ask for, by the URLs its load bundle names them (so the page loads each once): BokehJS
    with its widgets, tables and WebGL parts, then Panel's."""
    scripts: list[str] = []
    bokeh = bokeh_js_dir()
    if packages & _BOKEH_USERS and bokeh is not None:
        for part in ("bokeh", "bokeh-gl", "bokeh-widgets", "bokeh-tables"):
            if (bokeh / f"{part}.min.js").is_file():
                scripts.append(f"{BOKEH_URL}/js/{part}.min.js")
    panel, version = panel_dist_dir(), version_of("panel")
    wanted = packages & _PANEL_USERS and scripts and panel is not None and version
    if wanted and panel is not None and (panel / "panel.min.js").is_file():
        scripts.append(f"{PANEL_URL}/{version}/dist/panel.min.js")
    return scripts


# What the page's renderer registry loads for an output of these MIME types (the loaders in
# assets/js/src/renderers.js), as files under assets/static/: an exported page, which has no
# server to load them from, carries them inline when it shows such an output.
EXPORT_LOADERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # MIME type prefix: (stylesheets, scripts in order)
    "application/vnd.vega": (
        (),
        (
            "vendor/vega/vega.min.js",
            "vendor/vega/vega-lite.min.js",
            "vendor/vega/vega-embed.min.js",
        ),
    ),
    "application/geo+json": (("vendor/leaflet/leaflet.css",), ("vendor/leaflet/leaflet.js",)),
}


def kernel_env_defaults(*, inline: bool = False) -> dict[str, str]:
    """Settings that keep Bokeh and Panel output offline; a value the user set wins.

    ``inline``: every script and stylesheet inside the outputs (``nbapp export``); else named
    by URL and served once by the app (in a live page, ~3 MB of BokehJS per load bundle and a
    copy of Panel's stylesheets in every model otherwise).
    """
    if inline:
        return {"BOKEH_RESOURCES": "inline", "PANEL_INLINE": "true"}
    return {
        "BOKEH_RESOURCES": "cdn",
        "PANEL_INLINE": "false",
        # Panel builds f"{root}{version}/dist/..." URLs for its scripts and stylesheets, and
        # panel-material-ui f"{root}{version}/panel-material-ui.bundle.js"; the page's origin
        # serves both from the installed packages (server.py), whatever the port.
        "PANEL_CDN_ROOT": f"{PANEL_URL}/",
        "PANEL_MATERIAL_UI_CDN_ROOT": f"{PMUI_URL}/v",
    }
