"""What a notebook's code imports, known before it runs: its heavy libraries imported ahead,
and the front ends they will ask the page for loaded ahead.

nbapp's kernel starts at launch (early_kernel.py) and then waits, idle, for the server to
start and send the first cell. A dashboard's first cell usually begins by importing its
libraries, and those imports are most of its start (Panel, HoloViews and pandas: about 2 s
here). The kernel imports them during its idle wait instead: the first cell then finds them
imported.

Importing ahead must not change what the notebook does, so it is narrow:
- only libraries known to do nothing visible when imported (never ``hvplot.pandas``, which
  displays Panel's loader), and only their top-level package;
- only the import statements that open the first code cell, and only up to the first import
  of anything that is neither such a library nor the standard library: a module of the user's
  own could set an environment variable, ``sys.path`` or a patch before the next import, so
  nothing after it is imported ahead (nothing of the notebook runs before them either way: the
  kernel's working directory and ``sys.path`` are those the cell will have);
- never a module found in the kernel's working directory (the notebook's folder): a
  ``pandas.py`` next to the notebook is the user's code and runs in the cell, not ahead;
- what an import ahead prints or warns is kept and shown by the first cell, where it would
  have shown;
- an import that fails ahead is undone (every module it added is dropped from
  ``sys.modules``): the cell imports it again from scratch and reports the error itself.

The page likewise starts loading BokehJS and Panel's front end when the notebook imports
Bokeh, Panel, HoloViews or hvplot (``imported_packages``; library_assets.front_ends_for), while
the kernel still imports them, instead of once the first output asks for them.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import io
import logging
import os
import sys
import warnings
from collections.abc import Iterable
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

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
            if top in _QUIET:
                if top not in found:
                    found.append(top)
            elif top not in sys.stdlib_module_names:
                break  # the user's own module (or another library) may prepare what follows
        return found
    return []


def _from_installed_package(name: str) -> bool:
    """Whether ``name`` would be imported from elsewhere than the kernel's working directory
    (a virtual environment inside the notebook's folder is elsewhere: its site-packages)."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return False
    if spec is None or not spec.origin or not spec.has_location:
        return False
    origin = Path(spec.origin).resolve()
    found_in = origin.parent.parent if spec.submodule_search_locations else origin.parent
    return found_in != Path.cwd().resolve()


class _Held:
    """What imports ahead printed and warned, shown by the first cell that runs."""

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self.stdout = io.StringIO()
        self.stderr = io.StringIO()
        self.warnings: list[warnings.WarningMessage] = []

    def show(self, *_: object) -> None:
        self.shell.events.unregister("pre_run_cell", self.show)
        sys.stdout.write(self.stdout.getvalue())
        sys.stderr.write(self.stderr.getvalue())
        for w in self.warnings:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno, w.file, w.line)


def _import_ahead(name: str, held: _Held) -> None:
    before = set(sys.modules)
    with (
        warnings.catch_warnings(record=True) as caught,
        redirect_stdout(held.stdout),
        redirect_stderr(held.stderr),
    ):
        try:
            importlib.import_module(name)
        except BaseException as error:  # even SystemExit: the cell meets it again
            for added in set(sys.modules) - before:
                sys.modules.pop(added, None)
            logger.debug("not imported ahead: %s (%r)", name, error)
    held.warnings += caught


def preload(shell: Any) -> None:
    """In the kernel, before it answers: import what nbapp named (PRELOAD_ENV)."""
    names = [n for n in os.environ.pop(PRELOAD_ENV, "").split(",") if n]
    held = _Held(shell)
    for name in names:
        if _from_installed_package(name):
            _import_ahead(name, held)
    if held.stdout.getvalue() or held.stderr.getvalue() or held.warnings:
        shell.events.register("pre_run_cell", held.show)
