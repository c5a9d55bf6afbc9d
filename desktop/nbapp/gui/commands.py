"""What the window's menu does, whatever the toolkit: reload the page, restart the kernel,
reset the widgets to the notebook's values, save the page as PDF, export it as HTML, show the
versions, quit. Each runs on a thread of its own (dialogs block it, not the GUI); the app's
work goes to its loop through ``App.submit``, the toolkit's through a ``Toolkit``.
"""

from __future__ import annotations

import importlib.metadata
import logging
import platform
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import platformdirs

from nbapp import __version__
from nbapp.gui.menu import Item, Menu, escaped

if TYPE_CHECKING:
    from nbapp.app import Hosted

log = logging.getLogger(__name__)

_TASK_SECONDS = 300.0
# Distributions the About box names, when installed.
_LIBRARIES = ("ipykernel", "ipywidgets", "nbconvert", "jupyter_client", "tornado", "pywebview")


class Toolkit(Protocol):
    """What the commands need from the GUI toolkit behind pywebview."""

    writes_pdf: bool  # False: the system's print dialog saves PDFs (print_page)

    def ask_save_path(self, title: str, suggested: Path, kind: str) -> Path | None: ...

    def save_pdf(self, path: Path) -> bool:
        """Print the live page to ``path``; whether it was written."""

    def print_page(self) -> None: ...

    def about(self, title: str, text: str) -> None: ...

    def bring_to_front(self) -> None: ...

    def closed(self) -> None:
        """The GUI loop has ended: let go of anything still waiting on the window."""

    def versions(self) -> list[tuple[str, str]]:
        """The toolkit's and its web engine's versions."""


def _file_stem(title: str) -> str:
    return re.sub(r"[^\w.-]+", "-", title).strip("-.") or "dashboard"


def _version_of(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


class WindowCommands:
    def __init__(self, app: Hosted, window: Any, toolkit: Toolkit, home: str) -> None:
        self.app = app
        self.window = window  # pywebview's Window
        self.toolkit = toolkit
        self.home = home  # the page's URL (the token is in its cookie by now)

    def menus(self) -> list[Menu]:
        remembering = self.app.remembers_widgets
        return [
            Menu(
                "&File",
                [
                    Item("Save as &PDF…", self.save_pdf, standard_key="Print"),
                    Item("&Export HTML…", self.export_html, standard_key="Save"),
                    None,
                    Item("&Quit", self.quit, ("Ctrl+Q",), standard_key="Quit"),
                ],
            ),
            Menu(
                "&View",
                [
                    Item("&Reload", self.reload, ("Ctrl+R",), standard_key="Refresh"),
                    None,
                    Item("&Back", self.back, ("Alt+Left",), standard_key="Back"),
                    Item("&Forward", self.forward, ("Alt+Right",), standard_key="Forward"),
                ],
            ),
            Menu(
                "&Kernel",
                [
                    Item("&Restart kernel", self.restart, ("Ctrl+Shift+R",)),
                    Item("Reset to the &notebook's values", self.reset, enabled=remembering),
                ],
            ),
            Menu("&Help", [Item(f"&About {escaped(self.app.title)}", self.about)]),
        ]

    # --- the actions -----------------------------------------------------------------------
    def reload(self) -> None:
        log.info("menu: reload")
        self.window.load_url(self.window.get_current_url() or self.home)

    def back(self) -> None:
        self.window.evaluate_js("history.back()")  # a folder app: notebook <-> list

    def forward(self) -> None:
        self.window.evaluate_js("history.forward()")

    def restart(self) -> None:
        log.info("menu: restart the kernel")
        dashboard = self.app.current
        if dashboard is not None:  # a folder app's list of notebooks has none
            self.app.submit(dashboard.restart()).result(_TASK_SECONDS)

    def reset(self) -> None:
        log.info("menu: reset the widgets to the notebook's values")
        dashboard = self.app.current
        if dashboard is not None and dashboard.memory is not None:
            self.app.submit(dashboard.restart(forget_widgets=True)).result(_TASK_SECONDS)

    def save_pdf(self) -> None:
        if not self.toolkit.writes_pdf:
            self.toolkit.print_page()
            return
        target = self._ask("Save as PDF", "pdf")
        if target is None:
            return
        if self.toolkit.save_pdf(target):
            log.info("saved the page as %s", target)
        else:
            log.warning("could not save the page as %s", target)

    def export_html(self) -> None:
        if self.app.current is None:
            log.info("menu: nothing to export on the list of notebooks")
            return
        target = self._ask("Export HTML", "html")
        if target is None:
            return
        size = self.app.submit(self.app.export_html(target)).result(_TASK_SECONDS)
        log.info("exported the dashboard to %s (%d bytes)", target, size)

    def about(self) -> None:
        title = self.app.title
        lines = [f"{title}", f"{self.app.source_name}", ""]
        lines += [f"{name} {version}" for name, version in self.versions()]
        self.toolkit.about(f"About {title}", "\n".join(lines))

    def quit(self) -> None:
        log.info("menu: quit")
        self.window.destroy()

    # --- helpers ---------------------------------------------------------------------------
    def versions(self) -> list[tuple[str, str]]:
        found = [("nbapp", __version__), ("Python", platform.python_version())]
        kernel = self.app.current.kernel if self.app.current is not None else None
        if kernel is not None:
            found.append(("Kernel", kernel.display_name))
        for name in _LIBRARIES:
            version = _version_of(name)
            if version:
                found.append((name, version))
        return found + self.toolkit.versions()

    def _ask(self, title: str, kind: str) -> Path | None:
        folder = Path(platformdirs.user_downloads_dir())
        current = self.app.current
        name = current.notebook.title if current is not None else self.app.title
        suggested = folder / f"{_file_stem(name)}.{kind}"
        target = self.toolkit.ask_save_path(title, suggested, kind)
        if target is not None and target.suffix.lower() != f".{kind}":
            target = target.with_name(f"{target.name}.{kind}")
        return target
