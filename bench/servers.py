"""Starting nbapp, Voilà and ``panel serve`` as a user would, and reading their process trees."""

from __future__ import annotations

import contextlib
import re
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

NBAPP_SERVING = re.compile(r"^nbapp: serving .+ at (?P<url>http://127\.0\.0\.1:\d+/\S*)$")
VOILA_URL = re.compile(r"^(?P<url>http://127\.0\.0\.1:\d+/\S*)$")
PANEL_URL = re.compile(r".*Bokeh app running at: (?P<url>http://127\.0\.0\.1:\d+/\S*)$")
KERNEL_MARKERS = ("ipykernel", "nbapp.kernel.main", "--nbapp-kernel")


@dataclass
class Server:
    """A running server process, the wall-clock time it was started, and its page URL."""

    tool: str
    proc: subprocess.Popen[str]
    started: float
    url: str = ""
    ready: float = 0.0  # wall-clock time the URL line was read
    log: list[str] = field(default_factory=list)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL for the whole tree if it has not gone within 10 s."""
        tree = _tree(self.proc.pid)
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        for child in tree:
            with contextlib.suppress(psutil.Error):
                if child.is_running():
                    child.kill()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


@dataclass(frozen=True)
class Memory:
    """Resident memory in MB of a server and of the processes it started."""

    server_mb: float
    kernel_mb: float
    other_mb: float

    @property
    def total_mb(self) -> float:
        return self.server_mb + self.kernel_mb + self.other_mb


def _tree(pid: int) -> list[psutil.Process]:
    try:
        children: list[psutil.Process] = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    return children


def memory(server: Server) -> Memory:
    """RSS of the server process and, split by kind, of every process below it."""
    mb = 1024 * 1024
    server_rss = psutil.Process(server.proc.pid).memory_info().rss / mb
    kernel = other = 0.0
    for child in _tree(server.proc.pid):
        try:
            rss = child.memory_info().rss / mb
            is_kernel = any(marker in " ".join(child.cmdline()) for marker in KERNEL_MARKERS)
        except psutil.Error:
            continue
        if is_kernel:
            kernel += rss
        else:
            other += rss
    return Memory(server_rss, kernel, other)


def _read_lines(server: Server, pattern: re.Pattern[str], found: threading.Event) -> None:
    assert server.proc.stdout is not None
    with contextlib.suppress(ValueError, OSError):
        for raw in server.proc.stdout:
            line = raw.rstrip("\n")
            server.log.append(line)
            match = pattern.match(line.strip())
            if match and not found.is_set():
                server.ready = time.time()
                server.url = match["url"]
                found.set()


def start_process(
    tool: str,
    argv: list[str],
    pattern: re.Pattern[str],
    timeout: float,
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> Server:
    started = time.time()
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
        env=env,
        cwd=cwd,
    )
    server = Server(tool, proc, started)
    found = threading.Event()
    threading.Thread(target=_read_lines, args=(server, pattern, found), daemon=True).start()
    deadline = time.monotonic() + timeout
    while not found.wait(0.1):
        if proc.poll() is not None or time.monotonic() > deadline:
            break
    if not found.is_set():
        server.stop()
        tail = "\n".join(server.log[-10:])
        raise RuntimeError(f"{tool} did not print its URL (exit code {proc.returncode}):\n{tail}")
    return server


def start_nbapp(
    nbapp: Path, notebook: Path, query: str, timeout: float = 60, *, extra: tuple[str, ...] = ()
) -> Server:
    """From the notebook's folder, as a user would type it (so is Voilà). Without the last
    run's snapshot: both tools start from nothing (the window section measures instant open)."""
    argv = [str(nbapp), "run", "--no-window", "--port", "0", "--no-snapshot", *extra, notebook.name]
    if query:
        argv += ["--query", query]
    return start_process("nbapp", argv, NBAPP_SERVING, timeout, cwd=notebook.parent)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_voila(voila: Path, notebook: Path, query: str, timeout: float = 60) -> Server:
    """Voilà 0.5 with no token (its default), on 127.0.0.1, without opening a browser."""
    argv = [
        str(voila),
        "--no-browser",
        f"--port={free_port()}",
        "--Voila.ip=127.0.0.1",
        notebook.name,
    ]
    # From the notebook's folder: launched from elsewhere with an absolute path, Voilà 0.5.13
    # never finished sending corpus/voila/interactive.ipynb to Chromium here.
    server = start_process("voila", argv, VOILA_URL, timeout, cwd=notebook.parent)
    if query:
        server.url += ("&" if "?" in server.url else "?") + query
    return server


def start_panel_serve(panel: Path, notebook: Path, timeout: float = 60) -> Server:
    """``panel serve`` on 127.0.0.1, from the notebook's folder; its page is the app's URL."""
    port = free_port()
    argv = [
        str(panel),
        "serve",
        notebook.name,
        "--address=127.0.0.1",
        f"--port={port}",
        f"--allow-websocket-origin=127.0.0.1:{port}",
    ]
    return start_process("panel serve", argv, PANEL_URL, timeout, cwd=notebook.parent)
