"""The default packaged app on Linux: its window is the system's WebKitGTK, which it does not
carry. Built with the other packaging tests' apps (tests/packaged_apps.py), then started as
a user would (clean environment, fresh HOME) under a private Xvfb: the window paints the
build run's snapshot at once, dimmed while the live run is still in its slow cell, then the
live output; closing it ends app and kernel. Its .deb depends on the system's WebKitGTK.

(The self-contained Qt window build is tested in tests/test_installers.py: its .deb installed
with apt in a minimal Debian root opens its Qt window there.)
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
from PIL import Image
from Xlib import X, display, protocol

from nbapp.installers import build_installer

from packaged_apps import BOARD_TITLE, Build
from support import SERVING, descendants, gone, wait_for

DEFAULT_BUILD = ("board",)  # what this module needs from the session's build (conftest.py)
BLOCK_PIXELS = 600 * 300

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not all(shutil.which(tool) for tool in ("Xvfb", "xdotool", "import", "dpkg-deb")),
        reason="needs Xvfb, xdotool, imagemagick and dpkg-deb (`make test` installs them)",
    ),
]


@pytest.fixture(scope="module")
def board(default_build: Build) -> Path:
    from nbapp.gui.window import gtk_missing

    problem = gtk_missing()
    if problem:
        pytest.fail(f"{problem}; `make test` installs it")
    return default_build.executable("board")


def test_default_build_carries_no_web_view_of_its_own(
    default_build: Build, board: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    internal = board.parent / "_internal"
    assert (internal / "gi").is_dir()  # PyGObject's Python side is in the app
    carried = [p.name for p in internal.rglob("*") if p.is_file()]
    # Nothing of the system's web view stack, nor what it links to (libstdc++ and zlib too:
    # the system's own must be the ones its WebKitGTK loads).
    for system_part in (
        "libwebkit2gtk", "libgtk-3", "libglib-2.0", "libgirepository", "libstdc++", "libz.so",
        "Qt6",
    ):  # fmt: skip
        assert not [n for n in carried if system_part in n], system_part
    assert not (internal / "PySide6").exists() and not (internal / "gi_typelibs").exists()
    # The build checked that the app loads its web view, and reported its size.
    default_build.stage("smoke test", "starting board its web view, then headless")
    assert f"nbapp: size of {board.parent}:" in default_build.stderr
    # Only its control fields are read here: gzip takes seconds where zstd -19 takes a minute.
    monkeypatch.setenv("NBAPP_DEB_COMPRESSION", "gzip")
    deb = build_installer("deb", board.parent, name="board", version="1.0.0", icon=None,
                          out_dir=tmp_path)  # fmt: skip
    control = subprocess.run(
        ["dpkg-deb", "--field", str(deb), "Depends"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "gir1.2-webkit2-4.1" in control and "libgirepository-1.0-1" in control, control


def _pixels(image: Image.Image) -> tuple[int, int]:
    """Pixels of the magenta block drawn live, and drawn dimmed (a snapshot cell, at 0.55
    opacity over the white page: green about 115)."""
    live = dimmed = 0
    for n, (r, g, b) in image.getcolors(image.width * image.height) or []:
        if r > 240 and b > 240:
            if g < 30:
                live += n
            elif 90 < g < 140:
                dimmed += n
    return live, dimmed


def _windows(screen: str) -> str:
    found = subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--name", f"^{BOARD_TITLE}$"],
        env={**os.environ, "DISPLAY": screen},
        capture_output=True,
        text=True,
        check=False,
    )
    return found.stdout.strip()


def _screenshot(screen: str, path: Path) -> Image.Image:
    subprocess.run(["import", "-display", screen, "-window", "root", str(path)], check=True)
    return Image.open(path).convert("RGB")


def _close(screen: str, window: int) -> None:
    """What a window manager does on the close button (as tests/test_window.py does)."""
    conn = display.Display(screen)
    try:
        target = conn.create_resource_object("window", window)
        protocols, delete = conn.intern_atom("WM_PROTOCOLS"), conn.intern_atom("WM_DELETE_WINDOW")
        event = protocol.event.ClientMessage(
            window=target, client_type=protocols, data=(32, [delete, X.CurrentTime, 0, 0, 0])
        )
        target.send_event(event, event_mask=X.NoEventMask)
        conn.sync()
    finally:
        conn.close()


@dataclass
class Launched:
    proc: subprocess.Popen[str]
    stderr: list[str]
    reader: threading.Thread


@pytest.fixture
def launch(tmp_path: Path, xvfb: str) -> Iterator[Callable[[Path], Launched]]:
    started: list[Launched] = []

    def start(executable: Path) -> Launched:
        home = tmp_path / "home"
        home.mkdir(exist_ok=True)
        proc = subprocess.Popen(
            ["env", "-i", "PATH=/usr/bin:/bin", f"HOME={home}", f"DISPLAY={xvfb}",
             str(executable), "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        errors: list[str] = []
        reader = threading.Thread(target=lambda: errors.extend(proc.stderr), daemon=True)  # type: ignore[arg-type]
        reader.start()
        launched = Launched(proc, errors, reader)
        started.append(launched)
        return launched

    yield start
    for launched in started:
        if launched.proc.poll() is None:
            launched.proc.kill()
        launched.proc.wait(10)
        launched.reader.join(10)  # stderr at its end: the app and its children are gone
        for pipe in (launched.proc.stdout, launched.proc.stderr):
            if pipe is not None:
                pipe.close()


def test_window_opens_on_the_snapshot_then_the_live_run(
    board: Path,
    launch: Callable[[Path], Launched],
    xvfb: str,
    tmp_path: Path,
) -> None:
    app = launch(board)
    assert app.proc.stdout is not None
    line = app.proc.stdout.readline().strip()
    assert SERVING.match(line), f"{line!r}: {''.join(app.stderr)}"

    def window() -> str:
        if app.proc.poll() is not None:
            raise AssertionError(f"the app exited {app.proc.returncode}: {''.join(app.stderr)}")
        return _windows(xvfb)

    found = int(wait_for(window, 60, "the app's window").split()[0])
    kernels = wait_for(
        lambda: [p for p in descendants(app.proc.pid) if "--nbapp-kernel" in p.cmdline()],
        30,
        "the kernel",
    )
    seen: list[tuple[int, int]] = []

    def block(dimmed: bool) -> bool:
        seen.append(_pixels(_screenshot(xvfb, tmp_path / "shot.png")))
        return seen[-1][1 if dimmed else 0] > 0.9 * BLOCK_PIXELS

    # A fresh HOME has no snapshot of its own: the build run's is painted at once, dimmed,
    # while the live run is still in its slow cell (the block's cell comes after it).
    wait_for(lambda: block(dimmed=True), 30, "the snapshot's dimmed block in the window")
    assert not any(live for live, _ in seen), seen
    wait_for(lambda: block(dimmed=False), 60, "the live block to replace the snapshot")
    family = [*descendants(app.proc.pid), *kernels]
    _close(xvfb, found)
    assert app.proc.wait(30) == 0, "".join(app.stderr)
    wait_for(lambda: gone(family), 15, "the kernel to exit with the window")
    assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in family)


def test_sigterm_closes_the_gtk_window(
    board: Path, launch: Callable[[Path], Launched], xvfb: str
) -> None:
    app = launch(board)
    assert app.proc.stdout is not None
    assert SERVING.match(app.proc.stdout.readline().strip()), "".join(app.stderr)
    wait_for(lambda: _windows(xvfb), 60, "the app's window")
    family = descendants(app.proc.pid)
    app.proc.send_signal(signal.SIGTERM)
    assert app.proc.wait(30) == 0, "".join(app.stderr)
    wait_for(lambda: gone(family), 15, "the kernel to exit")
