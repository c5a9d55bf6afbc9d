"""Dashboard layouts saved in notebooks by jupyter_dashboards and voila-gridstack.

Both write ``metadata.extensions.jupyter_dashboards``: at the notebook level the views
(``activeView``; each view a ``type``, grid or report, and for a grid its ``maxColumns``,
``defaultCellHeight`` and ``cellMargin``; the specification calls the first two
``numColumns`` and ``cellHeight``, and both spellings are read), and in each cell its box in
each view (``col``, ``row``, ``width``, ``height`` in grid units, and ``hidden``). The
``grid`` template places cells from this; other templates ignore it.

This is someone else's metadata: a value of the wrong kind is ignored (the default is used),
never an error. A cell that has no box in the view is placed as voila-gridstack places it: 12
columns wide, 2 rows high, in the first free place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_DEFAULT_VIEW = "grid_default"
_DEFAULT_COLUMNS = 12
_DEFAULT_ROW_HEIGHT = 20  # pixels, as jupyter_dashboards
_DEFAULT_MARGIN = 10
_DEFAULT_CELL_WIDTH = 12
_DEFAULT_CELL_HEIGHT = 2


@dataclass(frozen=True)
class GridView:
    """The notebook's active dashboard view."""

    kind: str  # grid | report
    columns: int = _DEFAULT_COLUMNS
    row_height: int = _DEFAULT_ROW_HEIGHT
    margin: int = _DEFAULT_MARGIN
    key: str = _DEFAULT_VIEW


@dataclass(frozen=True)
class GridBox:
    """A cell's place in a grid view; ``col``/``row`` None: the first free place."""

    col: int | None
    row: int | None
    width: int
    height: int
    hidden: bool = False


def _dashboards(metadata: Any) -> dict[str, Any]:
    extensions = metadata.get("extensions") if isinstance(metadata, dict) else None
    found = extensions.get("jupyter_dashboards") if isinstance(extensions, dict) else None
    return found if isinstance(found, dict) else {}


def _count(value: Any, default: int | None, *, least: int) -> int | None:
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= least
    return value if ok else default


def active_view(notebook_metadata: Any) -> GridView | None:
    """The view to show, or None when the notebook has no dashboard layout at all."""
    meta = _dashboards(notebook_metadata)
    views = meta.get("views")
    if not isinstance(views, dict) or not views:
        return None
    key = meta.get("activeView")
    if not isinstance(key, str) or not isinstance(views.get(key), dict):
        # No (usable) activeView: the first grid view, else the first view.
        dicts = {k: v for k, v in views.items() if isinstance(v, dict)}
        grids = [k for k, v in dicts.items() if v.get("type", "grid") == "grid"]
        key = (grids or list(dicts) or [None])[0]
        if key is None:
            return None
    view = views[key]
    kind = "report" if view.get("type") == "report" else "grid"
    columns = _count(view.get("maxColumns", view.get("numColumns")), _DEFAULT_COLUMNS, least=1)
    height = view.get("defaultCellHeight", view.get("cellHeight"))
    return GridView(
        kind=kind,
        columns=columns or _DEFAULT_COLUMNS,
        row_height=_count(height, _DEFAULT_ROW_HEIGHT, least=1) or _DEFAULT_ROW_HEIGHT,
        margin=_count(view.get("cellMargin"), _DEFAULT_MARGIN, least=0) or 0,
        key=key,
    )


def cell_box(cell_metadata: Any, view: GridView | None) -> GridBox | None:
    """The cell's box in ``view`` (clamped to its columns); None without a view."""
    if view is None:
        return None
    views = _dashboards(cell_metadata).get("views")
    entry = views.get(view.key) if isinstance(views, dict) else None
    if not isinstance(entry, dict):
        entry = {}
    hidden = entry.get("hidden") is True
    width = _count(entry.get("width"), _DEFAULT_CELL_WIDTH, least=1) or _DEFAULT_CELL_WIDTH
    width = min(width, view.columns)
    col = _count(entry.get("col"), None, least=0)
    row = _count(entry.get("row"), None, least=0)
    if col is None or row is None:
        col = row = None
    elif col + width > view.columns:
        col = max(0, view.columns - width)
    height = _count(entry.get("height"), _DEFAULT_CELL_HEIGHT, least=1) or _DEFAULT_CELL_HEIGHT
    return GridBox(col=col, row=row, width=width, height=height, hidden=hidden)
