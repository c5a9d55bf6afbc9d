"""The tornado app: the page, its event stream, the kernel websocket and static files.

Every handler runs the same checks first (Guarded.prepare): a loopback Host with our port,
the per-run token (query once, then an HttpOnly SameSite=Strict cookie), and for websockets
and POSTs an Origin of our own. No handler ever sets CORS headers.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from http.client import responses
from pathlib import Path
from typing import Any

from tornado import web, websocket
from tornado.iostream import StreamClosedError

from nbapp.dashboard import Dashboard, Event, State
from nbapp.page.document import TEMPLATE_URL, LiveAssets, PageContext, PageRenderer
from nbapp.page.gridview import active_view
from nbapp.page.library_assets import (
    BOKEH_URL,
    ITABLES_URL,
    PANEL_URL,
    PLOTLY_URL,
    PMUI_URL,
    bokeh_js_dir,
    itables_html_dir,
    panel_dist_dir,
    plotly_js_dir,
    pmui_dist_dir,
)
from nbapp.page.templates import Template, builtin_template
from nbapp.page.widget_assets import LAB_URL, NB_URL, SERVED_SUFFIXES, folder_root, index
from nbapp.paths import nbconvert_lab_static_dir, static_dir
from nbapp.web.bridge import KernelBridge
from nbapp.web.heap import AfterBursts
from nbapp.web.security import Guard

log = logging.getLogger(__name__)

_KEEPALIVE_SECONDS = 15.0
_KERNEL_WAIT_SECONDS = 120.0
# The largest websocket message the page may send. A FileUpload widget sends the whole file in
# one message, so this is the largest file a dashboard can take; the server holds the message
# and the kernel a copy of it while it passes. Tornado's implicit default (10 MiB, which
# jupyter_server and Voila keep) refuses files Voila users are told to raise it for; 24 MiB
# takes ordinary CSVs, spreadsheets and photos. docs/reliability.md has the measured cost.
MAX_MESSAGE_BYTES = 24 * 2**20
# What the server may hold for a page that does not read its websocket; past it, the page is
# dropped rather than the server's memory growing with everything the kernel says.
MAX_PENDING_BYTES = 64 * 2**20
# Open websockets and event streams per app, each kind. A window or a browser tab holds one of
# each (two for a moment while it reloads); the bound stops a local program from piling up
# kernel sockets and file descriptors.
MAX_CONNECTIONS = 16
# Close codes (RFC 6455): 1008 policy violation, 1009 message too big, 1013 try again later.
_CLOSE_TOO_MANY = 1013
_CLOSE_NOT_READING = 1008
# What the page may load: only this app. Inline scripts and eval stay allowed because
# notebook outputs (Plotly, Bokeh, widgets) use them; blob: URLs are the page's own (Panel's
# ES-module components are compiled into them and fetched by es-module-shims).
_CSP = (
    "default-src 'self' data: blob:; "
    "script-src 'self' 'unsafe-inline' 'unsafe-eval' blob:; "
    "style-src 'self' 'unsafe-inline' data:; "
    "connect-src 'self' blob: data:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
# Files next to the notebook that its markdown and HTML may link to; never code or data.
FILE_SUFFIXES = frozenset(
    [
        ".png",
        ".jpg",
        ".jpeg",
        ".gif",
        ".svg",
        ".webp",
        ".ico",
        ".bmp",
        ".avif",
        ".mp4",
        ".webm",
        ".ogg",
        ".mp3",
        ".wav",
        ".pdf",
        ".css",
        ".woff",
        ".woff2",
        ".ttf",
        ".otf",
    ]
)
# What a template's static/ folder may serve: its styles, scripts, fonts and images.
TEMPLATE_SUFFIXES = SERVED_SUFFIXES | frozenset([".webp", ".avif", ".ico"])


@dataclass
class Connections:
    """How many websockets and event streams are open now (one event loop: no lock)."""

    sockets: int = 0
    streams: int = 0


@dataclass(frozen=True)
class ServerContext:
    """What every handler gets through its route. A folder app's list of notebooks
    (``nbapp.folder``) has no dashboard or page of its own; each of its notebooks has a context
    of its own, whose routes are under ``prefix``."""

    guard: Guard
    dashboard: Dashboard | None
    page: PageRenderer | None
    show_tracebacks: bool = False
    theme: str = "auto"
    connections: Connections = field(default_factory=Connections)
    bursts: AfterBursts = field(default_factory=AfterBursts)
    prefix: str = ""  # e.g. /nb/report.ipynb; empty for a single notebook's app
    home_url: str = ""  # a folder app's list, which the page links back to


class Guarded(web.RequestHandler):
    def initialize(self, ctx: ServerContext, **kwargs: Any) -> None:
        self.ctx = ctx
        self.guard = ctx.guard

    @property
    def dashboard(self) -> Dashboard:
        if self.ctx.dashboard is None:
            raise web.HTTPError(404, "no dashboard here")
        return self.ctx.dashboard

    def set_default_headers(self) -> None:
        self.set_header("Content-Security-Policy", _CSP)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "no-referrer")
        self.set_header("Cache-Control", "no-store")

    def prepare(self) -> None:
        if not self.guard.host_ok(self.request.headers.get("Host")):
            raise web.HTTPError(403, "refused Host %r", self.request.headers.get("Host"))
        if self._needs_origin() and not self.guard.origin_ok(self.request.headers.get("Origin")):
            raise web.HTTPError(403, "refused Origin %r", self.request.headers.get("Origin"))
        if self.guard.token_ok(self.get_query_argument("token", None)):
            self.set_cookie(
                self.guard.cookie_name, self.guard.token, httponly=True, samesite="Strict"
            )
            return
        header = self.request.headers.get("Authorization", "")
        if header.startswith("token ") and self.guard.token_ok(header[len("token ") :]):
            return
        if not self.guard.token_ok(self.get_cookie(self.guard.cookie_name)):
            raise web.HTTPError(403, "missing or wrong token")

    def _needs_origin(self) -> bool:
        return self.request.method not in ("GET", "HEAD")

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        # The user sees the status only; the reason goes to the log (HTTPError.log_message).
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(f"{status_code} {responses.get(status_code, 'Error')}\n")


class PageHandler(Guarded):
    def get(self) -> None:
        if self.get_query_argument("token", None):
            self.redirect(f"{self.ctx.prefix}/")  # keep the token out of the URL and history
            return
        kernel = self.dashboard.kernel
        notebook = self.dashboard.notebook
        context = PageContext(
            title=notebook.title,
            theme=self.ctx.theme,
            # Never "done" before the event stream has filled the page: automation that waits
            # for done must find the cells there. The stream's replay sets the real state.
            state=State.RUNNING.value,
            kernel_id=kernel.kernel_id if kernel else "",
            grid=active_view(notebook.node.metadata),
            app=self.dashboard.app,
            home_url=self.ctx.home_url,
        )
        page = self.ctx.page
        assert page is not None  # a context with a dashboard has its page
        # The page starts with its cells as they stand (the last run's snapshot where this run
        # has not shown a cell yet): the widget bundle shows them before the event stream opens.
        cells = [section.event() for section in self.dashboard.sections()]
        starting = self.dashboard.starting
        state = self.dashboard.snapshot_widget_state if starting else None
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        assets = LiveAssets(page.template, cells, state, url_prefix=self.ctx.prefix)
        self.finish(page.render(context, assets))


class EventsHandler(Guarded):
    """Server-sent events: the page's cells and status, replayed from the start on connect."""

    _queue: asyncio.Queue[Event | None] | None = None

    async def get(self) -> None:
        counts = self.ctx.connections
        if counts.streams >= MAX_CONNECTIONS:
            log.warning("refused an event stream: %d are open already", counts.streams)
            self.set_status(503)
            self.set_header("Retry-After", "5")
            self.finish(f"503 too many open pages (at most {MAX_CONNECTIONS})\n")
            return
        counts.streams += 1
        try:
            await self._stream()
        finally:
            counts.streams -= 1

    def on_connection_close(self) -> None:
        # A page gone (reload, closed tab) frees its slot now, not at the next keepalive.
        if self._queue is not None:
            self._queue.put_nowait(None)

    async def _stream(self) -> None:
        self.set_header("Content-Type", "text/event-stream; charset=utf-8")
        queue = self._queue = self.dashboard.subscribe()
        try:
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), _KEEPALIVE_SECONDS)
                except asyncio.TimeoutError:
                    self.write(": keepalive\n\n")
                else:
                    if event is None:
                        break
                    self.write(f"data: {json.dumps(event)}\n\n")
                await self.flush()
        except StreamClosedError:
            pass
        finally:
            self.dashboard.unsubscribe(queue)


class RestartHandler(Guarded):
    async def post(self) -> None:
        await self.dashboard.restart()
        self.set_status(202)
        self.finish({"state": self.dashboard.status.state.value})


class KernelModelHandler(Guarded):
    """What @jupyterlab/services asks about a kernel when its socket drops."""

    def get(self, kernel_id: str) -> None:
        kernel = self.dashboard.kernel
        if kernel is None or kernel_id != kernel.kernel_id:
            raise web.HTTPError(404)
        dead = self.dashboard.status.state is State.DEAD
        self.finish(
            {
                "id": kernel.kernel_id,
                "name": kernel.name,
                "execution_state": "dead" if dead else "idle",
                "connections": 1,
            }
        )


class KernelChannelsHandler(Guarded, websocket.WebSocketHandler):
    def initialize(self, ctx: ServerContext, **kwargs: Any) -> None:
        super().initialize(ctx)
        self.bridge: KernelBridge | None = None
        self._counted = False
        self._pending_bytes = 0

    def _needs_origin(self) -> bool:
        return True  # a websocket without our Origin is refused, missing Origin included

    def check_origin(self, origin: str) -> bool:
        return self.guard.origin_ok(origin)

    async def get(self, *args: Any, **kwargs: Any) -> None:
        kernel = self.dashboard.kernel
        if kernel is None or args[0] != kernel.kernel_id:
            raise web.HTTPError(404)
        await super().get(*args, **kwargs)

    def get_websocket_protocol(self) -> websocket.WebSocketProtocol | None:
        protocol = super().get_websocket_protocol()
        if protocol is not None:
            # Tornado refuses an oversized message by closing with 1009 on its own, without
            # telling the handler; wrap its close so the user learns why the upload vanished.
            refuse = protocol.close

            def close(code: int | None = None, reason: str | None = None) -> None:
                if code == 1009:
                    self._too_big()
                refuse(code, reason)

            setattr(protocol, "close", close)  # noqa: B010 (mypy forbids assigning a method)
        return protocol

    def _too_big(self) -> None:
        limit = MAX_MESSAGE_BYTES // 2**20
        log.warning("refused a widget message from the page: larger than %d MiB", limit)
        self.dashboard.notice(
            f"A widget sent more than {limit} MB at once (a file too large to upload?); "
            "it was refused."
        )

    async def open(self, *args: str, **kwargs: str) -> None:
        kernel = self.dashboard.kernel
        assert kernel is not None
        counts = self.ctx.connections
        if counts.sockets >= MAX_CONNECTIONS:
            log.warning("refused a kernel websocket: %d are open already", counts.sockets)
            self.close(_CLOSE_TOO_MANY, f"too many open pages (at most {MAX_CONNECTIONS})")
            return
        counts.sockets += 1
        self._counted = True
        try:
            await asyncio.wait_for(self.dashboard.kernel_ready.wait(), _KERNEL_WAIT_SECONDS)
        except asyncio.TimeoutError:
            self.close(1011, "kernel not ready")
            return
        self.bridge = KernelBridge(
            kernel,
            self._send,
            show_tracebacks=self.ctx.show_tracebacks,
            memory=self.dashboard.memory,
        )
        self.bridge.start()

    def _send(self, frame: str | bytes) -> None:
        if self.ws_connection is None:
            return
        if self._pending_bytes > MAX_PENDING_BYTES:
            log.warning("dropped a page that stopped reading its widget messages")
            self.close(_CLOSE_NOT_READING, "the page stopped reading")
            return
        size = len(frame)
        self._pending_bytes += size
        self.ctx.bursts.note(size)
        written = self.write_message(frame, binary=isinstance(frame, bytes))
        written.add_done_callback(lambda done: self._written(size, done))

    def _written(self, size: int, done: asyncio.Future[None]) -> None:
        self._pending_bytes -= size
        if not done.cancelled():
            done.exception()  # a page gone mid-write is normal: retrieved, not logged

    def on_message(self, message: str | bytes) -> None:
        if self.bridge is not None:
            self.ctx.bursts.note(len(message))
            self.bridge.from_page(message)

    def on_close(self) -> None:
        if self._counted:
            self._counted = False
            self.ctx.connections.sockets -= 1
        if self.bridge is not None:
            self.bridge.close()


class WidgetModulesHandler(Guarded):
    """The installed widget front ends (see nbapp.page.widget_assets), read on the first request
    (a thread: the loop keeps serving meanwhile); ``?module=`` names one the page misses."""

    async def get(self) -> None:
        wanted = self.get_query_argument("module", None)
        self.finish(await asyncio.to_thread(index, wanted))


class GuardedStatic(Guarded, web.StaticFileHandler):
    """Static files that cannot leave their root: symlinks resolved, dotfiles refused, and
    (for the notebook's folder) only media-like suffixes."""

    def initialize(  # type: ignore[override]
        self, ctx: ServerContext, path: str, suffixes: frozenset[str] | None = None
    ) -> None:
        Guarded.initialize(self, ctx)
        web.StaticFileHandler.initialize(self, path)
        self.suffixes = suffixes

    def set_default_headers(self) -> None:
        super().set_default_headers()
        self.clear_header("Cache-Control")

    def validate_absolute_path(self, root: str, absolute_path: str) -> str | None:
        relative = os.path.relpath(absolute_path, root)
        parts = Path(relative).parts
        if "\\" in relative or any(part.startswith(".") for part in parts):
            raise web.HTTPError(404)
        if self.suffixes is not None and Path(relative).suffix.lower() not in self.suffixes:
            raise web.HTTPError(404)
        real_root, real_path = os.path.realpath(root), os.path.realpath(absolute_path)
        if os.path.commonpath([real_root, real_path]) != real_root:
            raise web.HTTPError(404)
        return super().validate_absolute_path(root, absolute_path)


class ExtensionStatic(GuardedStatic):
    """A front end's files from the first Jupyter data folder that has its folder (the first
    path segment, two for an ``@scope/name``), as Jupyter's own servers look them up."""

    def initialize(  # type: ignore[override]
        self, ctx: ServerContext, kind: str, suffixes: frozenset[str]
    ) -> None:
        self.kind = kind
        super().initialize(ctx, path="", suffixes=suffixes)

    async def get(self, path: str, include_body: bool = True) -> None:
        parts = path.split("/")
        folder = "/".join(parts[:2] if path.startswith("@") else parts[:1])
        root = folder_root(self.kind, folder) if folder and ".." not in parts else None
        if root is None:
            raise web.HTTPError(404)
        self.root = str(root)
        await super().get(path, include_body)


def _log_request(handler: web.RequestHandler) -> None:
    """Access log without query strings: the token must never reach a log."""
    status = handler.get_status()
    level = logging.DEBUG if status < 400 else logging.INFO
    log.log(level, "%d %s %s", status, handler.request.method, handler.request.path)


def _library_routes(static: Callable[..., dict[str, Any]]) -> list[Any]:
    """plotly.js, itables' DataTables bundle, BokehJS, Panel's and panel-material-ui's front
    ends from the installed packages, for those installed."""
    routes: list[Any] = []
    plotly, itables, panel = plotly_js_dir(), itables_html_dir(), panel_dist_dir()
    bokeh, pmui = bokeh_js_dir(), pmui_dist_dir()
    if bokeh:
        routes.append(
            (rf"{BOKEH_URL}/js/([\w.\-]+\.js)", GuardedStatic, static(bokeh, frozenset({".js"})))
        )
    if pmui:
        pmui_route = rf"{PMUI_URL}/v[^/]+/(.*)"  # /v<version>/, as on its CDN
        routes.append((pmui_route, GuardedStatic, static(pmui, SERVED_SUFFIXES)))
    if plotly:
        routes.append((rf"{PLOTLY_URL}/(.*)", GuardedStatic, static(plotly, frozenset({".js"}))))
    if itables:
        bundle = rf"{ITABLES_URL}/(dt_bundle\.(?:js|css))"
        routes.append((bundle, GuardedStatic, static(itables, frozenset({".js", ".css"}))))
    if panel:
        panel_route = rf"{PANEL_URL}/[^/]+/dist/(.*)"  # /<version>/dist/, as on Panel's CDN
        routes.append((panel_route, GuardedStatic, static(panel, SERVED_SUFFIXES)))
    return routes


def _template_routes(
    template: Template, static: Callable[..., dict[str, Any]], prefix: str = ""
) -> list[Any]:
    """Each template of the chain serves its own static/ folder, and nothing else of it."""
    routes: list[Any] = []
    for number, folder in enumerate(template.chain):
        if folder.static is not None:
            url = rf"{prefix}{TEMPLATE_URL}/{number}/(.*)"
            routes.append((url, GuardedStatic, static(folder.static, TEMPLATE_SUFFIXES)))
    return routes


def _static(ctx: ServerContext) -> Callable[..., dict[str, Any]]:
    def static(root: Path, suffixes: frozenset[str] | None = None) -> dict[str, Any]:
        return {"ctx": ctx, "path": str(root), "suffixes": suffixes}

    return static


def shared_routes(ctx: ServerContext) -> list[Any]:
    """What every page of the app loads from the same place: nbapp's and nbconvert's files,
    the widget front ends and libraries the environment installed."""
    static = _static(ctx)

    def extensions(kind: str) -> dict[str, Any]:
        return {"ctx": ctx, "kind": kind, "suffixes": SERVED_SUFFIXES}

    return [
        (r"/nbapp/static/(.*)", GuardedStatic, static(static_dir())),
        (
            r"/nbapp/lab/(.*)",
            GuardedStatic,
            static(nbconvert_lab_static_dir(), frozenset({".css"})),
        ),
        (r"/nbapp/api/widget-modules", WidgetModulesHandler, {"ctx": ctx}),
        (rf"{LAB_URL}/(.*)", ExtensionStatic, extensions("labextensions")),
        (rf"{NB_URL}/(.*)", ExtensionStatic, extensions("nbextensions")),
        *_library_routes(static),
    ]


class NotFound(Guarded):
    """What no route serves: 404, but only to a request that passed the checks (403 first)."""

    def prepare(self) -> None:
        super().prepare()
        raise web.HTTPError(404)


def application(routes: list[Any], ctx: ServerContext | None = None) -> web.Application:
    """``ctx``: unmatched paths get NotFound's checks under it (else tornado's plain 404)."""
    unmatched: dict[str, Any] = (
        {"default_handler_class": NotFound, "default_handler_args": {"ctx": ctx}} if ctx else {}
    )
    return web.Application(
        routes,
        log_function=_log_request,
        websocket_ping_interval=30,
        websocket_max_message_size=MAX_MESSAGE_BYTES,
        xsrf_cookies=False,  # POSTs need our Origin and a SameSite=Strict cookie instead
        **unmatched,
    )


def make_app(
    dashboard: Dashboard,
    guard: Guard,
    *,
    show_tracebacks: bool,
    theme: str = "auto",
    template: Template | None = None,
    prefix: str = "",
    home_url: str = "",
) -> web.Application:
    """The app of one dashboard; ``prefix``: where its page and its own routes are (a
    notebook of a folder app), ``home_url``: the folder app's list the page links back to."""
    template = template or builtin_template()
    page = PageRenderer(template)
    ctx = ServerContext(
        guard, dashboard, page, show_tracebacks, theme, prefix=prefix, home_url=home_url
    )
    deps = {"ctx": ctx}
    kernel_id = r"([0-9a-f-]{36})"
    static = _static(ctx)
    return application(
        [
            (rf"{prefix}/", PageHandler, deps),
            (rf"{prefix}/nbapp/api/events", EventsHandler, deps),
            (rf"{prefix}/nbapp/api/restart", RestartHandler, deps),
            (rf"/api/kernels/{kernel_id}", KernelModelHandler, deps),
            (rf"/api/kernels/{kernel_id}/channels", KernelChannelsHandler, deps),
            *shared_routes(ctx),
            *_template_routes(template, static, prefix),
            (rf"{prefix}/(.+)", GuardedStatic, static(dashboard.notebook.folder, FILE_SUFFIXES)),
        ]
    )
