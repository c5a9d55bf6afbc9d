"""What of each cell the dashboard shows, and where: tags people already use, plus nbapp's
own layout hints. Every cell still runs; this only decides the page.

Tags (``-`` and ``_`` are the same): ``remove-cell`` hides a cell, ``remove-output`` its
outputs, ``hide-output``/``hide-cell`` fold them behind a toggle (Jupyter Book);
``remove-input``/``hide-input`` change nothing since code is never shown. In tagged mode only
cells tagged ``app`` show (Panel's servable way). ``sidebar`` puts a cell in the sidebar;
``half``, ``third``, ``two-thirds`` and ``quarter`` (or ``metadata.nbapp.width`` on the cell)
set its width in a responsive grid.

Layouts other tools saved in the notebook come along for the templates that use them: the
cell's box in a jupyter_dashboards grid view (``nbapp.page.gridview``) and its place in a slideshow
(``nbapp.page.slideshow``).

In tagged mode an object made ``.servable()`` shows too, as a cell tagged ``app`` would
(served.py marks its output), in the area it asked for; a cell that made some shows only
those. A cell that is not shown but loaded the HoloViz/Bokeh front ends (their load bundles)
still reaches the page, hidden: later outputs need what it loaded, as in JupyterLab.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, replace
from typing import Any

from nbformat import NotebookNode

from nbapp.page.gridview import GridBox, active_view, cell_box
from nbapp.page.slideshow import SlideStep, plan

WIDTHS = ("full", "half", "third", "two-thirds", "quarter")
_REMOVE = {"remove-cell"}
_REMOVE_OUTPUT = {"remove-output"}
_FOLD = {"hide-output", "hide-cell"}
APP_TAG = "app"
SIDEBAR_TAG = "sidebar"
REGIONS = ("main", "sidebar", "hidden")
# HoloViz's and Bokeh's own MIME types (JupyterLab's pyviz and jupyter_bokeh extensions).
LOAD_TYPES = frozenset(
    ["application/vnd.holoviews_load.v0+json", "application/vnd.bokehjs_load.v0+json"]
)
EXEC_TYPES = frozenset(
    ["application/vnd.holoviews_exec.v0+json", "application/vnd.bokehjs_exec.v0+json"]
)
SERVABLE_KEY = "nbapp"  # output metadata that served.py writes: {"servable": {area, title}}


@dataclass(frozen=True)
class Placement:
    shown: bool
    region: str = "main"  # one of REGIONS
    width: str = "full"
    folded: bool = False
    tags: tuple[str, ...] = ()
    grid: GridBox | None = None  # its box in the notebook's dashboard grid view, if any
    slide: SlideStep | None = None  # its place in a slideshow; None: left out (skip)

    def event_fields(self) -> dict[str, Any]:
        return {"region": self.region, "width": self.width, "folded": self.folded}

    def template_fields(self, index: int, cell_type: str) -> dict[str, Any]:
        """What a template knows of the cell (``resources.nbapp`` in cell.html.j2)."""
        return {
            "index": index,
            "cell_type": cell_type,
            "region": self.region,
            "width": self.width,
            "folded": self.folded,
            "tags": list(self.tags),
            "grid": asdict(self.grid) if self.grid else None,
            "slide": asdict(self.slide) if self.slide else None,
        }


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
        tags=tuple(sorted(tags)),
    )


def place_all(notebook: NotebookNode, *, only_tagged: bool) -> list[Placement]:
    """``place`` for every cell, with its grid box and slideshow step."""
    view = active_view(notebook.metadata)
    steps = plan(notebook.cells)
    placements = []
    for cell, step in zip(notebook.cells, steps, strict=True):
        placement = place(cell, only_tagged=only_tagged)
        # Hidden cells too: what they make servable shows where they stand (``parts``).
        grid = cell_box(cell.get("metadata", {}), view)
        placements.append(replace(placement, grid=grid, slide=step))
    return placements


def _width(cell: NotebookNode, tags: set[str]) -> str:
    hint = cell.get("metadata", {}).get("nbapp", {})
    width = hint.get("width") if isinstance(hint, dict) else None
    if width in WIDTHS:
        return str(width)
    for candidate in WIDTHS:
        if candidate in tags:
            return candidate
    return "full"


def servable_mark(output: NotebookNode) -> dict[str, Any] | None:
    """What served.py wrote on a servable object's display: its area and the app's title."""
    mark = output.get("metadata", {}).get(SERVABLE_KEY)
    servable = mark.get("servable") if isinstance(mark, dict) else None
    return servable if isinstance(servable, dict) else None


def _with_outputs(cell: NotebookNode, outputs: list[NotebookNode]) -> NotebookNode:
    part = copy.copy(cell)
    part["outputs"] = outputs
    return part


def _loads_front_ends(output: NotebookNode) -> bool:
    return bool(LOAD_TYPES & output.get("data", {}).keys())


def parts(
    cell: NotebookNode, placement: Placement, *, only_tagged: bool
) -> list[tuple[NotebookNode, Placement]]:
    """What of ``cell`` (placed by ``place_all``) the page shows, and where: the cell, its
    servable objects grouped by area (tagged mode), a hidden part that loads front ends, or
    nothing."""
    outputs = cell.get("outputs", []) if cell.cell_type == "code" else []
    removed = bool(tags_of(cell) & (_REMOVE | _REMOVE_OUTPUT))
    served = [o for o in outputs if servable_mark(o)] if only_tagged and not removed else []
    if served:
        found: list[tuple[NotebookNode, Placement]] = []
        for region in ("main", "sidebar"):
            chosen = [o for o in served if _area(o) == region]
            if not chosen:
                continue
            width = placement.width if placement.shown and region == "main" else "full"
            where = replace(placement, shown=True, region=region, width=width, folded=False)
            found.append((_with_outputs(cell, chosen), where))
        return found
    if placement.shown:
        return [(cell, placement)] if cell.cell_type != "code" or outputs else []
    if any(_loads_front_ends(o) for o in outputs):
        return [(cell, replace(placement, shown=True, region="hidden", folded=False))]
    return []


def _area(output: NotebookNode) -> str:
    mark = servable_mark(output) or {}
    return "sidebar" if mark.get("area") == "sidebar" else "main"
