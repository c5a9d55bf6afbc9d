"""Third-party widget modules that the Python environment installed, for the page to load.

Widget packages (bqplot, ipympl, anywidget, jupyter_bokeh...) ship their browser code as
classic-notebook AMD bundles in ``<prefix>/share/jupyter/nbextensions/<dir>/``. Their
``extension.js`` tells require.js which widget module name maps to which bundle; we read that
map instead of running it, and the page loads ``index.js`` from our own server. Nothing here
runs at import time and nothing reaches the network.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

log = logging.getLogger(__name__)

URL_PREFIX = "/nbapp/nbextensions"
# What a widget bundle may need from its own folder: code, styles, fonts, images.
SERVED_SUFFIXES = frozenset(
    [".js", ".css", ".woff", ".woff2", ".ttf", ".otf", ".svg", ".png", ".jpg", ".jpeg", ".gif"]
)
# `'name': 'nbextensions/dir/index'` (keys quoted or not) in a require.js map of extension.js.
_REQUIRE_MAP = re.compile(
    r"""["']?(?P<name>[@\w.\-/]+?)["']?\s*:\s*["']nbextensions/(?P<dir>[\w.\-]+)/(?P<file>[\w.\-/]+?)(?:\.js)?["']"""
)


@dataclass(frozen=True)
class WidgetModules:
    """Where each nbextensions folder is served, and which module name loads which file."""

    roots: tuple[Path, ...]
    index: dict[str, str]  # widget module name -> URL of its AMD bundle


def _nbextension_roots() -> tuple[Path, ...]:
    from jupyter_core.paths import jupyter_path

    roots: list[Path] = []
    for base in jupyter_path("nbextensions"):
        path = Path(base).resolve()
        if path.is_dir() and path not in roots:
            roots.append(path)
    return tuple(roots)


def _modules_in(folder: Path) -> dict[str, str]:
    """Module name -> file (relative to ``folder``'s parent) for one nbextension folder."""
    found: dict[str, str] = {}
    if (folder / "index.js").is_file():
        found[folder.name] = f"{folder.name}/index.js"
    extension = folder / "extension.js"
    if extension.is_file():
        text = extension.read_text(encoding="utf-8", errors="replace")
        for match in _REQUIRE_MAP.finditer(text):
            relative = f"{match['dir']}/{match['file']}.js"
            if match["dir"] == folder.name and (folder.parent / relative).is_file():
                found[match["name"]] = relative
    return found


@cache
def widget_modules() -> WidgetModules:
    """Scanned once per process; Jupyter's path order decides (user, then env, then system)."""
    roots = _nbextension_roots()
    index: dict[str, str] = {}
    for number, root in enumerate(roots):
        for folder in sorted(
            p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")
        ):
            for name, relative in _modules_in(folder).items():
                if name.startswith("@jupyter-widgets/"):
                    continue  # built into the page's bundle; the classic notebook's copy is not
                index.setdefault(name, f"{URL_PREFIX}/{number}/{relative}")
    log.debug("widget modules found: %s", sorted(index))
    return WidgetModules(roots, index)
