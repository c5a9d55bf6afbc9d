"""One running copy per app and user: a second launch brings the first one's window forward.

The first launch holds an exclusive lock on a file in the user's runtime directory (private to
the user: mode 0700) and listens on a Unix socket next to it. A later launch of the same app
finds the lock taken, connects to the socket and asks the first to raise its window, then
exits; it never binds a port or starts a kernel. The operating system drops the lock when its
holder dies, however it dies, so a lock left by a crash is no lock at all: the next launch
takes it over (and replaces the dead socket).

POSIX only (``fcntl`` and Unix sockets); on Windows each launch is its own app.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import platformdirs

log = logging.getLogger(__name__)

_REQUEST = b"raise\n"
_DONE = b"raised\n"
_CONNECT_SECONDS = 5.0  # the holder may be between taking the lock and listening
_ANSWER_SECONDS = 15.0  # the holder may still be opening its window


class InstanceError(Exception):
    """The app runs already but did not answer."""


def supported() -> bool:
    return sys.platform != "win32"


def _runtime_dir() -> Path:
    """A folder only this user can enter: the user's runtime dir, else one in the temp dir."""
    candidates = []
    # Without XDG_RUNTIME_DIR (no login session) platformdirs guesses a folder in /tmp that
    # another user could have made first; ours below is checked to be this user's own.
    if not sys.platform.startswith("linux") or os.environ.get("XDG_RUNTIME_DIR"):
        candidates.append(Path(platformdirs.user_runtime_dir("nbapp")))
    candidates.append(Path(tempfile.gettempdir()) / f"nbapp.{os.getuid()}")
    for folder in candidates:
        with contextlib.suppress(OSError):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            info = folder.stat()
            if info.st_uid == os.getuid() and info.st_mode & 0o077 == 0:
                return folder
    raise OSError("no private runtime folder for the single-instance lock")


def _paths(identity: str) -> tuple[Path, Path]:
    # Short names: a Unix socket's path must stay under ~100 bytes.
    name = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:20]
    folder = _runtime_dir()
    return folder / f"{name}.lock", folder / f"{name}.sock"


class Instance:
    """The lock and the listening socket of the running copy of an app."""

    def __init__(self, lock_fd: int, listener: socket.socket, socket_path: Path) -> None:
        self._lock_fd = lock_fd
        self._listener = listener
        self._socket_path = socket_path
        self._thread: threading.Thread | None = None
        self._closed = False

    @classmethod
    def claim(cls, identity: str) -> Instance | None:
        """The lock for ``identity``, or None if another live process holds it."""
        import fcntl

        lock_path, socket_path = _paths(identity)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        # Ours now: whatever socket file is there was left by a copy that died.
        with contextlib.suppress(FileNotFoundError):
            socket_path.unlink()
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(socket_path))
        listener.listen(4)
        return cls(fd, listener, socket_path)

    def serve(self, bring_to_front: Callable[[], None]) -> None:
        """Answer later launches on a thread: each one's request raises the window."""

        def loop() -> None:
            while not self._closed:
                try:
                    conn, _ = self._listener.accept()
                except OSError:
                    return  # closed
                with conn:
                    conn.settimeout(_ANSWER_SECONDS)
                    try:
                        if conn.recv(64) != _REQUEST:
                            continue
                        log.info("another launch of this app: bringing the window forward")
                        bring_to_front()
                        conn.sendall(_DONE)
                    except OSError as exc:
                        log.warning("a second launch's request failed: %s", exc)

        self._thread = threading.Thread(target=loop, name="nbapp-instance", daemon=True)
        self._thread.start()

    def release(self) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(OSError):
            self._socket_path.unlink()
        # shutdown() wakes a thread blocked in accept(); close() alone may not.
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        os.close(self._lock_fd)  # the lock goes with the descriptor


def holder_pid(identity: str) -> int | None:
    try:
        text = _paths(identity)[0].read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def ask_to_raise(identity: str) -> None:
    """Ask the running copy of ``identity`` to bring its window forward; InstanceError if it
    does not answer."""
    _, socket_path = _paths(identity)
    deadline = time.monotonic() + _CONNECT_SECONDS
    while True:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                conn.settimeout(_ANSWER_SECONDS)
                conn.connect(str(socket_path))
                conn.sendall(_REQUEST)
                if conn.recv(64) == _DONE:
                    return
                raise InstanceError("it did not bring its window forward")
        except (FileNotFoundError, ConnectionRefusedError) as exc:
            if time.monotonic() > deadline:
                raise InstanceError("it does not answer") from exc
            time.sleep(0.05)  # it took the lock a moment ago and is about to listen
        except OSError as exc:
            raise InstanceError(f"it does not answer ({exc})") from exc
