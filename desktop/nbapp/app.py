"""One run of nbapp: bind the port, start kernel and server, wait, shut down in order."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
from collections.abc import Callable

from tornado.httpserver import HTTPServer

from nbapp import snapshot
from nbapp.dashboard import Dashboard
from nbapp.early_kernel import EarlyKernel
from nbapp.notebook import Notebook
from nbapp.security import Guard
from nbapp.server import make_app
from nbapp.settings import RunSettings
from nbapp.snapshot import Snapshot

log = logging.getLogger(__name__)


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

    async def serve(self, on_ready: Callable[[App], None]) -> None:
        """Serve until ``stop()``; then server, pages, kernel go down in that order."""
        self._loop = asyncio.get_running_loop()
        first, keep = self._snapshots()
        dashboard = Dashboard(
            self.notebook,
            self.settings,
            early_kernel=self._early_kernel,
            snapshot=first,
            keep_snapshot=keep,
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
