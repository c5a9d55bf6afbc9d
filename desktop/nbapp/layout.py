"""What of each cell the dashboard shows, and where: tags people already use, plus nbapp's
own layout hints. Every cell still runs; this only decides the page.

Tags (``-`` and ``_`` are the same): ``remove-cell`` hides a cell, ``remove-output`` its
outputs, ``hide-output``/``hide-cell`` fold them behind a toggle (Jupyter Book);
``remove-input``/``hide-input`` change nothing since code is never shown. In tagged mode only
cells tagged ``app`` show (Panel's servable way). ``sidebar`` puts a cell in the sidebar;
``half``, ``third``, ``two-thirds`` and ``quarter`` (or ``metadata.nbapp.width`` on the cell)
set its width in a responsive grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nbformat import NotebookNode

WIDTHS = ("full", "half", "third", "two-thirds", "quarter")
_REMOVE = {"remove-cell"}
_REMOVE_OUTPUT = {"remove-output"}
_FOLD = {"hide-output", "hide-cell"}
APP_TAG = "app"
SIDEBAR_TAG = "sidebar"


@dataclass(frozen=True)
class Placement:
    shown: bool
    region: str = "main"  # main | sidebar
    width: str = "full"
    folded: bool = False

    def event_fields(self) -> dict[str, Any]:
        return {"region": self.region, "width": self.width, "folded": self.folded}


HIDDEN = Placement(shown=False)


def tags_of(cell: NotebookNode) -> set[str]:
    tags = cell.get("metadata", {}).get("tags", [])
    return {str(t).strip().lower().replace("_", "-") for t in tags if isinstance(t, str)}


def place(cell: NotebookNode, *, only_tagged: bool) -> Placement:
    tags = tags_of(cell)
    if tags & _REMOVE or (only_tagged and APP_TAG not in tags):
        return HIDDEN
    if cell.cell_type == "code" and tags & _REMOVE_OUTPUT:
        return HIDDEN
    if cell.cell_type == "raw":
        return HIDDEN if not cell.get("metadata", {}).get("raw_mimetype") else Placement(True)
    return Placement(
        shown=True,
        region="sidebar" if SIDEBAR_TAG in tags else "main",
        width=_width(cell, tags),
        folded=bool(tags & _FOLD),
    )


def _width(cell: NotebookNode, tags: set[str]) -> str:
    hint = cell.get("metadata", {}).get("nbapp", {})
    width = hint.get("width") if isinstance(hint, dict) else None
    if width in WIDTHS:
        return str(width)
    for candidate in WIDTHS:
        if candidate in tags:
            return candidate
    return "full"
