"""What the kernel imports ahead, while nbapp's server starts (nbapp.kernel.preload)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from nbformat.v4 import new_code_cell, new_markdown_cell

from nbapp.kernel.preload import modules_to_preload

from support import NBAPP, env_with, write_notebook


def test_the_first_code_cells_leading_imports_of_quiet_libraries_are_preloaded() -> None:
    cells = [
        new_markdown_cell("# An app"),
        new_code_cell(
            "import numpy as np\nimport pandas as pd, os\nimport hvplot.pandas\n"
            "from panel.widgets import IntSlider\nimport holoviews as hv\n\nx = 1\nimport scipy"
        ),
        new_code_cell("import sklearn"),
    ]
    # hvplot.pandas displays Panel's loader when imported: only its quiet parent package;
    # nothing after the first other statement (scipy), nothing of a later cell
    assert modules_to_preload(cells) == ["numpy", "pandas", "hvplot", "panel", "holoviews"]


def test_nothing_is_preloaded_after_code_runs_or_from_unknown_syntax() -> None:
    assert (
        modules_to_preload([new_code_cell("import os\nos.environ['X'] = '1'\nimport panel")]) == []
    )
    assert modules_to_preload([new_code_cell("%matplotlib inline\nimport pandas")]) == []
    assert modules_to_preload([new_code_cell("from .local import panel")]) == []
    assert modules_to_preload([new_code_cell("  "), new_code_cell("import bokeh.plotting")]) == [
        "bokeh"
    ]


def test_nothing_is_preloaded_after_an_import_of_the_users_own_code() -> None:
    # settings.py could set an environment variable or sys.path for the imports after it
    cells = [new_code_cell("import os, json\nimport numpy\nimport settings\nimport panel")]
    assert modules_to_preload(cells) == ["numpy"]


def _exported_text(notebook: Path, **env: str) -> str:
    done = subprocess.run(
        [NBAPP, "export", str(notebook), "-o", str(notebook.with_suffix(".html"))],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env=env_with(**env),
    )
    assert done.returncode == 0, done.stderr
    html = notebook.with_suffix(".html").read_text(encoding="utf-8")
    return re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.DOTALL)


def test_a_module_next_to_the_notebook_runs_in_the_cell_not_ahead(tmp_path: Path) -> None:
    # A param.py of the user's shadows the library: it is their code, run by the cell (the
    # kernel's working directory is the notebook's folder); imported ahead, its print was lost.
    (tmp_path / "param.py").write_text("print('local param module imported')\n")
    notebook = write_notebook(tmp_path / "nb.ipynb", ["import param\nprint(param.__name__)"])
    text = _exported_text(notebook)
    assert "local param module imported" in text, text


def test_what_a_library_prints_or_warns_when_imported_ahead_shows_in_the_first_cell(
    tmp_path: Path,
) -> None:
    # No quiet library prints when imported today; a stand-in named like one, installed
    # elsewhere than the notebook's folder (PYTHONPATH), shows what a future version might.
    lib = tmp_path / "lib" / "sklearn"
    lib.mkdir(parents=True)
    (lib / "__init__.py").write_text(
        "import warnings\nprint('stand-in says hello')\n"
        "warnings.warn('stand-in warns', UserWarning, stacklevel=1)\n"
    )
    folder = tmp_path / "app"
    notebook = write_notebook(folder / "nb.ipynb", ["import sklearn\nprint('after import')"])
    text = _exported_text(notebook, PYTHONPATH=str(tmp_path / "lib"))
    assert "stand-in says hello" in text, text
    assert "stand-in warns" in text, text
    assert text.index("stand-in says hello") < text.index("after import")
