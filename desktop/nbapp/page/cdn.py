"""CDN URLs in outputs, and the local files that replace them: no output loads from a CDN.

Libraries' HTML outputs point at CDNs for their browser code (folium and branca: Leaflet,
jQuery, Bootstrap, Font Awesome...; altair's HTML renderer: vega; itables' connected mode:
its DataTables bundle; plotly's ``notebook_connected``: plotly.js). Each rule below maps such
a URL to a file the app serves: from the installed Python package when it ships the file
(itables, plotly), else from a copy vendored at build time from npm into
``assets/static/vendor/`` (``assets/js/package.json``, ``build.mjs``). A rule names a major
version: a newer minor of the same library on the CDN gets the vendored one.

The server rewrites every cell's HTML with these rules (render.py); the page gets them as
JSON for HTML that reaches it through widgets (assets/js/src/offline.js applies them the same
way); ``nbapp export`` inlines the local files. Patterns use the syntax common to Python's
``re`` and JavaScript's ``RegExp``; ``$1`` in ``local`` is the first group.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache

from nbapp.page.library_assets import (
    BOKEH_URL,
    ITABLES_URL,
    PANEL_URL,
    PLOTLY_URL,
    bokeh_js_dir,
    itables_html_dir,
    panel_dist_dir,
    plotly_js_dir,
    version_of,
)

VENDOR_URL = "/nbapp/static/vendor"
_ANY = r"(?:https?:)?//"  # http, https or protocol-relative
_V = r"(?:\.\d+)*"  # the rest of a version after its major


@dataclass(frozen=True)
class CdnRule:
    """One library file (or folder of files) on CDNs, and where the app serves it."""

    name: str
    pattern: str
    local: str

    def compiled(self) -> re.Pattern[str]:
        return re.compile(self.pattern)

    def python_replacement(self) -> str:
        return self.local.replace("$1", r"\g<1>")


_VENDORED = (
    CdnRule(
        "Leaflet 1",
        rf"{_ANY}(?:cdn\.jsdelivr\.net/npm|(?:www\.)?unpkg\.com)/leaflet@1{_V}/dist/(leaflet\.(?:js|css))",
        f"{VENDOR_URL}/leaflet/$1",
    ),
    CdnRule(
        "Leaflet 1 (cdnjs)",
        rf"{_ANY}cdnjs\.cloudflare\.com/ajax/libs/leaflet/1{_V}/(leaflet\.(?:js|css))",
        f"{VENDOR_URL}/leaflet/$1",
    ),
    CdnRule(
        "jQuery 3",
        rf"{_ANY}(?:code\.jquery\.com/jquery-3{_V}(?:\.min)?\.js"
        rf"|cdn\.jsdelivr\.net/npm/jquery@3{_V}/dist/jquery(?:\.min)?\.js"
        rf"|cdnjs\.cloudflare\.com/ajax/libs/jquery/3{_V}/jquery(?:\.min)?\.js)",
        f"{VENDOR_URL}/jquery/jquery.min.js",
    ),
    CdnRule(
        "Bootstrap 5",
        rf"{_ANY}cdn\.jsdelivr\.net/npm/bootstrap@5{_V}/dist/"
        r"(js/bootstrap\.bundle\.min\.js|css/bootstrap\.min\.css)",
        f"{VENDOR_URL}/bootstrap5/$1",
    ),
    CdnRule(
        "Bootstrap 3 glyphicons",
        rf"{_ANY}(?:netdna|maxcdn)\.bootstrapcdn\.com/bootstrap/3{_V}/css/bootstrap-glyphicons\.css",
        f"{VENDOR_URL}/glyphicons/glyphicons.css",
    ),
    CdnRule(
        "Font Awesome 6",
        rf"{_ANY}(?:cdn\.jsdelivr\.net/npm/@fortawesome/fontawesome-free@6{_V}"
        rf"|cdnjs\.cloudflare\.com/ajax/libs/font-awesome/6{_V})/css/all\.min\.css",
        f"{VENDOR_URL}/fontawesome6/css/all.min.css",
    ),
    CdnRule(
        "Leaflet.awesome-markers 2",
        rf"{_ANY}cdnjs\.cloudflare\.com/ajax/libs/Leaflet\.awesome-markers/2{_V}/"
        r"(leaflet\.awesome-markers\.(?:js|css))",
        f"{VENDOR_URL}/awesome-markers/$1",
    ),
    CdnRule(
        "folium's awesome-markers rotation",
        rf"{_ANY}cdn\.jsdelivr\.net/gh/python-visualization/folium(?:@[\w.\-]+)?"
        r"/folium/templates/leaflet\.awesome\.rotate\.min\.css",
        f"{VENDOR_URL}/awesome-markers/leaflet.awesome.rotate.css",
    ),
    # altair's HTML renderer: `vega@6?noext` and the like (require.js paths, also script srcs).
    CdnRule(
        "vega 5-6",
        rf"{_ANY}cdn\.jsdelivr\.net/npm/vega@[56]{_V}(?:/build/vega(?:\.min)?\.js)?(?:\?noext)?(?=[\"'&])",
        f"{VENDOR_URL}/vega/vega.min.js",
    ),
    CdnRule(
        "vega-lite 5-6",
        rf"{_ANY}cdn\.jsdelivr\.net/npm/vega-lite@[56]{_V}(?:/build/vega-lite(?:\.min)?\.js)?"
        r"(?:\?noext)?(?=[\"'&])",
        f"{VENDOR_URL}/vega/vega-lite.min.js",
    ),
    CdnRule(
        "vega-embed 6-7",
        rf"{_ANY}cdn\.jsdelivr\.net/npm/vega-embed@[67]{_V}"
        r"(?:/build/vega-embed(?:\.min)?\.js)?(?:\?noext)?(?=[\"'&])",
        f"{VENDOR_URL}/vega/vega-embed.min.js",
    ),
    CdnRule(
        "MathJax 3",
        rf"{_ANY}(?:cdn\.jsdelivr\.net/npm/mathjax@3{_V}/es5"
        rf"|cdnjs\.cloudflare\.com/ajax/libs/mathjax/3{_V}/es5)/(tex-mml-chtml\.js|tex-svg\.js)",
        f"{VENDOR_URL}/mathjax/$1",
    ),
)


def _from_packages() -> tuple[CdnRule, ...]:
    """Rules whose files come from installed Python packages, for those installed."""
    found: list[CdnRule] = []
    if itables_html_dir():
        found.append(
            CdnRule(
                "itables' DataTables bundle",
                rf"{_ANY}(?:www\.)?unpkg\.com/dt_for_itables(?:@[\w.\-]+)?/(dt_bundle\.(?:js|css))",
                f"{ITABLES_URL}/$1",
            )
        )
    if plotly_js_dir():
        found.append(
            CdnRule(
                "plotly.js",
                rf"{_ANY}cdn\.plot\.ly/plotly-(?:latest|\d{_V})(?:\.min)?\.js",
                f"{PLOTLY_URL}/plotly.min.js",
            )
        )
    return (*found, *_holoviz_rules())


def _holoviz_rules() -> list[CdnRule]:
    """BokehJS and Panel by the URLs other than Panel's CDN root that outputs name them by
    (Panel's own root is pointed at the app in the kernel: library_assets.py). Only the
    installed version is the same file: a front end must match its Python package exactly."""
    found: list[CdnRule] = []
    bokeh = version_of("bokeh")
    if bokeh_js_dir() and bokeh:
        # Outside a Bokeh server, Bokeh names its front end on its CDN (the load bundles of
        # output_notebook, Panel, HoloViews; standalone HTML).
        found.append(
            CdnRule(
                "BokehJS",
                rf"{_ANY}cdn\.bokeh\.org/bokeh/release/(bokeh(?:-[a-z]+)?)-{re.escape(bokeh)}"
                r"(?:\.min)?\.js",
                f"{BOKEH_URL}/js/$1.min.js",
            )
        )
    panel = version_of("panel")
    if panel_dist_dir() and panel:
        local = f"{PANEL_URL}/{panel}/dist/"
        # Bokeh's bundle of Panel's models (output_notebook after pn.extension) names Panel's
        # script on npm's CDNs and its other files by `panel serve`'s path.
        found.append(
            CdnRule(
                "Panel on npm CDNs",
                rf"{_ANY}(?:unpkg\.com|cdn\.jsdelivr\.net/npm)/@holoviz/panel@{re.escape(panel)}"
                r"/dist/([\w.\-/@^%]+)",
                f"{local}$1",
            )
        )
        found.append(
            CdnRule(
                "Panel by panel serve's path",
                r"([\"'])/?static/extensions/panel/",
                f"$1{local}",
            )
        )
    return found
    return tuple(found)


@cache
def rules() -> tuple[CdnRule, ...]:
    return (*_VENDORED, *_from_packages())


@cache
def _compiled() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((rule.compiled(), rule.python_replacement()) for rule in rules())


@cache
def _any_rule() -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{rule.pattern})" for rule in rules()))


def rewrite(html: str) -> str:
    """``html`` with every CDN URL the app serves replaced by its local URL."""
    # One scan first: most outputs (and Bokeh's megabytes of inline JS) name no CDN at all.
    if "//" not in html or not _any_rule().search(html):
        return html
    for pattern, local in _compiled():
        html = pattern.sub(local, html)
    return html


@cache
def rules_json() -> str:
    """The rules for the page (a JSON data block; offline.js applies them to widget HTML)."""
    data = [{"pattern": rule.pattern, "local": rule.local} for rule in rules()]
    return json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
