"""The desktop window: the only module that knows a GUI exists.

pywebview owns the main thread (Cocoa and Qt insist on it); the app (tornado and the kernel)
runs on a background thread's asyncio loop. The window opens the token URL at once: the port
is bound and listening before the window exists, so the page's own status bar ("Starting the
kernel", "Running cell i of n") is the splash, with no second page load. Whatever ends the GUI
loop (the user closing the window, SIGTERM, SIGINT) then stops the app: server, pages, kernel.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
import os
import signal
import socket
import sys
import threading
import time
import webbrowser
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import platformdirs

from nbapp import startup
from nbapp.errors import UsageError
from nbapp.gui.geometry import MIN_SIZE

if TYPE_CHECKING:
    from nbapp.app import Hosted
    from nbapp.gui.features import WindowFeatures
    from nbapp.gui.instance import Instance

log = logging.getLogger(__name__)

_STRAY_THREAD_SECONDS = 3.0
_SETTLE_SECONDS = 5.0  # a SIGTERM waits at most this for the page to load

# What to install per platform, in the words a user can paste into a terminal.
_INSTALL_HINTS = {
    "linux": "pip install pywebview qtpy PySide6 (or Debian's python3-gi gir1.2-webkit2-4.1)",
    "darwin": "pip install pywebview",
    "win32": "pip install pywebview (it uses the Edge WebView2 runtime)",
}


class NoWindowBackendError(UsageError):
    """pywebview or every GUI toolkit it can drive is missing."""

    def __init__(self, hint: str) -> None:
        super().__init__(
            f"cannot open a window: no GUI backend is installed ({hint}); "
            "or use --no-window to serve the page for a browser"
        )


# --- before anything starts: can a window be shown here? -----------------------------------
def display_missing() -> str | None:
    """Why no window can be shown on this machine, or None if it can."""
    if not sys.platform.startswith("linux"):
        return None
    x_display = os.environ.get("DISPLAY")
    if not (x_display or os.environ.get("WAYLAND_DISPLAY")):
        return "no display (DISPLAY and WAYLAND_DISPLAY are unset)"
    if x_display and not os.environ.get("WAYLAND_DISPLAY") and not _x_server_answers(x_display):
        # Qt would abort the process (SIGABRT) with a page of plugin advice instead.
        return f"no X server answers at DISPLAY={x_display}"
    return None


def _x_server_answers(x_display: str) -> bool:
    """A local X display (``:N``) has a server listening on its socket. Remote and unusual
    forms are left to the GUI toolkit."""
    number = x_display[1:].split(".", maxsplit=1)[0] if x_display.startswith(":") else ""
    if not number.isdigit():
        return True
    path = f"/tmp/.X11-unix/X{number}"
    for address in ("\0" + path, path):  # Linux X servers listen on both, abstract first
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            probe.settimeout(2)
            try:
                probe.connect(address)
            except OSError:
                continue
            return True
    return False


def _installed(module: str) -> bool:
    # find_spec imports parent packages; a broken or blocked one counts as not installed.
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


WEBVIEW_ENV = "NBAPP_WEBVIEW"  # qt or gtk: the Linux web view nbapp run uses


def _qt_binding() -> str | None:
    for binding in ("PySide6", "PyQt6", "PyQt5"):
        if _installed("qtpy") and _installed(f"{binding}.QtWebEngineWidgets"):
            return binding
    return None


def gtk_missing() -> str | None:
    """Why the system's WebKitGTK cannot be used through PyGObject here, or None if it can."""
    if not _installed("gi"):
        return "PyGObject is not installed (pip install 'nbapp[gtk]')"
    own = [Path(p) for p in os.environ.get("GI_TYPELIB_PATH", "").split(os.pathsep) if p]
    system = [
        Path(folder, "girepository-1.0")
        for folder in (
            "/usr/lib/x86_64-linux-gnu",
            "/usr/lib/aarch64-linux-gnu",
            "/usr/lib64",
            "/usr/lib",
        )
    ]
    if any((folder / "WebKit2-4.1.typelib").is_file() for folder in own + system):
        return None
    return (
        "WebKitGTK's introspection data is missing (Debian/Ubuntu: apt install gir1.2-webkit2-4.1)"
    )


def choose_backend(preferred: str | None = None) -> str:
    """The pywebview GUI to use, or NoWindowBackendError naming what to install.

    On Linux: ``preferred`` (or $NBAPP_WEBVIEW), else the system's WebKitGTK when it can be
    used (PyGObject, ``pip install 'nbapp[gtk]'``, and WebKitGTK's introspection data): the
    system's web view, as pywebview itself prefers on Linux and as the default packaged app
    uses, so that ``nbapp run`` shows what the app will show. Else Qt WebEngine (PySide6,
    nbapp's own dependency there: it needs nothing from the system). A packaged app carries
    only the one it was built with, so it finds that one. Checked without importing the
    toolkit, so that a missing backend fails before a kernel starts.
    """
    platform = "linux" if sys.platform.startswith("linux") else sys.platform
    hint = _INSTALL_HINTS.get(platform, "pip install pywebview")
    if not _installed("webview"):
        raise NoWindowBackendError(hint)
    if platform == "darwin" and _installed("objc"):
        return "cocoa"
    if platform == "win32" and _installed("clr"):
        return "edgechromium"
    if platform != "linux":
        raise NoWindowBackendError(hint)
    wanted = preferred or os.environ.get(WEBVIEW_ENV, "").strip().lower() or None
    if wanted not in (None, "qt", "gtk"):
        raise UsageError(f"{WEBVIEW_ENV}={wanted}: expected qt or gtk")
    if wanted in (None, "gtk") and gtk_missing() is None:
        return "gtk"
    # Looking for Qt imports PySide6's package (60 ms): not when GTK was asked for.
    binding = _qt_binding() if wanted in (None, "qt") else None
    if binding is not None:
        # qtpy would pick PyQt first; PySide6 is LGPL, which matters to apps users ship.
        os.environ.setdefault("QT_API", binding.lower())
        return "qt"
    if _installed("gi") and wanted in (None, "gtk"):
        return "gtk"
    if wanted in ("qt", "gtk"):
        raise NoWindowBackendError(
            "PySide6 for qt" if wanted == "qt" else "PyGObject and gir1.2-webkit2-4.1 for gtk"
        )
    raise NoWindowBackendError(hint)


def check_backend() -> int:
    """Load the web view toolkit this installation would open a window with, without opening
    one: 0 and its name on stdout, or 1 and what failed on stderr. A packaged app's smoke test
    runs this, so a build that cannot open its window fails at build time."""
    try:
        gui = choose_backend()
        _prepare_environment(gui)
        module = {"qt": "webview.platforms.qt", "gtk": "webview.platforms.gtk"}.get(gui)
        if module is not None:
            importlib.import_module(module)
    except Exception as exc:
        print(f"cannot load the window's web view: {exc}", file=sys.stderr)
        return 1
    print(gui)
    return 0


# --- the app on a background loop ------------------------------------------------------------
class _ServerThread(threading.Thread):
    """Runs ``app.serve`` on its own asyncio loop; ``stop()`` works at any moment of its life."""

    def __init__(self, app: Hosted, on_ready: Callable[[Hosted], None]) -> None:
        super().__init__(name="nbapp-server")
        self.app = app
        self.error: Exception | None = None
        self.window: Any = None  # closed if the app ends on its own (an error)
        self._on_ready = on_ready
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_known = threading.Event()
        self._stopping = False

    def run(self) -> None:
        try:
            asyncio.run(self._serve())
        except Exception as exc:  # handed to the main thread, which re-raises it
            self.error = exc
        finally:
            self._loop_known.set()
            self._close_window()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._loop_known.set()
        # serve() records its loop before its first await, so a stop() scheduled on this
        # loop from now on always reaches it.
        await self.app.serve(self._on_ready)

    def _close_window(self) -> None:
        if self.window is None or self._stopping:
            return
        try:
            self.window.destroy()
        except Exception as exc:  # pywebview raises its own types, e.g. when already closed
            log.debug("closing the window after the app ended: %r", exc)

    def stop(self) -> None:
        self._stopping = True
        self._loop_known.wait()
        if self._loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop already finished
                self._loop.call_soon_threadsafe(self.app.stop)


# --- what the window looks like ---------------------------------------------------------------
# --- keeping the window on the app --------------------------------------------------------------
def _same_origin(url: str, origin: str) -> bool:
    if url.startswith("blob:"):
        url = url[len("blob:") :]
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() == origin or url == "about:blank"


def _open_outside(url: str) -> None:
    """Links to other sites belong in the user's browser; anything else is dropped."""
    if urlsplit(url).scheme in ("http", "https", "mailto"):
        log.info("opening a link in the system browser")
        webbrowser.open(url, new=2)
    else:
        log.warning("blocked navigation to a %s: URL", urlsplit(url).scheme)


def _install_qt_hooks(native: Any, origin: str) -> None:
    """Qt: refuse main-frame navigation off the app, and save downloads through a dialog.

    pywebview only redirects target=_blank links, and its own download handler uses the Qt 5
    API (``setPath``), which Qt 6 removed.
    """
    from qtpy.QtWidgets import QFileDialog

    page = native.webview.page()

    def on_navigation(request: Any) -> None:
        url = request.url().toString()
        if request.isMainFrame() and not _same_origin(url, origin):
            request.reject()
            _open_outside(url)

    def on_download(download: Any) -> None:
        folder = platformdirs.user_downloads_dir()
        name = download.downloadFileName() or download.suggestedFileName() or "download"
        target, _ = QFileDialog.getSaveFileName(native, "Save file", str(Path(folder) / name))
        if not target:
            download.cancel()
            return
        download.setDownloadDirectory(str(Path(target).parent))
        download.setDownloadFileName(Path(target).name)
        download.accept()
        log.info("saving a download to %s", target)

    page.navigationRequested.connect(on_navigation)
    page.profile().downloadRequested.connect(on_download)


def _check_location(window: Any, origin: str, home: str) -> None:
    """Other backends: if the page got away anyway, send the URL out and come back."""
    url = window.get_current_url() or ""
    if url and not _same_origin(url, origin):
        _open_outside(url)
        window.load_url(home)


# --- the window ---------------------------------------------------------------------------
def _prepare_environment(gui: str) -> None:
    if gui == "gtk" and not _gpu_render_node():
        # WebKitGTK's default (DMA-BUF) renderer composites with OpenGL; with no GPU that is
        # Mesa's software GL, slower to start and to paint than WebKit's own CPU painting,
        # which this chooses (about 0.15 s sooner to a first paint under Xvfb). A user's own
        # setting wins.
        os.environ.setdefault("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
    if gui == "qt" and sys.platform.startswith("linux") and os.geteuid() == 0:
        # Chromium's sandbox refuses to run as root; quietly, since root is the user's choice.
        os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
    frozen_root = getattr(sys, "_MEIPASS", None)
    typelibs = os.environ.get("GI_TYPELIB_PATH", "")
    if gui == "gtk" and frozen_root and typelibs.startswith(frozen_root):
        # PyInstaller's runtime hook points PyGObject at typelibs inside the app; a packaged
        # app with the system's WebKitGTK carries none and must use the system's.
        del os.environ["GI_TYPELIB_PATH"]


def _gpu_render_node() -> bool:
    """Whether this machine has a GPU render node (Linux DRM: /dev/dri/renderD*)."""
    try:
        return any(Path("/dev/dri").glob("renderD*"))
    except OSError:
        return False


def _quiet_pywebview() -> None:
    # pywebview prints to stderr on its own; send it through ours (the log file) instead.
    logger = logging.getLogger("pywebview")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    logger.setLevel(logging.INFO)


def _show(app: Hosted, gui: str, server: _ServerThread, features: WindowFeatures) -> None:
    """Open the window and run the GUI loop until it ends."""
    startup.mark("loading the GUI toolkit")
    import webview

    _quiet_pywebview()
    webview.settings["OPEN_EXTERNAL_LINKS_IN_BROWSER"] = True
    webview.settings["OPEN_DEVTOOLS_IN_DEBUG"] = False
    webview.settings["ALLOW_DOWNLOADS"] = gui != "qt"  # Qt gets our own handler
    origin = f"http://127.0.0.1:{app.guard.port}"
    window = webview.create_window(
        app.title,
        url=app.url,
        min_size=MIN_SIZE,
        text_select=True,
        **features.placement(),  # size, position, maximized: as the user left them
    )
    assert window is not None

    def on_before_show(window: Any) -> None:  # on the GUI thread, before the window shows
        startup.mark("window about to show")
        if gui == "qt":
            _install_qt_hooks(window.native, origin)
        signal.signal(signal.SIGTERM, close)
        signal.signal(signal.SIGINT, close)

    closing = threading.Event()

    def close(signum: int, frame: FrameType | None) -> None:
        log.info("signal %d: closing the window", signum)
        if not closing.is_set():  # once: a second destroy is an error in pywebview's GTK
            closing.set()
            _destroy_when_settled(window)

    window.events.before_show += on_before_show
    features.attach(window, f"{origin}/")  # menu, single instance, geometry
    window.events.loaded += lambda: startup.mark("page loaded in the window")
    if gui != "qt":
        window.events.loaded += lambda: _check_location(window, origin, f"{origin}/")
    server.window = window
    icon = app.icon
    log.info("opening the window with the %s backend", gui)
    webview.start(
        gui=gui,  # type: ignore[arg-type]  # one of choose_backend()'s names
        private_mode=True,
        icon=str(icon) if icon else None,
        menu=features.pywebview_menu(),
    )


def _destroy_when_settled(window: Any) -> None:
    """Close ``window`` once it has shown and its page has loaded, or after
    ``_SETTLE_SECONDS`` if that never happens. Qt WebEngine now and then crashed (SIGSEGV in
    its event loop) when a SIGTERM closed the window while its first page was still loading."""
    once = threading.Lock()
    seen: set[str] = set()

    def destroy() -> None:
        if once.acquire(blocking=False):
            window.destroy()

    def reached(name: str) -> Callable[[], None]:
        # pywebview runs an event's handlers before the event reads as set: note it here.
        def handler() -> None:
            seen.add(name)
            if seen >= {"shown", "loaded"}:
                destroy()

        return handler

    for name in ("shown", "loaded"):
        event = getattr(window.events, name)
        event += reached(name)
        if event.is_set():
            reached(name)()
    late = threading.Timer(_SETTLE_SECONDS, destroy)
    late.daemon = True
    late.start()


def run_in_window(
    app: Hosted, on_ready: Callable[[Hosted], None], gui: str, instance: Instance | None = None
) -> None:
    """Show ``app`` in a native window on this (the main) thread until the window closes;
    ``instance``: this app's single-instance lock, whose later launches raise the window."""
    from nbapp.gui.features import WindowFeatures

    _prepare_environment(gui)
    features = WindowFeatures(app, gui, instance)
    server = _ServerThread(app, on_ready)
    server.start()  # the kernel starts while the GUI toolkit loads
    try:
        _show(app, gui, server, features)
    finally:
        server.stop()
        server.join()
        features.closed()
        _leave_no_thread_behind()
    if server.error is not None:
        raise server.error


def _leave_no_thread_behind() -> None:
    """The window, server and kernel are gone; a thread the GUI toolkit left waiting on the
    closed window would keep the process alive for ever (Python waits for every non-daemon
    thread before it exits). Give such threads a moment, then exit without them."""
    deadline = time.monotonic() + _STRAY_THREAD_SECONDS
    for thread in threading.enumerate():
        if thread is threading.current_thread() or thread.daemon:
            continue
        thread.join(max(0.0, deadline - time.monotonic()))
    strays = [t.name for t in threading.enumerate() if t.is_alive() and not t.daemon]
    strays = [name for name in strays if name != threading.current_thread().name]
    if strays:
        log.warning("exiting without threads the GUI toolkit left waiting: %s", strays)
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
