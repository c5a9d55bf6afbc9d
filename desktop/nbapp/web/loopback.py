"""The app's listening socket: 127.0.0.1 only, bound before anything else starts."""

from __future__ import annotations

import errno
import socket
import sys

from nbapp.errors import PortInUseError, UsageError

_BACKLOG = 128


def bind_loopback(port: int) -> list[socket.socket]:
    """Bind 127.0.0.1 only and keep the socket (no pick-close-rebind race for port 0).

    Plain sockets, so the port is checked before the kernel starts and before tornado loads.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        if sys.platform != "win32":  # on Windows this would let another process steal it
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen(_BACKLOG)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise PortInUseError(port) from exc
        if exc.errno == errno.EACCES:
            raise UsageError(f"no permission to listen on port {port}") from exc
        raise
    return [sock]
