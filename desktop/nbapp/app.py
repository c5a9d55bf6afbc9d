"""One run of nbapp: bind the port, start kernel and server, wait, shut down in order."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
from collections.abc import Callable

from tornado.httpserver import HTTPServer

from nbapp.dashboard import Dashboard
from nbapp.early_kernel import EarlyKernel
from nbapp.notebook import Notebook
from nbapp.security import Guard
from nbapp.server import make_app
from nbapp.settings import RunSettings

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
        dashboard = Dashboard(self.notebook, self.settings, early_kernel=self._early_kernel)
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


def run_headless(app: App, on_ready: Callable[[App], None]) -> None:
    """Serve on this thread until SIGINT or SIGTERM."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, app.stop)
        await app.serve(on_ready)

    asyncio.run(main())
