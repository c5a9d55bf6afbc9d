"""What the window's features need from Qt (pywebview's Qt backend): the menu bar with its
shortcuts, the window's geometry, bringing it to the front, printing the live page to PDF and
the About box. Everything here touches widgets, so it runs on the GUI thread: ``QtWindow``
is made there (pywebview's ``before_show``) and hands work over with ``on_gui_thread``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

# qtpy re-exports these from whichever binding it found; its stubs do not say so.
from qtpy.QtCore import QLocale, QMarginsF, QObject, Qt, Signal, Slot  # type: ignore[attr-defined]
from qtpy.QtGui import QAction, QKeySequence, QPageLayout, QPageSize  # type: ignore[attr-defined]
from qtpy.QtWidgets import QFileDialog, QMessageBox

from nbapp.gui.geometry import Geometry
from nbapp.gui.menu import Menu

log = logging.getLogger(__name__)

T = TypeVar("T")
_PRINT_SECONDS = 120.0
_MARGIN_MM = 12.0


class _Invoker(QObject):
    """Runs callables on the thread it was made on (the GUI thread): a queued signal."""

    call = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.call.connect(self._run)

    @Slot(object)  # type: ignore[untyped-decorator]
    def _run(self, fn: Callable[[], None]) -> None:
        try:
            fn()
        except Exception:  # a failing menu action must not take the GUI loop down
            log.exception("a window action failed")


class QtWindow:
    """The Qt side of one pywebview window (``native``: pywebview's QMainWindow)."""

    writes_pdf = True

    def __init__(self, native: Any) -> None:
        self.native = native
        self._invoker = _Invoker()
        self._actions: list[Any] = []  # Qt does not own Python-made actions: keep them alive

    # --- threads ---------------------------------------------------------------------------
    def on_gui_thread(self, fn: Callable[[], None]) -> None:
        self._invoker.call.emit(fn)

    def wait_on_gui_thread(self, fn: Callable[[], T], timeout: float | None = None) -> T:
        """Run ``fn`` on the GUI thread and return its result (from any other thread)."""
        done = threading.Event()
        box: list[T] = []
        errors: list[BaseException] = []

        def run() -> None:
            try:
                box.append(fn())
            except BaseException as exc:
                errors.append(exc)
            finally:
                done.set()

        self.on_gui_thread(run)
        if not done.wait(timeout):
            raise TimeoutError("the window did not answer")
        if errors:
            raise errors[0]
        return box[0]

    # --- the menu bar ----------------------------------------------------------------------
    def install_menu(self, menus: list[Menu]) -> None:
        """The menu bar; each action runs on a thread of its own, as pywebview's do (they may
        wait on dialogs, which need this thread free)."""
        bar = self.native.menuBar()
        for menu in menus:
            qmenu = bar.addMenu(menu.title)
            for item in menu.items:
                if item is None:
                    qmenu.addSeparator()
                    continue
                action = QAction(item.title, self.native)
                keys: list[Any] = []
                if item.standard_key:  # the platform's own keys for it, e.g. F5 for Refresh
                    standard = getattr(QKeySequence.StandardKey, item.standard_key)
                    keys += QKeySequence.keyBindings(standard)
                keys += [QKeySequence(s) for s in item.shortcuts]
                unique = list({k.toString(): k for k in keys}.values())
                action.setShortcuts(unique)
                action.setEnabled(item.enabled)
                run = item.run
                action.triggered.connect(
                    lambda _checked=False, run=run: threading.Thread(
                        target=run, name="nbapp-menu", daemon=True
                    ).start()
                )
                qmenu.addAction(action)
                self._actions.append(action)

    def follow_page_title(self) -> None:
        """The window's title becomes each page's (a folder app: the list, then a notebook)."""
        native = self.native

        def retitle(title: str) -> None:
            if title:
                native.setWindowTitle(title)

        native.webview.titleChanged.connect(retitle)

    # --- geometry --------------------------------------------------------------------------
    def geometry(self) -> Geometry:
        """The window's normal geometry (what it returns to from maximized) and state."""
        native = self.native
        maximized = bool(native.windowState() & Qt.WindowState.WindowMaximized)
        normal = native.normalGeometry() if maximized else native.geometry()
        if normal.width() <= 0:  # never shown normal (opened maximized): the frame's now
            normal = native.geometry()
        # Positions are the frame's (what move() takes); sizes the inside's (what resize() takes).
        frame = native.pos() - native.geometry().topLeft()
        return Geometry(
            normal.width(),
            normal.height(),
            normal.x() + frame.x(),
            normal.y() + frame.y(),
            maximized,
        )

    # --- what the menu's commands need (nbapp.gui.commands.Toolkit), from any thread --------
    def bring_to_front(self) -> None:
        def front() -> None:
            native = self.native
            state = native.windowState()
            if state & Qt.WindowState.WindowMinimized:
                native.setWindowState(state & ~Qt.WindowState.WindowMinimized)
            native.show()
            native.raise_()
            native.activateWindow()

        self.on_gui_thread(front)

    def ask_save_path(self, title: str, suggested: Path, kind: str) -> Path | None:
        patterns = {"pdf": "PDF document (*.pdf)", "html": "Web page (*.html *.htm)"}

        def ask() -> str:
            chosen, _ = QFileDialog.getSaveFileName(
                self.native, title, str(suggested), patterns.get(kind, "")
            )
            return str(chosen or "")

        chosen = self.wait_on_gui_thread(ask)
        return Path(chosen) if chosen else None

    def versions(self) -> list[tuple[str, str]]:
        import qtpy

        found = [(f"Qt ({qtpy.API_NAME})", str(qtpy.QT_VERSION))]
        try:
            from qtpy.QtWebEngineCore import qWebEngineChromiumVersion

            found.append(("Chromium (Qt WebEngine)", str(qWebEngineChromiumVersion())))
        except ImportError:
            pass
        return found

    def save_pdf(self, path: Path) -> bool:
        """Print the live page (widgets as they are now) to ``path``; from a worker thread."""
        finished = threading.Event()
        outcome: list[bool] = []

        def start() -> None:
            page = self.native.webview.page()

            def done(file_path: str, success: bool) -> None:
                page.pdfPrintingFinished.disconnect(done)
                outcome.append(bool(success))
                finished.set()

            page.pdfPrintingFinished.connect(done)
            page.printToPdf(str(path), _page_layout())

        self.on_gui_thread(start)
        if not finished.wait(_PRINT_SECONDS):
            log.warning("printing to %s did not finish in %g s", path, _PRINT_SECONDS)
            return False
        return outcome[0]

    def closed(self) -> None:
        """After the GUI loop: pywebview's Qt backend waits, without a timeout, for the answer of
        every script it runs in the page, its own set-up script after each page load included.
        A window closed before the page answered left that thread waiting forever, and the
        process never exited (quitting right after a reload did it). The window is gone now:
        wake every waiter; pywebview then runs nothing more in it."""
        pending = list(getattr(self.native, "_js_results", {}).values())
        if pending:
            log.info("waking %d scripts still waiting on the closed page", len(pending))
        for entry in pending:
            entry["semaphore"].release()

    def print_page(self) -> None:
        raise NotImplementedError("Qt writes the PDF itself (save_pdf)")

    def about(self, title: str, text: str) -> None:
        self.on_gui_thread(lambda: QMessageBox.about(self.native, title, text))


def _page_layout() -> Any:
    """A4, or Letter where the user's locale measures in inches; portrait, 12 mm margins."""
    imperial = QLocale().measurementSystem() == QLocale.MeasurementSystem.ImperialUSSystem
    size = QPageSize(QPageSize.PageSizeId.Letter if imperial else QPageSize.PageSizeId.A4)
    margins = QMarginsF(_MARGIN_MM, _MARGIN_MM, _MARGIN_MM, _MARGIN_MM)
    return QPageLayout(size, QPageLayout.Orientation.Portrait, margins, QPageLayout.Unit.Millimeter)
