"""A folder of notebooks as one app (``nbapp run FOLDER``).

Its home page (``/``) lists the folder's notebooks: title, file name, and a preview of the
last run's outputs (its snapshot, ``nbapp.state.snapshot``) where there is one. Each notebook is a
dashboard under ``/nb/NAME/``: opening it starts its kernel and runs it, as ``nbapp run`` does
for one notebook; once no page has shown it for ``keep_alive`` seconds (the user went back to
the list, or to another notebook), its kernel is shut down. Links and the window's back and
forward move between them: one window, one server, one token.

The same security model as one notebook's app: every request passes the same Host, token and
Origin checks (a kernel starts only for a request that carries the token); only the folder's
own .ipynb files are notebooks (no subfolders, no paths); the files served next to them are
the same media files as for one notebook.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import jinja2
from markupsafe import Markup
from tornado import httputil, web
from tornado.httpserver import HTTPServer
from tornado.routing import Router

from nbapp import __version__
from nbapp.app import OwnLoop, export_now, new_dashboard, snapshot_key
from nbapp.dashboard import Dashboard
from nbapp.errors import NotebookError
from nbapp.notebook import Notebook
from nbapp.paths import templates_dir
from nbapp.settings import RunSettings
from nbapp.state import snapshot
from nbapp.web.security import Guard
from nbapp.web.server import (
    FILE_SUFFIXES,
    Guarded,
    GuardedStatic,
    ServerContext,
    application,
    make_app,
    shared_routes,
)

log = logging.getLogger(__name__)

PREFIX = "/nb"
DEFAULT_KEEP_ALIVE = 30.0  # seconds a notebook nobody shows keeps its kernel
_IDLE_CHECK_SECONDS = 1.0
_NOTEBOOK_PATH = re.compile(rf"^{PREFIX}/([^/]+)(/.*)?$")
_KERNEL_PATH = re.compile(r"^/api/kernels/([0-9a-f-]{36})(/channels)?$")
_THUMBNAIL = "/nbapp/thumbnail"
# A preview is the snapshot's HTML with styles and no scripts, shown in an iframe of the list.
_THUMBNAIL_CSP = (
    "default-src 'self' data: blob:; script-src 'none'; style-src 'self' 'unsafe-inline' data:; "
    "frame-ancestors 'self'; base-uri 'self'; form-action 'none'"
)


def notebooks_in(folder: Path) -> list[Path]:
    """The folder's own notebooks, by name: no hidden files, no subfolders. A folder that
    does not exist, is a file, cannot be read or holds no notebook is a ``NotebookError``."""
    if not folder.exists():
        raise NotebookError(folder, "no such folder")
    if not folder.is_dir():
        raise NotebookError(folder, "not a folder")
    try:
        found = list(folder.iterdir())
    except OSError as exc:
        raise NotebookError(folder, f"cannot be read ({exc.strerror})") from exc
    if not found:
        raise NotebookError(folder, "an empty folder: no notebooks (.ipynb files) to show")
    notebooks = sorted(
        path
        for path in found
        if path.suffix == ".ipynb" and not path.name.startswith(".") and path.is_file()
    )
    if not notebooks:
        raise NotebookError(folder, "no notebooks (.ipynb files) in this folder")
    return notebooks


def none_can_open(folder: Path, entries: list[Entry]) -> None:
    """A folder whose notebooks all fail to load is bad input, not an app of broken cards."""
    if entries and all(entry.notebook is None for entry in entries):
        first = entries[0]
        more = f" (and {len(entries) - 1} more)" if len(entries) > 1 else ""
        raise NotebookError(
            folder, f"none of its notebooks can be opened: {first.name}: {first.problem}{more}"
        )


@dataclass
class Entry:
    """One notebook of the folder; its dashboard exists while it is open (or kept alive)."""

    name: str
    notebook: Notebook | None
    settings: RunSettings | None
    problem: str = ""  # why it cannot be opened (it is listed anyway, with this)
    dashboard: Dashboard | None = None
    app: web.Application | None = None
    idle_since: float | None = None

    @property
    def prefix(self) -> str:
        return f"{PREFIX}/{quote(self.name)}"

    @property
    def title(self) -> str:
        return self.notebook.title if self.notebook is not None else self.name

    def preview(self) -> snapshot.Snapshot | None:
        if self.notebook is None or self.settings is None or not self.settings.snapshots:
            return None
        return snapshot.load(snapshot_key(self.notebook, self.settings))


class FolderApp(OwnLoop):
    """Serves a folder's list of notebooks and each notebook's dashboard (``Hosted``)."""

    def __init__(
        self,
        folder: Path,
        entries: list[Entry],
        settings: RunSettings,
        sockets: list[socket.socket],
        *,
        keep_alive: float = DEFAULT_KEEP_ALIVE,
    ) -> None:
        """``settings``: the folder app's own (window, theme, identity); each entry has its
        notebook's."""
        self.folder = folder
        self.entries = {entry.name: entry for entry in entries}
        self.settings = settings
        self.keep_alive = keep_alive
        self._sockets = sockets
        super().__init__()
        self.guard = Guard(port=sockets[0].getsockname()[1])
        self._current: Entry | None = None  # the notebook the window shows, if any
        self._starting: set[asyncio.Task[None]] = set()

    # --- what the window sees (nbapp.app.Hosted) ------------------------------------------------
    @property
    def url(self) -> str:
        return self.guard.url

    @property
    def title(self) -> str:
        return self.folder.name or str(self.folder)

    @property
    def source_name(self) -> str:
        return self.folder.name

    @property
    def icon(self) -> Path | None:
        """The first notebook's that names one (a packaged folder's ``--icon`` is there)."""
        for entry in self.entries.values():
            if entry.notebook is not None and entry.notebook.app.icon:
                return entry.notebook.icon_file()
        return None

    @property
    def identity(self) -> str:
        return self.settings.identity

    @property
    def declared_size(self) -> tuple[int | None, int | None]:
        return None, None

    @property
    def current(self) -> Dashboard | None:
        return self._current.dashboard if self._current is not None else None

    @property
    def remembers_widgets(self) -> bool:
        entry = self._current
        return entry is not None and entry.settings is not None and entry.settings.remember_widgets

    @property
    def pages_titled(self) -> bool:
        return True  # the list's title, then the open notebook's

    async def export_html(self, out: Path) -> int:
        entry = self._current
        if entry is None or entry.dashboard is None or entry.settings is None:
            raise RuntimeError("no notebook is open")
        return await export_now(entry.dashboard, entry.settings, out)

    # --- serving ----------------------------------------------------------------------------
    async def serve(self, on_ready: Callable[[Any], None]) -> None:
        """Serve until ``stop()``; no kernel runs until a notebook is opened."""
        self._loop = asyncio.get_running_loop()
        home = self._home_app()
        server = HTTPServer(_FolderRouter(self, home))
        server.add_sockets(self._sockets)
        idle = asyncio.create_task(self._stop_idle(), name="nbapp-folder-idle")
        try:
            on_ready(self)
            await self._stop.wait()
        finally:
            server.stop()
            idle.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await idle
            await asyncio.gather(*(self._close(entry) for entry in self.entries.values()))
            await asyncio.wait_for(server.close_all_connections(), 5)

    def _home_app(self) -> web.Application:
        ctx = ServerContext(self.guard, None, None, theme=self.settings.theme)
        deps = {"ctx": ctx, "folder": self}
        return application(
            [
                (r"/", HomeHandler, deps),
                (rf"{PREFIX}/([^/]+){_THUMBNAIL}", ThumbnailHandler, deps),
                (rf"{PREFIX}/([^/]+)", SlashHandler, {"ctx": ctx}),
                *shared_routes(ctx),
                # Files next to the notebooks, for a list's previews and a page not open yet.
                (
                    rf"{PREFIX}/[^/]+/(.+)",
                    GuardedStatic,
                    {"ctx": ctx, "path": str(self.folder), "suffixes": FILE_SUFFIXES},
                ),
            ],
            ctx,
        )

    def opened(self, entry: Entry) -> web.Application:
        """``entry``'s app, its dashboard started if it was not running (the page is shown)."""
        self._current = entry
        entry.idle_since = None
        if entry.app is not None:
            return entry.app
        assert entry.notebook is not None and entry.settings is not None
        log.info("opening %s", entry.name)
        dashboard = new_dashboard(entry.notebook, entry.settings)
        entry.dashboard = dashboard
        entry.app = make_app(
            dashboard,
            self.guard,
            show_tracebacks=entry.settings.show_tracebacks,
            theme=entry.settings.theme,
            template=entry.settings.template,
            prefix=entry.prefix,
            home_url="/",
        )
        task = asyncio.get_running_loop().create_task(dashboard.start())
        self._starting.add(task)
        task.add_done_callback(self._starting.discard)
        return entry.app

    def left(self) -> None:
        """The list is shown: no notebook is current."""
        self._current = None

    async def _stop_idle(self) -> None:
        """Shut down the kernel of a notebook no page has shown for ``keep_alive`` seconds."""
        while True:
            await asyncio.sleep(_IDLE_CHECK_SECONDS)
            now = time.monotonic()
            for entry in self.entries.values():
                dashboard = entry.dashboard
                if dashboard is None or dashboard.listeners:
                    entry.idle_since = None
                    continue
                entry.idle_since = entry.idle_since or now
                if now - entry.idle_since >= self.keep_alive:
                    log.info("closing %s: not shown for %g s", entry.name, self.keep_alive)
                    await self._close(entry)

    async def _close(self, entry: Entry) -> None:
        dashboard, entry.dashboard, entry.app = entry.dashboard, None, None
        entry.idle_since = None
        if self._current is entry:
            self._current = None
        if dashboard is not None:
            await dashboard.close()

    def authorized(self, request: httputil.HTTPServerRequest) -> bool:
        """What a request must show before it may start a kernel (its handler checks again)."""
        if not self.guard.host_ok(request.headers.get("Host")):
            return False
        token = request.query_arguments.get("token", [b""])[-1].decode("utf-8", "replace")
        header = request.headers.get("Authorization", "")
        cookie = request.cookies.get(self.guard.cookie_name)
        return (
            self.guard.token_ok(token)
            or (header.startswith("token ") and self.guard.token_ok(header[len("token ") :]))
            or (cookie is not None and self.guard.token_ok(cookie.value))
        )

    def by_kernel(self, kernel_id: str) -> Entry | None:
        for entry in self.entries.values():
            kernel = entry.dashboard.kernel if entry.dashboard is not None else None
            if kernel is not None and kernel.kernel_id == kernel_id:
                return entry
        return None


class _FolderRouter(Router):
    """Sends each request to the list's app or to the app of the notebook it is for."""

    def __init__(self, folder: FolderApp, home: web.Application) -> None:
        self.folder = folder
        self.home = home

    def find_handler(
        self, request: httputil.HTTPServerRequest, **kwargs: Any
    ) -> httputil.HTTPMessageDelegate | None:
        path = request.path
        match = _NOTEBOOK_PATH.match(path)
        if match is not None and match.group(2) not in (None, _THUMBNAIL):
            entry = self.folder.entries.get(unquote(match.group(1)))
            if entry is not None and entry.notebook is not None:
                page = match.group(2) == "/" and request.method in ("GET", "HEAD")
                if page and self.folder.authorized(request):
                    return self.folder.opened(entry).find_handler(request)
                if entry.app is not None:
                    return entry.app.find_handler(request)
        kernel = _KERNEL_PATH.match(path)
        if kernel is not None:
            owner = self.folder.by_kernel(kernel.group(1))
            if owner is not None and owner.app is not None:
                return owner.app.find_handler(request)
        if path == "/" and request.method == "GET":
            self.folder.left()
        return self.home.find_handler(request)


# --- the list ----------------------------------------------------------------------------------
_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(templates_dir())),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


class HomeHandler(Guarded):
    def initialize(self, ctx: ServerContext, folder: FolderApp, **kwargs: Any) -> None:  # type: ignore[override]
        super().initialize(ctx)
        self.folder = folder

    def get(self) -> None:
        if self.get_query_argument("token", None):
            self.redirect("/")  # keep the token out of the page's URL and history
            return
        cards = [
            {
                "name": entry.name,
                "title": entry.title,
                "url": f"{entry.prefix}/",
                "thumbnail": f"{entry.prefix}{_THUMBNAIL}" if entry.preview() else "",
                "problem": entry.problem,
                "running": entry.dashboard is not None,
            }
            for entry in self.folder.entries.values()
        ]
        page = _ENVIRONMENT.get_template("home.html.j2").render(
            title=self.folder.title,
            theme=self.ctx.theme,
            version=__version__,
            cards=cards,
        )
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.finish(page)


class SlashHandler(Guarded):
    """/nb/NAME -> /nb/NAME/: the page's own URLs are relative to its folder-like path."""

    def get(self, name: str) -> None:
        self.redirect(f"{PREFIX}/{quote(unquote(name))}/")


class ThumbnailHandler(Guarded):
    """The last run's outputs of one notebook, as a still page the list shows small."""

    def initialize(self, ctx: ServerContext, folder: FolderApp, **kwargs: Any) -> None:  # type: ignore[override]
        super().initialize(ctx)
        self.folder = folder

    def set_default_headers(self) -> None:
        super().set_default_headers()
        self.set_header("Content-Security-Policy", _THUMBNAIL_CSP)

    def get(self, name: str) -> None:
        entry = self.folder.entries.get(unquote(name))
        preview = entry.preview() if entry is not None else None
        if entry is None or preview is None:
            raise web.HTTPError(404)
        # Each fragment is the cell's box as the page showed it (the page's own HTML).
        sections = [Markup(fragment.html) for fragment in preview.fragments]
        settings = entry.settings
        page = _ENVIRONMENT.get_template("thumbnail.html.j2").render(
            title=entry.title,
            theme=settings.theme if settings is not None else "auto",
            sections=sections,
        )
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.finish(page)
