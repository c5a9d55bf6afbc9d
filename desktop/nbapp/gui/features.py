"""Everything the window does beyond showing the page, put together for ``nbapp.gui.window``:
where it opens (the place the user left it, fitted to the screens present), its menu, the
single-instance listener that brings it forward, and remembering its place when it closes.

``nbapp.gui.window`` creates the pywebview window with ``placement()``, hands it to ``attach()``,
passes ``pywebview_menu()`` to ``webview.start`` and calls ``closed()`` once the GUI loop ends.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

from nbapp.gui import geometry
from nbapp.gui.commands import Toolkit, WindowCommands
from nbapp.gui.geometry import Geometry, Rect
from nbapp.gui.menu import to_pywebview

if TYPE_CHECKING:
    from nbapp.app import Hosted
    from nbapp.gui.instance import Instance

log = logging.getLogger(__name__)

# pywebview's module for each GUI name (the one whose get_screens() answers).
_PLATFORM_MODULES = {"qt": "qt", "gtk": "gtk", "cocoa": "cocoa", "edgechromium": "winforms"}
_SHOWN_SECONDS = 60.0


def _screens(gui: str) -> list[tuple[Rect, Any]]:
    """The screens present, as rectangles and as pywebview's Screen objects."""
    module_name = _PLATFORM_MODULES.get(gui)
    if module_name is None:
        return []
    try:
        module = importlib.import_module(f"webview.platforms.{module_name}")
        screens = module.get_screens()
    except Exception as exc:  # a toolkit that cannot say: let it place the window itself
        log.info("could not list the screens (%s); the toolkit places the window", exc)
        return []
    return [(Rect(s.x, s.y, s.width, s.height), s) for s in screens]


class WindowFeatures:
    def __init__(self, app: Hosted, gui: str, instance: Instance | None = None) -> None:
        self.app = app
        self.gui = gui
        self.instance = instance
        self.identity = app.identity
        self.window: Any = None
        self.toolkit: Toolkit | None = None
        self.commands: WindowCommands | None = None
        self._opened = geometry.remembered(self.identity) or geometry.declared(*app.declared_size)
        self._tracker = geometry.Tracker(self._opened)
        self._final: Geometry | None = None

    # --- before the window exists --------------------------------------------------------------
    def placement(self) -> dict[str, Any]:
        """``webview.create_window`` arguments: size, position, screen, maximized."""
        screens = _screens(self.gui)
        fitted, screen = geometry.fit(self._opened, [rect for rect, _ in screens])
        self._tracker = geometry.Tracker(fitted)
        args: dict[str, Any] = {
            "width": fitted.width,
            "height": fitted.height,
            "maximized": fitted.maximized,
        }
        if fitted.placed and screen is not None:
            assert fitted.x is not None and fitted.y is not None
            native_screen = next(s for rect, s in screens if rect == screen)
            if self.gui == "gtk":  # pywebview's GTK places a new window in absolute terms
                args.update(x=fitted.x, y=fitted.y)
            else:  # the others relative to the screen given
                args.update(x=fitted.x - screen.x, y=fitted.y - screen.y, screen=native_screen)
        return args

    def pywebview_menu(self) -> list[Any]:
        """The app menu for toolkits where pywebview builds it (Qt gets its own, with shortcuts,
        in ``attach``); available once ``attach`` has run."""
        if self.gui == "qt" or self.commands is None:
            return []
        return to_pywebview(self.commands.menus())

    # --- the window ----------------------------------------------------------------------------
    def attach(self, window: Any, home: str) -> None:
        self.window = window
        if self.gui != "qt":
            from nbapp.gui.generic import WebviewToolkit

            self._use(WebviewToolkit(window, self.gui), home)
        window.events.before_show += lambda: self._before_show(home)
        window.events.closing += self._closing
        window.events.moved += self._tracker.moved
        window.events.resized += self._tracker.resized
        window.events.maximized += self._tracker.maximized
        window.events.restored += self._tracker.restored

    def _use(self, toolkit: Toolkit, home: str) -> None:
        self.toolkit = toolkit
        self.commands = WindowCommands(self.app, self.window, toolkit, home)
        if self.instance is not None:
            self.instance.serve(self._bring_to_front)

    def _before_show(self, home: str) -> None:  # on the GUI thread, before the window shows
        if self.gui == "qt":
            from nbapp.gui.qt import QtWindow

            qt = QtWindow(self.window.native)
            self._use(qt, home)
            assert self.commands is not None
            qt.install_menu(self.commands.menus())
            if self.app.pages_titled:
                qt.follow_page_title()

    def _bring_to_front(self) -> None:
        """For a second launch of the app (on the instance's thread)."""
        if not self.window.events.shown.wait(_SHOWN_SECONDS):
            log.warning("the window never showed; not bringing it forward")
            return
        assert self.toolkit is not None
        self.toolkit.bring_to_front()

    def _closing(self) -> None:  # on the GUI thread, while the window can still be asked
        if self.gui == "qt" and self.toolkit is not None:
            from nbapp.gui.qt import QtWindow

            if isinstance(self.toolkit, QtWindow):
                self._final = self.toolkit.geometry()
                return
        self._final = self._tracker.geometry

    # --- after the GUI loop ------------------------------------------------------------------
    def closed(self) -> None:
        """Remember where the window was; let the next launch be the app."""
        if self.toolkit is not None:
            self.toolkit.closed()
        if self.instance is not None:
            self.instance.release()
        final = self._final or self._tracker.geometry
        geometry.remember(self.identity, final)
        log.debug("window closed at %s", final)
