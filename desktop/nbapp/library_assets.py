"""Plotting libraries' browser code, served from the installed Python packages, never a CDN.

Plotly figures arrive as ``application/vnd.plotly.v1+json`` (plotly's default renderer in a
kernel) and the page draws them with the ``plotly.min.js`` that the plotly package ships.
Panel and Bokeh are told, through the kernel's environment, to inline their JS and to fetch
the stylesheets they would take from Panel's CDN from our server instead. Nothing is imported
here: the packages are only located, so an app that uses neither pays nothing.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

PLOTLY_URL = "/nbapp/vendor/plotly"
PANEL_URL = "/nbapp/vendor/panel"
ITABLES_URL = "/nbapp/vendor/itables"


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


def kernel_env_defaults() -> dict[str, str]:
    """Settings that keep Bokeh and Panel output offline; a value the user set wins."""
    return {
        "BOKEH_RESOURCES": "inline",
        "PANEL_INLINE": "true",
        # Panel builds f"{root}{version}/dist/..." URLs for its stylesheets; the page's origin
        # serves them from the installed package (server.py), whatever the port.
        "PANEL_CDN_ROOT": f"{PANEL_URL}/",
    }
