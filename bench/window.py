"""nbapp in its own window (Qt WebEngine) under a private Xvfb: RSS of every process it runs.

The window's page is the app's, so the app is done when its event stream (what the page reads)
says so; the RSS is then read over the whole process tree: the app (server and Qt UI in one
process), the kernel, and Qt WebEngine's helper processes (renderer, GPU, zygote).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from .servers import NBAPP_SERVING, Memory, memory, start_process
from .stats import summarize

_SECONDS = 120.0
SCREEN = (1280, 800)


@dataclass(frozen=True)
class WindowRun:
    done_s: float | None
    memory: Memory | None
    error: str = ""


def available() -> bool:
    return shutil.which("Xvfb") is not None


# Xvfb's own messages: why it exited, when it does (seen inside full runs only, not alone).
XVFB_LOG = Path(tempfile.gettempdir()) / "nbapp-bench-xvfb.log"


def _xvfb_said() -> str:
    try:
        lines = XVFB_LOG.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    fatal = [line for line in lines if "rror" in line or "atal" in line]
    return f": {(fatal or lines or [''])[-1].strip()}" if lines else ""


@dataclass
class Xvfb:
    """A private X server, its display, and the read end of its -displayfd pipe, which must
    stay open while it runs: Xvfb writes the number and its newline in two writes, and a pipe
    closed between them (or on a later reset) is a fatal error for it ("Cannot write display
    number")."""

    proc: subprocess.Popen[bytes]
    display: str
    pipe: int

    def exited(self) -> str:
        """Empty while it runs; else its exit status and its last error."""
        return "" if self.proc.poll() is None else f"{self.proc.returncode}{_xvfb_said()}"

    def stop(self) -> None:
        self.proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(10)
        os.close(self.pipe)


def start_xvfb() -> Xvfb:
    """A private Xvfb (1280x800), its own messages in XVFB_LOG; also bench/window_start.py's."""
    read_end, write_end = os.pipe()
    with XVFB_LOG.open("wb") as log:  # Popen keeps its own copy of the descriptor
        proc = subprocess.Popen(
            [
                "Xvfb",
                "-displayfd",
                str(write_end),
                "-noreset",
                "-nolisten",
                "tcp",
                "-screen",
                "0",
                f"{SCREEN[0]}x{SCREEN[1]}x24",
            ],
            pass_fds=(write_end,),
            stderr=log,
        )
    os.close(write_end)
    ready, _, _ = select.select([read_end], [], [], 30)
    number = os.read(read_end, 16).decode().strip() if ready else ""
    if not number:
        os.close(read_end)
        proc.kill()
        raise RuntimeError("Xvfb did not start")
    return Xvfb(proc, f":{number}", read_end)


def _done_in_stream(port: int, token: str, timeout: float) -> bool:
    """Read the event stream (replayed from the start on connect) until done or its end."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", "/nbapp/api/events", headers={"Authorization": f"token {token}"})
        response = conn.getresponse()
        if response.status != 200:
            raise RuntimeError(f"the app's event stream answered {response.status}")
        while line := response.fp.readline().decode():
            if line.startswith("data: "):
                event = json.loads(line[len("data: ") :])
                if event.get("type") == "status" and event.get("state") in {"done", "error"}:
                    return True
        return False
    finally:
        conn.close()


def wait_done(url: str, timeout: float) -> None:
    """The stream sometimes ends early while the window's page connects: read it again."""
    parts = urlsplit(url)
    token = parse_qs(parts.query)["token"][0]
    assert parts.port is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            if _done_in_stream(parts.port, token, deadline - time.monotonic()):
                return
        time.sleep(0.1)
    raise RuntimeError(f"the app did not report done within {timeout:g} s")


def measure(nbapp: Path, notebook: Path, reps: int) -> list[WindowRun]:
    runs = []
    xvfb = start_xvfb()
    # Qt WebEngine, whose helper processes the table counts (bench/window_start.py has both).
    env = {**os.environ, "NBAPP_WEBVIEW": "qt", "DISPLAY": xvfb.display}
    env["QTWEBENGINE_DISABLE_SANDBOX"] = "1"
    env.pop("WAYLAND_DISPLAY", None)
    try:
        for _ in range(reps):
            if xvfb.exited():
                runs.append(WindowRun(None, None, f"Xvfb exited with {xvfb.exited()}"))
                continue
            server = None
            try:
                argv = [str(nbapp), "run", str(notebook)]
                server = start_process("nbapp window", argv, NBAPP_SERVING, _SECONDS, env=env)
                wait_done(server.url, _SECONDS)
                done_s = time.time() - server.started
                time.sleep(2)  # the window's renderer paints after the last event
                if xvfb.exited() or any("instead" in line for line in server.log):
                    # No window after all (nbapp served for a browser): not this table's figure.
                    error = f"no window: Xvfb exited ({xvfb.exited() or 'running'})"
                    runs.append(WindowRun(None, None, error))
                else:
                    runs.append(WindowRun(done_s, memory(server)))
            except Exception as exc:  # reported, not fatal (no log: it holds the token)
                runs.append(WindowRun(None, None, f"{type(exc).__name__}: {exc}"))
            finally:
                if server is not None:
                    server.stop()
    finally:
        xvfb.stop()
    return runs


def table(runs: list[WindowRun], notebook: str) -> list[str]:
    """Median (min-max) over the runs, as the other tables."""

    def cell(values: list[float], digits: int) -> str:
        summary = summarize(values)
        if summary is None:
            return "n/a"
        low, high = summary.low, summary.high
        return f"{summary.median:.{digits}f} ({low:.{digits}f}-{high:.{digits}f})"

    mems = [r.memory for r in runs if r.memory is not None]
    rows = [
        ("process start to notebook done (s)", cell([r.done_s for r in runs if r.done_s], 2)),
        ("app RSS: server and Qt UI, one process (MB)", cell([m.server_mb for m in mems], 0)),
        ("kernel RSS (MB)", cell([m.kernel_mb for m in mems], 0)),
        ("Qt WebEngine helper processes RSS (MB)", cell([m.other_mb for m in mems], 0)),
        ("all processes RSS (MB)", cell([m.total_mb for m in mems], 0)),
    ]
    errors = sorted({r.error for r in runs if r.error})
    lines = [
        f"`nbapp run {notebook}` in its own window (Qt WebEngine) under a private Xvfb,"
        f" {len(runs)} runs; memory read 2 s after the app reported done. Voilà has no window"
        " of its own: its users add a browser.",
        "",
        "| figure | nbapp in a window |",
        "| --- | --- |",
        *(f"| {name} | {value} |" for name, value in rows),
    ]
    if errors:
        lines += ["", *(f"- failed run: {error}" for error in errors)]
    return lines
