"""CDN URLs that libraries' outputs use map to files the app really serves (no browser)."""

from __future__ import annotations

import pytest

from nbapp.export.inline import local_file
from nbapp.page import cdn

# URLs as the libraries write them (folium 0.20 / branca, altair 5-6's HTML renderer,
# itables' connected mode, plotly's notebook_connected, MathJax 3 users).
SEEN = [
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js",
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css",
    "https://unpkg.com/leaflet@1.9.4/dist/leaflet.css",
    "https://code.jquery.com/jquery-3.7.1.min.js",
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js",
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/css/bootstrap.min.css",
    "https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css",
    "https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@6.2.0/css/all.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.js",
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.css",
    "https://cdn.jsdelivr.net/gh/python-visualization/folium/folium/templates/leaflet.awesome.rotate.min.css",
    '"https://cdn.jsdelivr.net/npm/vega@6?noext"',
    '"https://cdn.jsdelivr.net/npm/vega-lite@6.4.1?noext"',
    '"https://cdn.jsdelivr.net/npm/vega-embed@7?noext"',
    '"https://cdn.jsdelivr.net/npm/vega@5"',
    "https://www.unpkg.com/dt_for_itables@2.5.8/dt_bundle.js",
    "https://www.unpkg.com/dt_for_itables/dt_bundle.css",
    "https://cdn.plot.ly/plotly-2.35.2.min.js",
    "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js",
]


@pytest.mark.parametrize("url", SEEN)
def test_cdn_url_becomes_a_file_the_app_serves(url: str) -> None:
    local = cdn.rewrite(url).strip('"')
    assert local != url.strip('"'), f"no rule for {url}"
    assert local.startswith("/nbapp/"), local
    assert local_file(local) is not None, f"{url} -> {local}, which the app does not have"


def test_other_versions_and_hosts_are_left_alone() -> None:
    for url in (
        "https://cdn.jsdelivr.net/npm/bootstrap@3.4.1/dist/css/bootstrap.min.css",  # no v3 copy
        "https://cdn.jsdelivr.net/npm/vega@5/build/vega-core.js",
        "https://example.com/leaflet@1.9.3/dist/leaflet.js",
    ):
        assert cdn.rewrite(f'"{url}"') == f'"{url}"'


def test_rules_are_javascript_regular_expressions_too() -> None:
    """The page applies the same rules (offline.js): only syntax both languages share."""
    for rule in cdn.rules():
        assert (
            "(?P<" not in rule.pattern and "\\Z" not in rule.pattern and "(?<" not in rule.pattern
        )
        assert "\\g<" not in rule.local
