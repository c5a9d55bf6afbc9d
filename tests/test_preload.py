"""What the kernel imports ahead, while nbapp's server starts (nbapp.preload)."""

from __future__ import annotations

from nbformat.v4 import new_code_cell, new_markdown_cell

from nbapp.preload import modules_to_preload


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
