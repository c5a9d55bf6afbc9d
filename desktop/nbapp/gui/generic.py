"""The menu's commands on toolkits nbapp has no code of its own for (Cocoa, Edge WebView2),
through pywebview's portable calls only: its file dialog, its confirmation dialog as an About
box, the page's own print dialog for PDF (macOS and Windows both offer "Save as PDF" there),
and restore + on-top toggling to bring the window forward. Not tried on those systems.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


class WebviewToolkit:
    writes_pdf = False  # the page's print dialog does

    def __init__(self, window: Any, gui: str) -> None:
        self.window = window
        self.gui = gui

    def ask_save_path(self, title: str, suggested: Path, kind: str) -> Path | None:
        import webview

        patterns = {"pdf": "PDF document (*.pdf)", "html": "Web page (*.html)"}
        chosen = self.window.create_file_dialog(
            webview.FileDialog.SAVE,
            directory=str(suggested.parent),
            save_filename=suggested.name,
            file_types=(patterns[kind],) if kind in patterns else (),
        )
        if isinstance(chosen, list | tuple):  # backends differ: a path or a tuple of paths
            chosen = chosen[0] if chosen else None
        return Path(chosen) if chosen else None

    def save_pdf(self, path: Path) -> bool:
        raise NotImplementedError("this toolkit prints through the page's dialog")

    def print_page(self) -> None:
        self.window.evaluate_js("window.print()")  # the system's dialog picks the file

    def about(self, title: str, text: str) -> None:
        self.window.create_confirmation_dialog(title, text)

    def bring_to_front(self) -> None:
        self.window.restore()
        self.window.show()
        self.window.on_top = True  # what raises a window on toolkits without a "raise"
        self.window.on_top = False

    def closed(self) -> None:
        pass

    def versions(self) -> list[tuple[str, str]]:
        return [("Web view", self.gui)]
