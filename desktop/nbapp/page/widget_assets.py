"""Widget front ends that the Python environment installed, found from their metadata.

Widget libraries ship their browser code in two shapes, both under Jupyter's data paths:
- JupyterLab's federated extensions, ``share/jupyter/labextensions/<npm name>/``, whose
  ``package.json`` names the container script (``jupyterlab._build.load``) and what it
  exposes. The page loads these first, as JupyterLab 4 and Voilà 0.5 do.
- the classic notebook's AMD bundles, ``share/jupyter/nbextensions/<dir>/index.js``, kept as
  the fallback. The folder name is the module name for nearly every library; the require.js
  map in an ``extension.js`` is read only for a module found nowhere else.

Nothing here runs at start-up: the server lists the roots when a file is asked for and builds
the index on the page's first request for it (a widget needs a module the page does not
carry), from small JSON files, so start-up does not grow with what the environment installed.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

LAB_URL = "/nbapp/labextensions"
# The classic notebook's own layout: bundles that compute their public path as the body's
# `data-base-url` + "nbextensions/<dir>" (ipydatagrid, bqscales, ipympl...) find their files.
NB_URL = "/nbextensions"
# What a widget bundle may need from its own folder: code, styles, fonts, images.
_CODE_AND_STYLE = (".js", ".css", ".wasm")
_FONTS = (".woff", ".woff2", ".ttf", ".otf", ".eot")
_IMAGES = (".svg", ".png", ".jpg", ".jpeg", ".gif", ".webp")
SERVED_SUFFIXES = frozenset(_CODE_AND_STYLE + _FONTS + _IMAGES)
# Front ends that are JupyterLab's own widget manager, not a widget library: the page is the
# widget manager, and its copies of these packages are in its bundle.
_NOT_LIBRARIES = ("@jupyter-widgets/",)
# `name: "nbextensions/<dir>/<file>"` at the end of the text before a match of `nbextensions/`
_MAP_KEY = re.compile(r"""(["']?)(?P<name>[@\w.\-/]+)\1\s*:\s*["']$""")
_MAP_VALUE = re.compile(r"""nbextensions/(?P<dir>[\w.\-]+)/(?P<file>[\w.\-/]+?)(?:\.js)?["']""")


@dataclass(frozen=True)
class LabExtension:
    """One federated extension, as its built package.json describes it."""

    name: str
    version: str
    folder: Path
    load: str
    extension: str | None
    mime_extension: str | None
    style: str | None
    dependencies: tuple[str, ...]

    @property
    def url(self) -> str:
        return f"{LAB_URL}/{self.name}/"

    @property
    def is_widget_library(self) -> bool:
        """Whether its plugins may register widget modules: it depends on
        @jupyter-widgets/base, or its built package.json does not say (anywidget's lists no
        dependencies); JupyterLab's own widget manager is not one."""
        maybe = "@jupyter-widgets/base" in self.dependencies or not self.dependencies
        return maybe and self.extension is not None and not self.name.startswith(_NOT_LIBRARIES)

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "url": self.url,
            "load": self.load,
            "extension": self.extension,
            "mimeExtension": self.mime_extension,
            "style": self.style,
            "dependencies": list(self.dependencies),
            "widgets": self.is_widget_library,
        }


@cache
def data_roots(kind: str) -> tuple[Path, ...]:
    """Jupyter's data folders of ``kind`` that exist, in its precedence order (user, env,
    system). A list of paths, no folder contents: cheap enough for the first request. A
    packaged app uses only what it carries: a labextension in the user's own Jupyter folders
    on the machine it runs on must not shadow the version it was built with."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        carried = Path(frozen_root) / "share" / "jupyter" / kind
        return (carried,) if carried.is_dir() else ()

    from jupyter_core.paths import jupyter_path

    roots: list[Path] = []
    for base in jupyter_path(kind):
        path = Path(base).resolve()
        if path.is_dir() and path not in roots:
            roots.append(path)
    return tuple(roots)


def folder_root(kind: str, folder: str) -> Path | None:
    """The first root that has ``folder`` (``name`` or ``@scope/name``): one extension is
    always served from one place, never files of two installed versions mixed."""
    for root in data_roots(kind):
        if (root / folder).is_dir():
            return root
    return None


def _read_lab_extension(package_json: Path) -> LabExtension | None:
    try:
        data = json.loads(package_json.read_text(encoding="utf-8"))
        build = data["jupyterlab"]["_build"]
        name, load = str(data["name"]), str(build["load"])
    except (OSError, ValueError, KeyError, TypeError):
        log.debug("not a built labextension: %s", package_json)
        return None
    return LabExtension(
        name=name,
        version=str(data.get("version", "0.0.0")),
        folder=package_json.parent,
        load=load.replace("\\", "/").removeprefix("./"),  # some are built on Windows
        extension=build.get("extension"),
        mime_extension=build.get("mimeExtension"),
        style=build.get("style"),
        dependencies=tuple(sorted(data.get("dependencies") or {})),
    )


@cache
def lab_extensions() -> dict[str, LabExtension]:
    """Every built labextension by npm name; the first root that has a name wins."""
    found: dict[str, LabExtension] = {}
    for root in data_roots("labextensions"):
        for package_json in [*root.glob("*/package.json"), *root.glob("@*/*/package.json")]:
            extension = _read_lab_extension(package_json)
            if extension is not None and extension.folder.relative_to(root).as_posix() == (
                extension.name
            ):
                found.setdefault(extension.name, extension)
    log.debug("labextensions: %s", sorted(found))
    return found


@cache
def nb_extensions() -> dict[str, Path]:
    """Classic-notebook folders with an ``index.js``, by folder name (= module name)."""
    found: dict[str, Path] = {}
    for root in data_roots("nbextensions"):
        for index in root.glob("*/index.js"):
            if not index.parent.name.startswith((".", *_NOT_LIBRARIES)):
                found.setdefault(index.parent.name, index.parent)
    return found


def _require_map(text: str) -> dict[str, str]:
    """Module name -> ``<dir>/<file>.js`` from the require.js map of an ``extension.js``.

    Each ``nbextensions/`` is found with a plain search and its key read from the few
    characters before it, so the cost stays linear in the file (a backtracking regular
    expression over whole minified files took seconds)."""
    found: dict[str, str] = {}
    start = 0
    while (at := text.find("nbextensions/", start)) != -1:
        start = at + 1
        key = _MAP_KEY.search(text, max(0, at - 200), at)
        value = _MAP_VALUE.match(text, at)
        if key and value:
            found.setdefault(key["name"], f"{value['dir']}/{value['file']}.js")
    return found


_scan_lock = threading.Lock()


@cache
def _mapped_modules() -> dict[str, str]:
    """Module names that extension.js files map to a file: read only when the page asks for
    a module that neither a labextension nor a folder name provides (AMD dependencies such
    as pythreejs's ``three``)."""
    with _scan_lock:
        found: dict[str, str] = {}
        for root in data_roots("nbextensions"):
            for extension in root.glob("*/extension.js"):
                try:
                    text = extension.read_text(encoding="utf-8", errors="replace")
                except OSError:
                    continue
                for name, relative in _require_map(text).items():
                    if relative.split("/")[0] == extension.parent.name and (
                        (root / relative).is_file()
                    ):
                        found.setdefault(name, f"{NB_URL}/{relative}")
        return found


def nb_module_urls(wanted: str | None = None) -> dict[str, str]:
    """Module name -> URL of its AMD bundle; ``wanted`` found nowhere else is looked up in
    the extension.js maps."""
    urls = {
        name: f"{NB_URL}/{name}/index.js"
        for name in nb_extensions()
        if not name.startswith(_NOT_LIBRARIES)
    }
    if wanted and wanted not in urls:
        mapped = _mapped_modules()
        if wanted in mapped:
            urls[wanted] = mapped[wanted]
    return urls


def index(wanted: str | None = None) -> dict[str, Any]:
    """What /nbapp/api/widget-modules answers: labextensions first, AMD modules as fallback."""
    return {
        "labextensions": [e.describe() for e in lab_extensions().values()],
        "nbextensions": nb_module_urls(wanted),
    }


def _with_dependencies(name: str, labs: dict[str, LabExtension], into: dict[str, Path]) -> None:
    if name in into or name not in labs:
        return
    into[name] = labs[name].folder
    for dependency in labs[name].dependencies:
        _with_dependencies(dependency, labs, into)


def front_end_folders(module_names: list[str]) -> list[tuple[str, str, Path]]:
    """``(kind, relative folder, path)`` of what serves these widget modules, for ``nbapp
    package``: a labextension and the labextensions it takes shared modules from, else the
    AMD bundle's folder. A name found in neither may be registered by any widget
    labextension (the page tries them all), so then all of them go."""
    labs, nbs = lab_extensions(), nb_extensions()
    lab_folders: dict[str, Path] = {}
    nb_folders: dict[str, Path] = {}
    for name in module_names:
        users = [e.name for e in labs.values() if e.is_widget_library and name in e.dependencies]
        mapped = nb_module_urls(name).get(name, "")
        if name in labs or users:
            for found in [name] if name in labs else users:
                _with_dependencies(found, labs, lab_folders)
        elif name in nbs:
            nb_folders[name] = nbs[name]
        elif mapped.startswith(f"{NB_URL}/"):
            folder = mapped[len(NB_URL) + 1 :].split("/")[0]
            nb_folders[folder] = nbs.get(folder) or next(
                r / folder for r in data_roots("nbextensions") if (r / folder).is_dir()
            )
        else:
            for extension in labs.values():
                if extension.is_widget_library:
                    _with_dependencies(extension.name, labs, lab_folders)
    return [("labextensions", n, p) for n, p in sorted(lab_folders.items())] + [
        ("nbextensions", n, p) for n, p in sorted(nb_folders.items())
    ]
