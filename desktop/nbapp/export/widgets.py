"""The widget front ends an exported page carries: ``nbapp export``'s one file has no server.

The widget state names the modules the page needs (``_model_module``/``_view_module``); the
folders that serve them (a labextension and those it takes shared modules from, else an AMD
bundle's folder: widget_assets.front_end_folders) go into the page as a table of files under
the URLs the live server would give them, and the index the server would answer. The page
(exported.js) answers its own requests for those URLs from the table: scripts run from blob:
URLs, images and stylesheets' url()s become data: URLs. nbapp's own extra bundles (React and
JupyterLab's toolkit, Lumino's data grid, ipywidgets 7) come along when something uses them.
"""

from __future__ import annotations

import base64
import mimetypes
from pathlib import Path
from typing import Any

from nbapp.page.widget_assets import (
    LAB_URL,
    NB_URL,
    SERVED_SUFFIXES,
    front_end_folders,
    lab_extensions,
    nb_module_urls,
)
from nbapp.paths import static_dir

_TEXT = frozenset({".js", ".css", ".svg"})
# What makes the page fetch one of its own extra bundles (shared.js), as a string in the
# front ends' code: the shared module an extension asks for.
_BUNDLE_USERS = {
    "lab": ("@jupyterlab/apputils", "@jupyterlab/ui-components", '"react"', '"react-dom"'),
    "datagrid": ("@lumino/datagrid",),
}
_CORE = "@jupyter-widgets/"


def widget_modules(state: dict[str, Any]) -> tuple[list[str], bool]:
    """Third-party module names the saved models use (the notebook format: model_module at
    the top, _view_module in the state), and whether any is ipywidgets 7's (base or
    controls 1.x)."""
    names: set[str] = set()
    widgets7 = False
    models = state.get("state", {})  # {"version_major": 2, ..., "state": {model_id: model}}
    for model in models.values() if isinstance(models, dict) else []:
        inner = model.get("state") or {}
        pairs = [
            (model.get("model_module"), model.get("model_module_version")),
            (inner.get("_view_module"), inner.get("_view_module_version")),
        ]
        for name, version in pairs:
            if not isinstance(name, str) or not name:
                continue
            if name.startswith(_CORE):
                widgets7 |= name in (f"{_CORE}base", f"{_CORE}controls") and str(
                    version or ""
                ).startswith("1.")
            else:
                names.add(name)
    return sorted(names), widgets7


def _entry(path: Path) -> list[str]:
    if path.suffix in _TEXT:
        return ["text", path.read_text(encoding="utf-8", errors="replace")]
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if path.suffix == ".woff2":
        kind = "font/woff2"
    return ["data", f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"]


def _files_under(folder: Path, url: str) -> dict[str, list[str]]:
    files: dict[str, list[str]] = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        hidden = any(part.startswith(".") for part in relative.parts)
        if path.is_file() and path.suffix.lower() in SERVED_SUFFIXES and not hidden:
            files[f"{url}/{relative.as_posix()}"] = _entry(path)
    return files


def front_ends(state: dict[str, Any]) -> dict[str, Any] | None:
    """``{"index", "files", "bundles"}`` for the page, or None when the saved widgets are
    all ipywidgets 8's own."""
    names, widgets7 = widget_modules(state)
    if not names and not widgets7:
        return None
    labs = lab_extensions()
    files: dict[str, list[str]] = {}
    lab_index: list[dict[str, Any]] = []
    nb_index: dict[str, str] = {}
    nb_folders: set[str] = set()
    for kind, relative, folder in front_end_folders(names):
        if kind == "labextensions":
            lab_index.append(labs[relative].describe())
            files |= _files_under(folder, f"{LAB_URL}/{relative}")
        else:
            files |= _files_under(folder, f"{NB_URL}/{relative}")
            nb_folders.add(relative)
    for name in names:
        url = nb_module_urls(name).get(name, "")
        if url.split("/")[2:3] and url.split("/")[2] in nb_folders:
            nb_index[name] = url
    code = "".join(text for kind, text in files.values() if kind == "text")
    bundles = [b for b, users in _BUNDLE_USERS.items() if any(u in code for u in users)]
    if widgets7:
        bundles.append("widgets7")
    widgets = static_dir() / "widgets"
    return {
        "index": {"labextensions": lab_index, "nbextensions": nb_index},
        "files": files,
        "bundles": {b: (widgets / f"{b}.js").read_text(encoding="utf-8") for b in bundles},
    }
