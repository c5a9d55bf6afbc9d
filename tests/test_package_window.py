"""The default packaged app on Linux: its window is the system's WebKitGTK, which it does not
carry. Built once, then started as a user would (clean environment, fresh HOME) under a
private Xvfb: the window opens, shows the build run's snapshot at once, then the live
outputs; closing it ends app and kernel. Its .deb depends on the system's WebKitGTK.

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

from test_window import MAGENTA, count_colour

from support import NBAPP, SERVING, Md, descendants, gone, wait_for, write_notebook

BUILD_TIMEOUT = 1200
TITLE = "Field Board"
BLOCK = "<div style='width:600px;height:300px;background:#ff00ff'></div>"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not all(shutil.which(tool) for tool in ("Xvfb", "xdotool", "import", "dpkg-deb")),
        reason="needs Xvfb, xdotool, imagemagick and dpkg-deb (`make test` installs them)",
    ),
]


@dataclass(frozen=True)
class Built:
    executable: Path
    deb: Path
    stderr: str


@pytest.fixture(scope="module")
def gtk_app(tmp_path_factory: pytest.TempPathFactory) -> Built:
    from nbapp.window import gtk_missing

    problem = gtk_missing()
    if problem:
        pytest.fail(f"{problem}; `make test` installs it")
    work = tmp_path_factory.mktemp("gtkapp")
    notebook = write_notebook(
        work / "board.ipynb",
        [
            Md(f"# {TITLE}"),
            f"from IPython.display import HTML\nHTML({BLOCK!r})",
            # Long enough that the live run is still going while the window first paints.
            "import time\ntime.sleep(3)\nprint('slow cell done')",
        ],
    )
    done = subprocess.run(
        [NBAPP, "package", str(notebook), "-o", str(work / "dist"), "--installer", "deb"],
        cwd=work,
        env={**os.environ, "XDG_CACHE_HOME": str(work / "cache")},
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (deb,) = (work / "dist").glob("board_*.deb")
    return Built(work / "dist" / "board" / "board", deb, done.stderr)


def test_default_build_carries_no_web_view_of_its_own(gtk_app: Built) -> None:
    internal = gtk_app.executable.parent / "_internal"
    assert (internal / "gi").is_dir()  # PyGObject's Python side is in the app
    carried = [p.name for p in internal.rglob("*") if p.is_file()]
    for system_part in ("libwebkit2gtk", "libgtk-3", "libglib-2.0", "libgirepository", "Qt6"):
        assert not [n for n in carried if system_part in n], system_part
    assert not (internal / "PySide6").exists() and not (internal / "gi_typelibs").exists()
    # The build checked that the app loads its web view, and reported its size.
    assert "its web view, then headless" in gtk_app.stderr
    assert f"nbapp: size of {gtk_app.executable.parent}:" in gtk_app.stderr
    control = subprocess.run(
        ["dpkg-deb", "--field", str(gtk_app.deb), "Depends"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "gir1.2-webkit2-4.1" in control and "libgirepository-1.0-1" in control, control


def _windows(screen: str) -> str:
    found = subprocess.run(
        ["xdotool", "search", "--onlyvisible", "--name", f"^{TITLE}$"],
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
        threading.Thread(target=lambda: errors.extend(proc.stderr), daemon=True).start()  # type: ignore[arg-type]
        launched = Launched(proc, errors)
        started.append(launched)
        return launched

    yield start
    for launched in started:
        if launched.proc.poll() is None:
            launched.proc.kill()
        launched.proc.wait(10)


def test_window_opens_on_the_snapshot_then_the_live_run(
    gtk_app: Built,
    launch: Callable[[Path], Launched],
    xvfb: str,
    tmp_path: Path,
) -> None:
    app = launch(gtk_app.executable)
    assert app.proc.stdout is not None
    line = app.proc.stdout.readline().strip()
    assert SERVING.match(line), f"{line!r}: {''.join(app.stderr)}"

    def window() -> str:
        if app.proc.poll() is not None:
            raise AssertionError(f"the app exited {app.proc.returncode}: {''.join(app.stderr)}")
        return _windows(xvfb)

    found = int(wait_for(window, 60, "the app's window").split()[0])

    def magenta() -> Image.Image | None:
        shot = _screenshot(xvfb, tmp_path / "shot.png")
        return shot if count_colour(shot, MAGENTA) > 0.9 * 600 * 300 else None

    # The block shows while the slow cell still runs (the build run's snapshot, or its live
    # output): a fresh HOME has no snapshot of its own.
    wait_for(magenta, 30, "the magenta block in the WebKitGTK window")
    kernels = wait_for(
        lambda: [p for p in descendants(app.proc.pid) if "--nbapp-kernel" in p.cmdline()],
        30,
        "the kernel",
    )
    family = [*descendants(app.proc.pid), *kernels]
    _close(xvfb, found)
    assert app.proc.wait(30) == 0, "".join(app.stderr)
    wait_for(lambda: gone(family), 15, "the kernel to exit with the window")
    assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in family)


def test_sigterm_closes_the_gtk_window(
    gtk_app: Built, launch: Callable[[Path], Launched], xvfb: str
) -> None:
    app = launch(gtk_app.executable)
    assert app.proc.stdout is not None
    assert SERVING.match(app.proc.stdout.readline().strip()), "".join(app.stderr)
    wait_for(lambda: _windows(xvfb), 60, "the app's window")
    family = descendants(app.proc.pid)
    app.proc.send_signal(signal.SIGTERM)
    assert app.proc.wait(30) == 0, "".join(app.stderr)
    wait_for(lambda: gone(family), 15, "the kernel to exit")
