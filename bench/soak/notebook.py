"""The widget notebook every phase drives: a slider whose changes the kernel counts."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

SLIDER_CELL = """\
import ipywidgets as w
slider = w.IntSlider(value=0, min=0, max=10**9, description="value")
slider.add_class("soak-slider")
seen = w.Label("0 0")
seen.add_class("soak-seen")
count = 0
def changed(change):
    global count
    count += 1
    seen.value = f"{change['new']} {count}"
slider.observe(changed, names="value")
print("soak slider", slider.model_id)
w.VBox([slider, seen])
"""

MORE_CELL = """\
import ipywidgets as w
choice = w.Dropdown(options=["a", "b", "c"], description="choice")
out = w.Output()
def show(change):
    with out:
        out.clear_output()
        print("picked", change["new"])
choice.observe(show, names="value")
w.VBox([choice, out])
"""


def write(folder: Path) -> Path:
    nb = new_notebook(
        cells=[
            new_markdown_cell("# Soak\nA slider the harness moves, and what the kernel saw."),
            new_code_cell(SLIDER_CELL),
            new_code_cell(MORE_CELL),
            new_code_cell("print('ready')"),
        ],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "soak.ipynb"
    nbformat.write(nb, path)
    return path
