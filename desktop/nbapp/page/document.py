"""The dashboard page: the template's page.html.j2, for the live app or for an export.

The same page template serves both; what differs is how it refers to files (``PageAssets``):
the live app links to URLs it serves, an export inlines every file. A page template names
files with ``stylesheet(ref)``, ``script(ref)`` and ``static_url(ref)``, where ``ref`` is a
file of the template's own ``static/`` folder (or of a template it builds on), ``nbapp:...``
one of nbapp's (assets/static) or ``lab:...`` one of nbconvert's lab theme.
"""

from __future__ import annotations

import json
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import jinja2
from markupsafe import Markup

from nbapp import __version__
from nbapp.page import cdn
from nbapp.page.gridview import GridView
from nbapp.page.template_env import page_environment
from nbapp.page.templates import PAGE, Template, TemplateError
from nbapp.paths import nbconvert_lab_static_dir, static_dir

TEMPLATE_URL = "/nbapp/template"
_PREFIXES = {"nbapp:": "/nbapp/static", "lab:": "/nbapp/lab"}


@dataclass(frozen=True)
class Asset:
    """A file a page refers to, the folder its own references may not leave, its live URL."""

    path: Path
    root: Path
    url: str


def resolve(template: Template, ref: str) -> Asset:
    """The file behind ``ref``; a TemplateError naming it when there is none."""
    for prefix, url in _PREFIXES.items():
        if ref.startswith(prefix):
            relative = ref[len(prefix) :]
            root = static_dir() if prefix == "nbapp:" else nbconvert_lab_static_dir()
            path = (root / relative).resolve()
            if path.is_file() and path.is_relative_to(root.resolve()):
                return Asset(path, root, f"{url}/{relative}")
            raise TemplateError(f"no file {ref!r}")
    found = template.static_file(ref)
    if found is None:
        raise TemplateError(
            f"no file {ref!r} in the static/ folder of {template.name!r} or of a template it "
            "builds on"
        )
    number, path = found
    root = template.chain[number].path / "static"
    return Asset(path, root, f"{TEMPLATE_URL}/{number}/{ref}")


class PageAssets(Protocol):
    """How a page refers to files: by URL (live) or inlined (export)."""

    def stylesheet(self, ref: str, media: str = "") -> Markup: ...
    def script(self, ref: str) -> Markup: ...
    def static_url(self, ref: str) -> str: ...
    def head(self) -> Markup: ...
    def scripts(self) -> Markup: ...


def _data_script(element_id: str, value: object, kind: str = "application/json") -> Markup:
    """A JSON data block: escaped so that it cannot end its <script> or open a comment."""
    text = json.dumps(value, separators=(",", ":"))
    text = text.replace("</", "<\\/").replace("<!--", "\\u003c!--")
    return Markup(f'<script type="{kind}" id="{element_id}">{text}</script>\n')


class LiveAssets:
    """The live app's page: links to the files the server serves. ``cells``: the cell events
    the page starts with, before its event stream (the last run's snapshot, or the live cells
    on a reload); ``snapshot_state``: the widgets' state of that snapshot."""

    def __init__(
        self,
        template: Template,
        cells: list[dict[str, Any]] | None = None,
        snapshot_state: dict[str, Any] | None = None,
        *,
        url_prefix: str = "",
    ) -> None:
        """``url_prefix``: where the page's own routes are (a notebook of a folder app is
        under /nb/NAME): its template's files are served there; nbapp's are shared."""
        self._template = template
        self._cells = cells or []
        self._snapshot_state = snapshot_state or {}
        self._url_prefix = url_prefix

    def static_url(self, ref: str) -> str:
        url = resolve(self._template, ref).url
        return self._url_prefix + url if url.startswith(TEMPLATE_URL) else url

    def stylesheet(self, ref: str, media: str = "") -> Markup:
        media_attr = Markup(' media="{}"').format(media) if media else ""
        link = Markup('<link rel="stylesheet" href="{}"{}>')
        return link.format(self.static_url(ref), media_attr)

    def script(self, ref: str) -> Markup:
        return Markup('<script src="{}"></script>').format(self.static_url(ref))

    def head(self) -> Markup:
        return self.script("nbapp:mathjax-config.js")

    def scripts(self) -> Markup:
        # offline.js reads the CDN rules to keep widget HTML from reaching off the app.
        rules = cdn.rules_json()  # JSON with "</" escaped: it cannot end its element
        page_data = Markup()
        if self._cells:
            page_data += _data_script("nbapp-initial-cells", self._cells)
        if self._snapshot_state:
            state_type = "application/vnd.jupyter.widget-state+json"
            page_data += _data_script(
                "nbapp-snapshot-widget-state", self._snapshot_state, state_type
            )
        return (
            Markup(f'<script type="application/json" id="nbapp-cdn-rules">{rules}</script>\n')
            + page_data
            + self.script("nbapp:widgets/widgets.js")
            + self.script("nbapp:nbapp.js")
        )


@dataclass(frozen=True)
class CellView:
    """A rendered cell as a page template sees it (never its source)."""

    index: int
    region: str  # main | sidebar | hidden
    html: Markup


@dataclass(frozen=True)
class PageContext:
    title: str
    theme: str
    state: str  # data-nbapp-state: running in the live page until the events say otherwise
    kernel_id: str = ""
    export: bool = False
    cells: list[CellView] = field(default_factory=list)  # filled in only by an export
    grid: GridView | None = None  # the notebook's jupyter_dashboards view
    # The app's title and sidebar width, from a servable Panel template (Dashboard.app);
    # a live page also gets them from its events as they change.
    app: dict[str, Any] = field(default_factory=dict)
    home_url: str = ""  # a folder app's list of notebooks, which the page links back to


class PageRenderer:
    """page.html.j2 of one template, compiled once."""

    def __init__(self, template: Template) -> None:
        self.template = template
        self._env = page_environment(template)
        try:
            self._page = self._env.get_template(PAGE)
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(
                f"{template.chain[0].describe()}: {exc.filename or exc.name} line {exc.lineno}: "
                f"{(exc.message or 'syntax error').splitlines()[0]}"
            ) from exc
        except jinja2.TemplateError as exc:
            raise TemplateError(f"{template.chain[0].describe()}: {PAGE}: {exc}") from exc

    def render(self, context: PageContext, assets: PageAssets) -> str:
        main = [c for c in context.cells if c.region != "sidebar"]
        sidebar = [c for c in context.cells if c.region == "sidebar"]
        values: dict[str, Any] = {
            "version": __version__,
            "title": context.title,
            "theme": context.theme,
            "state": context.state,
            "kernel_id": context.kernel_id,
            "export": context.export,
            "template_name": self.template.name,
            "cells": context.cells,
            "main_cells": main,
            "sidebar_cells": sidebar,
            "grid": context.grid,
            "app": context.app,
            "home_url": context.home_url,
            "stylesheet": assets.stylesheet,
            "script": assets.script,
            "static_url": assets.static_url,
            "nbapp_head": assets.head,
            "nbapp_scripts": assets.scripts,
        }
        try:
            return self._page.render(values)
        except TemplateError as exc:
            raise TemplateError(f"{self._where(exc)}: {exc.message}") from exc
        except jinja2.TemplateError as exc:
            raise TemplateError(f"{self._where(exc)}: {exc}") from exc

    def check(self) -> None:
        """Render once for a live page, so that a missing file or a bad expression in the
        page is reported before anything starts."""
        probe = PageContext(title="check", theme="auto", state="running")
        self.render(probe, LiveAssets(self.template))

    def _where(self, exc: BaseException) -> str:
        """The template file and line a rendering error comes from."""
        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            for folder in self.template.chain:
                file = Path(frame.filename)
                if file.is_relative_to(folder.path):
                    relative = file.relative_to(folder.path).as_posix()
                    return f"{folder.describe()}: {relative} line {frame.lineno}"
        return f"{self.template.chain[0].describe()}: {PAGE}"
