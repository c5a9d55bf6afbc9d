"""One run of nbapp: bind the port, start kernel and server, wait, shut down in order."""

from __future__ import annotations

import asyncio
import errno
import logging
import signal
import socket
from collections.abc import Callable

from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from nbapp.dashboard import Dashboard
from nbapp.errors import PortInUseError, UsageError
from nbapp.notebook import Notebook
from nbapp.security import Guard
from nbapp.server import make_app
from nbapp.settings import RunSettings

log = logging.getLogger(__name__)


def bind_loopback(port: int) -> list[socket.socket]:
    """Bind 127.0.0.1 only and keep the socket (no pick-close-rebind race for port 0)."""
    try:
        return bind_sockets(port, address="127.0.0.1", family=socket.AF_INET)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise PortInUseError(port) from exc
        if exc.errno == errno.EACCES:
            raise UsageError(f"no permission to listen on port {port}") from exc
        raise


class App:
    """Owns the server, the dashboard and the kernel; ``stop()`` may be called from any thread."""

    def __init__(self, notebook: Notebook, settings: RunSettings) -> None:
        self.notebook = notebook
        self.settings = settings
        self._sockets = bind_loopback(settings.port)
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
        dashboard = Dashboard(self.notebook, self.settings)
        self.dashboard = dashboard
        server = HTTPServer(
            make_app(
                dashboard,
                self.guard,
                show_tracebacks=self.settings.show_tracebacks,
                theme=self.settings.theme,
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
