"""One run of nbapp: bind the port, start kernel and server, wait, shut down in order."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import signal
import socket
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from tornado.httpserver import HTTPServer

from nbapp import snapshot
from nbapp.dashboard import Dashboard
from nbapp.early_kernel import EarlyKernel
from nbapp.notebook import Notebook
from nbapp.security import Guard
from nbapp.server import make_app
from nbapp.settings import RunSettings
from nbapp.snapshot import Snapshot
from nbapp.widget_memory import WidgetMemory

log = logging.getLogger(__name__)

T = TypeVar("T")


class App:
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
        self.guard = Guard(port=self._sockets[0].getsockname()[1])
        self._stop = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def url(self) -> str:
        return self.guard.url

    def stop(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Run ``coro`` on the app's loop, from another thread (the window's menu)."""
        if self._loop is None or self._loop.is_closed():
            coro.close()
            raise RuntimeError("the app is not running")
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    async def export_html(self, out: Path) -> int:
        """The dashboard as it is now (widgets as the user left them) as one self-contained
        file, like ``nbapp export`` without running the notebook again; its size in bytes."""
        from nbapp.comms import widget_state_now
        from nbapp.export import Snapshot, render_page, write_page

        dashboard = self.dashboard
        state = None
        if dashboard.kernel is not None and dashboard.kernel.started:
            state = await widget_state_now(dashboard.kernel)
        snapshot = Snapshot(dashboard.fragments(), state or dashboard.widget_state)
        page = render_page(self.notebook, snapshot, self.settings.theme, self.settings.template)
        return write_page(page, out)

    async def serve(self, on_ready: Callable[[App], None]) -> None:
        """Serve until ``stop()``; then server, pages, kernel go down in that order."""
        self._loop = asyncio.get_running_loop()
        first, keep = self._snapshots()
        memory = (
            WidgetMemory.for_app(self.settings.identity) if self.settings.remember_widgets else None
        )
        dashboard = Dashboard(
            self.notebook,
            self.settings,
            early_kernel=self._early_kernel,
            snapshot=first,
            keep_snapshot=keep,
            memory=memory,
        )
        self.dashboard = dashboard
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
        try:
            await dashboard.start()  # the kernel starts now, not at first page load
            on_ready(self)
            await self._stop.wait()
        finally:
            server.stop()
            await dashboard.close()
            await asyncio.wait_for(server.close_all_connections(), 5)

    def _snapshots(self) -> tuple[Snapshot | None, Callable[[Snapshot], object] | None]:
        """The snapshot to open on (the last run's, else the one built into a packaged app)
        and where a finished run goes; neither with ``--no-snapshot``."""
        settings = self.settings
        if not settings.snapshots:
            return None, None
        key = snapshot.content_key(
            self.notebook.node,
            only_tagged=settings.only_tagged,
            show_tracebacks=settings.show_tracebacks,
            query=settings.query_string,
            template=settings.template,
        )
        first = snapshot.load(key)
        if first is None and settings.bundled_snapshot is not None:
            bundled = snapshot.read(settings.bundled_snapshot)
            if bundled is not None and bundled.key == key:
                first = bundled
        log.debug("opening on a snapshot: %s", first is not None)
        return first, lambda finished: snapshot.save(key, finished)


def run_headless(app: App, on_ready: Callable[[App], None]) -> None:
    """Serve on this thread until SIGINT or SIGTERM."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, app.stop)
        await app.serve(on_ready)

    asyncio.run(main())
