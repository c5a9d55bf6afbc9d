"""What a notebook's code imports, known before it runs: its heavy libraries imported ahead,
and the front ends they will ask the page for loaded ahead.

nbapp's kernel starts at launch (early_kernel.py) and then waits, idle, for the server to
start and send the first cell. A dashboard's first cell usually begins by importing its
libraries, and those imports are most of its start (Panel, HoloViews and pandas: about 2 s
here). The kernel imports them during its idle wait instead: the first cell then finds them
imported. Only libraries known to do nothing visible when imported are imported ahead (never
``hvplot.pandas``, which displays Panel's loader), only the import statements that open the
first code cell (nothing of the notebook runs before them either), and only their top-level
package. A library that fails to import ahead is left to the cell, which reports it.

The page likewise starts loading BokehJS and Panel's front end when the notebook imports
Bokeh, Panel, HoloViews or hvplot (``imported_packages``; library_assets.front_ends_for), while
the kernel still imports them, instead of once the first output asks for them.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import os
from collections.abc import Iterable

PRELOAD_ENV = "NBAPP_PRELOAD"
# Top-level packages that import without output, without reading anything the notebook could
# set first (they read their environment variables, which the notebook's first statements
# cannot have changed: the imports come first), and that dashboards commonly open with.
_QUIET = frozenset(
    {
        "numpy",
        "pandas",
        "param",
        "bokeh",
        "panel",
        "panel_material_ui",
        "holoviews",
        "hvplot",
        "scipy",
        "sklearn",
    }
)


def _leading_imports(source: str) -> list[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []  # IPython syntax (magics): the cell shows its own error, or runs in IPython
    names: list[str] = []
    for statement in tree.body:
        if isinstance(statement, ast.Import):
            names += [alias.name for alias in statement.names]
        elif isinstance(statement, ast.ImportFrom) and statement.level == 0 and statement.module:
            names.append(statement.module)
        else:
            break
    return names


def imported_packages(cells: Iterable[dict[str, object]]) -> set[str]:
    """The top-level packages any code cell imports (cells that do not parse are skipped)."""
    found: set[str] = set()
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        try:
            tree = ast.parse(str(cell.get("source", "")))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found


def modules_to_preload(cells: Iterable[dict[str, object]]) -> list[str]:
    """The quiet top-level packages the first code cell imports before anything else."""
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        source = str(cell.get("source", ""))
        if not source.strip():
            continue
        found: list[str] = []
        for name in _leading_imports(source):
            top = name.split(".")[0]
            if top in _QUIET and top not in found:
                found.append(top)
        return found
    return []


def preload() -> None:
    """In the kernel, before it answers: import what nbapp named (PRELOAD_ENV)."""
    for name in filter(None, os.environ.get(PRELOAD_ENV, "").split(",")):
        # Best effort: the first cell imports it again and reports whatever goes wrong.
        with contextlib.suppress(Exception):
            importlib.import_module(name)
