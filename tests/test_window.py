"""The desktop window: a real Qt WebEngine window under a real X server (Xvfb).

Each test starts ``nbapp run`` without --no-window, finds its window by title, looks at the
screen's pixels, and closes it the way a window manager does (WM_DELETE_WINDOW).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
from PIL import Image
from Xlib import X, display, protocol
from Xlib.xobject.drawable import Window as XWindow

from support import (
    NBAPP,
    Md,
    Running,
    kernel_runtime_dir,
    read_events,
    state_is,
    wait_for,
    wait_serving,
    write_notebook,
)

pytestmark = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("Xvfb", "xdotool", "import")),
    reason="needs Xvfb, xdotool and imagemagick (`make test` installs them)",
)

MAGENTA = (255, 0, 255)
GREEN = (0, 255, 0)
BLOCK = "<div style='width:600px;height:300px;background:#{}'></div>"
START_TIMEOUT = 60.0


@dataclass
class Windowed:
    """An ``nbapp run`` with a window, and the X display it is on."""

    running: Running
    display: str
    env: dict[str, str]

    @property
    def proc(self) -> subprocess.Popen[str]:
        return self.running.proc

    def xdotool(self, *args: str) -> str:
        result = subprocess.run(
            ["xdotool", *args], env=self.env, capture_output=True, text=True, check=False
        )
        return result.stdout.strip() if result.returncode == 0 else ""

    def find_window(self, title: str, timeout: float = START_TIMEOUT) -> int:
        def search() -> str:
            if self.proc.poll() is not None:
                raise AssertionError(f"nbapp exited {self.proc.returncode}: {self.running.stderr}")
            return self.xdotool("search", "--onlyvisible", "--name", f"^{title}$")

        found = wait_for(search, timeout, f"a window titled {title!r}")
        return int(found.split()[0])

    def geometry(self, window: int) -> tuple[int, int]:
        out = self.xdotool("getwindowgeometry", "--shell", str(window))
        values = dict(line.split("=", 1) for line in out.splitlines())
        return int(values["WIDTH"]), int(values["HEIGHT"])

    def screenshot(self, path: Path) -> Image.Image:
        subprocess.run(["import", "-window", "root", str(path)], env=self.env, check=True)
        return Image.open(path).convert("RGB")

    def close_window(self, window: int) -> None:
        """What a window manager does when the user clicks the close button."""
        conn = display.Display(self.display)
        try:
            target: XWindow = conn.create_resource_object("window", window)
            protocols = conn.intern_atom("WM_PROTOCOLS")
            delete = conn.intern_atom("WM_DELETE_WINDOW")
            event = protocol.event.ClientMessage(
                window=target, client_type=protocols, data=(32, [delete, X.CurrentTime, 0, 0, 0])
            )
            target.send_event(event, event_mask=X.NoEventMask)
            # A round trip, not just a flush: closing the connection right after a flush lost
            # the message now and then on a loaded machine (CI), and the window never closed.
            conn.sync()
        finally:
            conn.close()


def count_colour(image: Image.Image, colour: tuple[int, int, int]) -> int:
    return sum(n for n, pixel in image.getcolors(image.width * image.height) if pixel == colour)


def box_of(image: Image.Image, colour: tuple[int, int, int]) -> tuple[int, int, int, int] | None:
    data = image.load()
    assert data is not None
    xs, ys = [], []
    for y in range(0, image.height, 4):
        for x in range(0, image.width, 4):
            if data[x, y] == colour:
                xs.append(x)
                ys.append(y)
    return (min(xs), min(ys), max(xs), max(ys)) if xs else None


@pytest.fixture
def window_env(tmp_path: Path, xvfb: str) -> dict[str, str]:
    """The display, and XDG dirs of our own so logs and remembered sizes stay in tmp_path.

    The Qt window: these tests drive its dialogs, which differ from WebKitGTK's; the default
    web view (WebKitGTK where it can be used) is tested where it is named."""
    env = {k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY", "BROWSER")}
    env.update(
        NBAPP_WEBVIEW="qt",
        DISPLAY=xvfb,
        XDG_STATE_HOME=str(tmp_path / "state"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
    )
    return env


def start_windowed(notebook: Path, args: Sequence[str], env: dict[str, str]) -> Windowed:
    """``nbapp run NOTEBOOK ARGS`` with a window on ``env``'s DISPLAY, once it serves."""
    proc = subprocess.Popen(
        [NBAPP, "run", "--port", "0", str(notebook), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    running = wait_serving(proc, START_TIMEOUT)
    return Windowed(running, env["DISPLAY"], env)


@pytest.fixture
def open_window(xvfb: str, window_env: dict[str, str]) -> Iterator[Callable[..., Windowed]]:
    started: list[Windowed] = []

    def start(notebook: Path, *args: str, env: dict[str, str] | None = None) -> Windowed:
        started.append(start_windowed(notebook, args, env or window_env))
        return started[-1]

    yield start
    for windowed in started:
        windowed.running.close()


def _assert_clean_exit(app: Windowed, kernels: list[psutil.Process], runtime: Path) -> None:
    assert app.proc.wait(30) == 0, app.running.stderr
    wait_for(lambda: all(not k.is_running() for k in kernels), 10, "the kernel to exit")
    assert not runtime.exists(), f"runtime dir {runtime} left behind"
    assert app.proc.stdout is not None
    assert app.proc.stdout.read() == ""  # the serving line was the only stdout line


def _kernel_and_runtime(app: Windowed) -> tuple[list[psutil.Process], Path]:
    kernels = wait_for(app.running.kernels, 30, "the kernel process")
    return kernels, kernel_runtime_dir(kernels[0])


# The process each web view draws pages in: the system's WebKitGTK is the default where it can
# be used (this environment has PyGObject and gir1.2-webkit2-4.1), Qt WebEngine when asked for.
WEB_PROCESS = {"default": "WebKitWebProcess", "qt": "QtWebEngineProcess"}


def _web_processes(app: Windowed) -> list[str]:
    found = []
    for child in psutil.Process(app.proc.pid).children(recursive=True):
        with contextlib.suppress(psutil.Error):
            found.append(" ".join(child.cmdline()))
    return found


@pytest.fixture(params=["default", "qt"])
def each_web_view(
    request: pytest.FixtureRequest, window_env: dict[str, str]
) -> tuple[str, dict[str, str]]:
    """Both web views, the default (WebKitGTK here) and Qt: its name, and the env picking it."""
    env = dict(window_env)
    if request.param == "default":
        del env["NBAPP_WEBVIEW"]
    return request.param, env


def test_window_shows_output_then_closes_cleanly(
    tmp_path: Path,
    open_window: Callable[..., Windowed],
    window_env: dict[str, str],
    each_web_view: tuple[str, dict[str, str]],
) -> None:
    webview, env = each_web_view
    nb = write_notebook(
        tmp_path / "board.ipynb",
        [
            Md("# Magenta Board"),
            f"from IPython.display import HTML\nHTML({BLOCK.format('ff00ff')!r})",
            # What a C extension in the kernel prints goes to the kernel's own stderr.
            "import os\nos.write(2, b'kernel native chatter\\n')",
        ],
    )
    app = open_window(nb, env=env)
    window = app.find_window("Magenta Board")  # title from the first heading
    kernels, runtime = _kernel_and_runtime(app)
    read_events(app.running, state_is("done"))

    def magenta_shown() -> Image.Image | None:
        shot = app.screenshot(tmp_path / "shot.png")
        return shot if count_colour(shot, MAGENTA) > 0.9 * 600 * 300 else None

    shot = wait_for(magenta_shown, 30, "the cell's magenta block on screen")
    assert count_colour(shot, MAGENTA) <= 600 * 300 * 1.05  # the block, not a magenta screen
    drawn_by = _web_processes(app)
    assert any(WEB_PROCESS[webview] in command for command in drawn_by), drawn_by
    app.close_window(window)
    _assert_clean_exit(app, kernels, runtime)
    # A windowed app has no console: Qt's and the kernel's chatter went to the log file,
    # nothing to stderr.
    assert app.running.stderr == ""
    log_file = Path(window_env["XDG_STATE_HOME"]) / "nbapp" / "log" / "nbapp.log"
    assert "kernel native chatter" in log_file.read_text()
    assert app.running.token not in log_file.read_text()
    assert oct(log_file.stat().st_mode & 0o777) == oct(0o600)


def test_sigterm_closes_the_window_and_exits_0(
    tmp_path: Path, open_window: Callable[..., Windowed]
) -> None:
    nb = write_notebook(tmp_path / "nb.ipynb", ["x = 1"], metadata={"nbapp": {"title": "Sig Term"}})
    app = open_window(nb)
    app.find_window("Sig Term")
    kernels, runtime = _kernel_and_runtime(app)
    read_events(app.running, state_is("done"))
    app.proc.send_signal(signal.SIGTERM)
    _assert_clean_exit(app, kernels, runtime)


def test_repeated_sigterm_closes_the_window_once(
    tmp_path: Path,
    open_window: Callable[..., Windowed],
    each_web_view: tuple[str, dict[str, str]],
) -> None:
    """A SIGTERM from a service manager and another from the user (or a process group): one
    close, exit 0, nothing on stderr."""
    _, env = each_web_view
    nb = write_notebook(tmp_path / "nb.ipynb", ["x = 1"], metadata={"nbapp": {"title": "Twice"}})
    app = open_window(nb, env=env)
    app.find_window("Twice")
    kernels, runtime = _kernel_and_runtime(app)
    read_events(app.running, state_is("done"))
    for _ in range(3):
        app.proc.send_signal(signal.SIGTERM)
        time.sleep(0.02)  # apart: signals sent at once reach Python's handler as one
    _assert_clean_exit(app, kernels, runtime)
    app.running.stderr_reader.join(10)  # type: ignore[union-attr]
    assert app.running.stderr == ""


def test_size_from_metadata_then_remembered(
    tmp_path: Path, open_window: Callable[..., Windowed]
) -> None:
    nb = write_notebook(
        tmp_path / "sized.ipynb",
        ["x = 1"],
        metadata={"nbapp": {"title": "Sized", "width": 700, "height": 500}},
    )
    first = open_window(nb)
    window = first.find_window("Sized")
    assert first.geometry(window) == (700, 500)
    first.xdotool("windowsize", str(window), "900", "600")
    wait_for(lambda: first.geometry(window) == (900, 600), 10, "the resize")
    first.close_window(window)
    assert first.proc.wait(30) == 0

    second = open_window(nb)
    window = second.find_window("Sized")
    assert second.geometry(window) == (900, 600)
    second.proc.send_signal(signal.SIGTERM)
    assert second.proc.wait(30) == 0


def test_links_to_other_sites_open_in_the_system_browser(
    tmp_path: Path, open_window: Callable[..., Windowed], window_env: dict[str, str]
) -> None:
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\necho "$1" >> {opened}\n')
    browser.chmod(0o755)
    link = "<a href='http://example.invalid/elsewhere' style='display:block;width:600px;height:300px;background:#00ff00'>out</a>"
    nb = write_notebook(
        tmp_path / "links.ipynb",
        [Md("# Link Board"), f"from IPython.display import HTML\nHTML({link!r})"],
    )
    app = open_window(nb, env={**window_env, "BROWSER": str(browser)})
    window = app.find_window("Link Board")
    read_events(app.running, state_is("done"))
    box = wait_for(
        lambda: box_of(app.screenshot(tmp_path / "before.png"), GREEN), 30, "the green link"
    )
    x, y = (box[0] + box[2]) // 2, (box[1] + box[3]) // 2
    app.xdotool("mousemove", str(x), str(y), "click", "1")
    wait_for(lambda: opened.is_file() and opened.read_text().strip(), 20, "the system browser")
    assert opened.read_text().strip() == "http://example.invalid/elsewhere"
    # The window stayed on the app: the link is still on screen after the click.
    after = app.screenshot(tmp_path / "after.png")
    assert count_colour(after, GREEN) > 0.9 * 600 * 300
    app.close_window(window)
    assert app.proc.wait(30) == 0


def test_download_goes_through_a_native_save_dialog(
    tmp_path: Path, open_window: Callable[..., Windowed], window_env: dict[str, str]
) -> None:
    """A `download` link opens Qt's Save dialog in the user's Downloads folder; the file is
    written where the user says."""
    csv = "site,mean\nnorth,9.7\n"
    link = (
        "<a download='table.csv' href='data:text/csv,' + csv + ''"
        " style='display:block;width:600px;height:300px;background:#00ff00'>save</a>"
    )
    nb = write_notebook(
        tmp_path / "dl.ipynb",
        [
            Md("# Download Board"),
            f"from IPython.display import HTML\nimport urllib.parse\ncsv = {csv!r}\n"
            f"HTML({link!r}.replace(\"' + csv + '\", urllib.parse.quote(csv)))",
        ],
    )
    downloads = tmp_path / "Downloads"
    downloads.mkdir()
    env = {**window_env, "XDG_DOWNLOAD_DIR": str(downloads), "HOME": str(tmp_path)}
    app = open_window(nb, env=env)
    window = app.find_window("Download Board")
    read_events(app.running, state_is("done"))
    box = wait_for(
        lambda: box_of(app.screenshot(tmp_path / "before.png"), GREEN), 30, "the green link"
    )
    app.xdotool("mousemove", str((box[0] + box[2]) // 2), str((box[1] + box[3]) // 2), "click", "1")
    dialog = wait_for(
        lambda: app.xdotool("search", "--onlyvisible", "--name", "^Save file$"),
        30,
        "the Save dialog",
    )
    target = downloads / "saved-by-user.csv"
    app.xdotool("windowfocus", "--sync", dialog.split()[0])
    app.xdotool("key", "--clearmodifiers", "ctrl+a")
    app.xdotool("type", "--delay", "20", target.name)  # a bare name: saved where it opened
    app.xdotool("key", "Return")
    wait_for(lambda: target.is_file() and target.stat().st_size > 0, 20, "the saved file")
    assert target.read_text() == "site,mean\nnorth,9.7\n"
    app.close_window(window)
    assert app.proc.wait(30) == 0


def test_file_upload_through_the_native_file_dialog(
    tmp_path: Path, open_window: Callable[..., Windowed]
) -> None:
    """FileUpload opens the window's file dialog; the chosen file's bytes reach the kernel."""
    upload = tmp_path / "readings.csv"
    upload.write_bytes(b"day,value\n1,42\n")
    received = tmp_path / "received.bin"
    nb = write_notebook(
        tmp_path / "up.ipynb",
        [
            Md("# Upload Board"),
            "import ipywidgets as w\n"
            "up = w.FileUpload(layout=w.Layout(width='600px', height='300px'))\n"
            "up.style.button_color = '#00ff00'\n"
            f"up.observe(lambda change: open({str(received)!r}, 'wb').write(bytes(up.value[0]['content'])), 'value')\n"
            "up",
        ],
    )
    app = open_window(nb)
    window = app.find_window("Upload Board")
    read_events(app.running, state_is("done"))
    box = wait_for(
        lambda: box_of(app.screenshot(tmp_path / "before.png"), GREEN),
        30,
        "the green upload button",
    )
    app.xdotool("mousemove", str((box[0] + box[2]) // 2), str((box[1] + box[3]) // 2), "click", "1")
    titles = "^(Open File|Open|Upload|Choose File)$"
    dialog = wait_for(
        lambda: app.xdotool("search", "--onlyvisible", "--name", titles), 30, "the file dialog"
    )
    app.xdotool("windowfocus", "--sync", dialog.split()[0])
    app.xdotool("type", "--delay", "20", str(upload))
    app.xdotool("key", "Return")
    wait_for(
        lambda: received.is_file() and received.stat().st_size > 0, 30, "the upload in the kernel"
    )
    assert received.read_bytes() == upload.read_bytes()
    app.close_window(window)
    assert app.proc.wait(30) == 0


CHOOSE = """
import sys
class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name in sys.argv[1:]:
            raise ModuleNotFoundError(f"No module named {name!r}")
        return None
sys.meta_path.insert(0, Blocker())
from nbapp.gui.window import choose_backend
print(choose_backend())
"""


@pytest.mark.parametrize(
    ("asked", "missing", "chosen"),
    [
        (None, [], "gtk"),  # the system's web view first, as pywebview prefers on Linux
        (None, ["gi"], "qt"),  # without PyGObject: Qt WebEngine, nbapp's own dependency
        ("qt", [], "qt"),
        ("gtk", ["qtpy"], "gtk"),
    ],
)
def test_the_default_web_view_is_the_systems(
    asked: str | None, missing: list[str], chosen: str
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NBAPP_WEBVIEW"}
    if asked:
        env["NBAPP_WEBVIEW"] = asked
    done = subprocess.run(
        [sys.executable, "-c", CHOOSE, *missing],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.strip() == chosen


# --- when there can be no window ---------------------------------------------------------------
BLOCK_WEBVIEW = """
import sys
class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name == "webview" or name.startswith("webview."):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return None
sys.meta_path.insert(0, Blocker())
from nbapp.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_no_backend_is_one_clear_line_and_exit_2(
    tmp_path: Path, window_env: dict[str, str]
) -> None:
    nb = write_notebook(tmp_path / "nb.ipynb", ["x = 1"])
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    # pywebview "not installed": an import hook refuses it, as a missing package would.
    result = subprocess.run(
        [sys.executable, "-c", BLOCK_WEBVIEW, "run", str(nb)],
        env={**window_env, "TMPDIR": str(scratch)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("nbapp: error: cannot open a window: no GUI backend is installed")
    assert "pip install pywebview" in lines[0] and "--no-window" in lines[0]
    assert list(scratch.iterdir()) == []  # no kernel was started


def test_an_unknown_web_view_is_one_clear_line_and_exit_2(
    tmp_path: Path, window_env: dict[str, str]
) -> None:
    nb = write_notebook(tmp_path / "nb.ipynb", ["x = 1"])
    result = subprocess.run(
        [NBAPP, "run", str(nb)],
        env={**window_env, "NBAPP_WEBVIEW": "webkit"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == "nbapp: error: NBAPP_WEBVIEW=webkit: expected qt or gtk\n"


def test_no_display_falls_back_to_serving(tmp_path: Path, window_env: dict[str, str]) -> None:
    nb = write_notebook(tmp_path / "nb.ipynb", ["x = 1"])
    env = {k: v for k, v in window_env.items() if k != "DISPLAY"}
    proc = subprocess.Popen(
        [NBAPP, "run", "--port", "0", str(nb)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    running = wait_serving(proc, START_TIMEOUT)
    try:
        read_events(running, state_is("done"))
        assert running.stop() == 0
        running.stderr_reader.join(10)  # type: ignore[union-attr]
        assert running.stderr.strip().splitlines() == [
            "nbapp: no display (DISPLAY and WAYLAND_DISPLAY are unset); "
            "serving for a browser instead"
        ]
    finally:
        running.close()


@pytest.mark.parametrize(
    ("gui", "gpu", "users", "expected"),
    [
        ("gtk", False, None, "1"),  # no GPU: WebKit paints on the CPU (not Mesa's software GL)
        ("gtk", True, None, None),  # a GPU: WebKit's default renderer
        ("gtk", False, "0", "0"),  # the user's own setting wins
        ("qt", False, None, None),  # not WebKit's business
    ],
)
def test_webkit_renderer_follows_the_gpu(
    monkeypatch: pytest.MonkeyPatch, gui: str, gpu: bool, users: str | None, expected: str | None
) -> None:
    from nbapp.gui import window

    variable = "WEBKIT_DISABLE_DMABUF_RENDERER"
    monkeypatch.delenv(variable, raising=False)
    monkeypatch.delenv("QTWEBENGINE_DISABLE_SANDBOX", raising=False)  # restored after, if set
    if users is not None:
        monkeypatch.setenv(variable, users)
    monkeypatch.setattr(window, "_gpu_render_node", lambda: gpu)  # no GPU to add or remove here
    window._prepare_environment(gui)
    assert os.environ.get(variable) == expected
