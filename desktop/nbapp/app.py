"""One run of nbapp: bind the port, start kernel and server, wait, shut down in order."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import signal
import socket
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, Protocol, TypeVar

from tornado.httpserver import HTTPServer

from nbapp import startup
from nbapp.dashboard import Dashboard
from nbapp.kernel.early import EarlyKernel
from nbapp.notebook import Notebook
from nbapp.settings import RunSettings
from nbapp.state import snapshot
from nbapp.state.snapshot import Snapshot
from nbapp.state.widget_memory import WidgetMemory
from nbapp.web.security import Guard
from nbapp.web.server import make_app

log = logging.getLogger(__name__)

T = TypeVar("T")


class Hosted(Protocol):
    """An app as the window (and its menu) sees it: one notebook (``App``) or a folder of them
    (``nbapp.folder.FolderApp``)."""

    guard: Guard

    @property
    def url(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def source_name(self) -> str:
        """The notebook's (or the folder's) file name."""

    @property
    def icon(self) -> Path | None: ...
    @property
    def identity(self) -> str:
        """Who the app is across launches (``RunSettings.identity``)."""

    @property
    def declared_size(self) -> tuple[int | None, int | None]: ...
    @property
    def current(self) -> Dashboard | None:
        """The dashboard the window shows now, if any."""

    @property
    def remembers_widgets(self) -> bool:
        """Whether ``current`` keeps its widgets' values."""

    @property
    def pages_titled(self) -> bool:
        """Whether the window's title follows the page shown (the app has several)."""

    def stop(self) -> None: ...
    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]: ...
    async def serve(self, on_ready: Callable[[Any], None]) -> None: ...
    async def export_html(self, out: Path) -> int: ...


class OwnLoop:
    """An app that runs on its own asyncio loop; other threads (the window's menu, signal
    handlers) stop it or hand it work."""

    def __init__(self) -> None:
        self._stop = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def stop(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Run ``coro`` on the app's loop, from another thread (the window's menu)."""
        if self._loop is None or self._loop.is_closed():
            coro.close()
            raise RuntimeError("the app is not running")
        return asyncio.run_coroutine_threadsafe(coro, self._loop)


class App(OwnLoop):
    """Owns the server, the dashboard and the kernel; ``stop()`` may be called from any thread."""

    def __init__(
        self,
        notebook: Notebook,
        settings: RunSettings,
        sockets: list[socket.socket],
        *,
        early_kernel: EarlyKernel | None = None,
    ) -> None:
        """``sockets``: what ``loopback.bind_loopback`` bound, before the kernel started."""
        self.notebook = notebook
        self.settings = settings
        self._sockets = sockets
        self._early_kernel = early_kernel
        super().__init__()
        self.guard = Guard(port=self._sockets[0].getsockname()[1])
        self._dashboard: Dashboard | None = None

    @property
    def url(self) -> str:
        return self.guard.url

    @property
    def title(self) -> str:
        return self.notebook.title

    @property
    def source_name(self) -> str:
        return self.notebook.path.name

    @property
    def icon(self) -> Path | None:
        return self.notebook.icon_file()

    @property
    def identity(self) -> str:
        return self.settings.identity

    @property
    def declared_size(self) -> tuple[int | None, int | None]:
        return self.notebook.app.width, self.notebook.app.height

    @property
    def current(self) -> Dashboard | None:
        return self._dashboard

    @property
    def remembers_widgets(self) -> bool:
        return self.settings.remember_widgets

    @property
    def pages_titled(self) -> bool:
        return False  # one page, titled as the window

    async def export_html(self, out: Path) -> int:
        """The dashboard as it is now as one self-contained file (see ``export_now``)."""
        assert self._dashboard is not None
        return await export_now(self._dashboard, self.settings, out)

    async def serve(self, on_ready: Callable[[App], None]) -> None:
        """Serve until ``stop()``; then server, pages, kernel go down in that order."""
        self._loop = asyncio.get_running_loop()
        dashboard = new_dashboard(self.notebook, self.settings, early_kernel=self._early_kernel)
        self._dashboard = dashboard
        server = HTTPServer(
            make_app(
                dashboard,
                self.guard,
                show_tracebacks=self.settings.show_tracebacks,
                theme=self.settings.theme,
                template=self.settings.template,
            )
        )
        server.add_sockets(self._sockets)
        startup.mark("server listening (page with the snapshot can be served)")
        # The page (with the last run's snapshot) can be served now; what runs and renders
        # cells loads meanwhile, on a thread, while the kernel starts.
        preparing = asyncio.create_task(dashboard.prepare_early(), name="nbapp-prepare")
        try:
            await dashboard.start()  # the kernel starts now, not at first page load
            on_ready(self)
            await self._stop.wait()
        finally:
            preparing.cancel()  # waiting for a page that never came; the thread part finishes
            with contextlib.suppress(asyncio.CancelledError):
                await preparing
            server.stop()
            await dashboard.close()
            await asyncio.wait_for(server.close_all_connections(), 5)


def new_dashboard(
    notebook: Notebook, settings: RunSettings, *, early_kernel: EarlyKernel | None = None
) -> Dashboard:
    """The dashboard of ``notebook``, with what it keeps between launches: the last run's
    snapshot to open on, the widget values the user left."""
    first, keep = _snapshots(notebook, settings)
    memory = WidgetMemory.for_app(settings.identity) if settings.remember_widgets else None
    return Dashboard(
        notebook,
        settings,
        early_kernel=early_kernel,
        snapshot=first,
        keep_snapshot=keep,
        memory=memory,
    )


def _snapshots(
    notebook: Notebook, settings: RunSettings
) -> tuple[Snapshot | None, Callable[[Snapshot], object] | None]:
    """The snapshot to open on (the last run's, else the one built into a packaged app)
    and where a finished run goes; neither with ``--no-snapshot``."""
    if not settings.snapshots:
        return None, None
    key = snapshot_key(notebook, settings)
    first = snapshot.load(key)
    if first is None and settings.bundled_snapshot is not None:
        bundled = snapshot.read(settings.bundled_snapshot)
        if bundled is not None and bundled.key == key:
            first = bundled
    log.debug("opening on a snapshot: %s", first is not None)
    return first, lambda finished: snapshot.save(key, finished)


def snapshot_key(notebook: Notebook, settings: RunSettings) -> str:
    """Where the last run of ``notebook`` with ``settings`` is kept (``nbapp.state.snapshot``)."""
    return snapshot.content_key(
        notebook.node,
        only_tagged=settings.only_tagged,
        show_tracebacks=settings.show_tracebacks,
        query=settings.query_string,
        template=settings.template,
    )


async def export_now(dashboard: Dashboard, settings: RunSettings, out: Path) -> int:
    """The dashboard as it is now (widgets as the user left them, asked of the kernel) as one
    self-contained file, like ``nbapp export`` without running the notebook again; its size."""
    from nbapp.export.html import Snapshot as Finished
    from nbapp.export.html import render_page, write_page
    from nbapp.web.comms import widget_state_now

    state = None
    if dashboard.kernel is not None and dashboard.kernel.started:
        state = await widget_state_now(dashboard.kernel)
    finished = Finished(dashboard.fragments(), state or dashboard.widget_state)
    page = render_page(dashboard.notebook, finished, settings.theme, settings.template)
    return write_page(page, out)


def run_headless(app: Hosted, on_ready: Callable[[Hosted], None]) -> None:
    """Serve on this thread until SIGINT or SIGTERM."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, app.stop)
        await app.serve(on_ready)

    asyncio.run(main())
