"""Data grids and trees from their labextensions in one app: ipydatagrid (Lumino's data grid,
which the page provides from a bundle of its own), ipysheet (Handsontable), ipytree (jsTree);
a selection or an edit in the page reaches the kernel."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from conftest import PageLog
from libraries import SEEN, assert_clean, painted, wait_seen
from support import WIDGET_TIMEOUT_MS, open_dashboard

pytestmark = pytest.mark.browser

DATAGRID = """
import ipydatagrid, pandas as pd
grid = ipydatagrid.DataGrid(
    pd.DataFrame({"a": [1, 2, 3], "b": [4.5, 5.5, 6.5]}), selection_mode="cell",
    default_renderer=ipydatagrid.TextRenderer(background_color="red"), layout={"height": "150px"})
grid_seen = seen_label("grid")
grid.observe(lambda c: setattr(grid_seen, "value", f"selected {grid.selected_cells}"), names="selections")
_w.VBox([grid, grid_seen])
"""

SHEET = """
import ipysheet
sheet = ipysheet.sheet(rows=2, columns=2)
cell = ipysheet.cell(0, 0, 7)
sheet_seen = seen_label("sheet")
cell.observe(lambda c: setattr(sheet_seen, "value", f"cell is {c['new']}"), names="value")
_w.VBox([sheet, sheet_seen])
"""

TREE = """
import ipytree
tree = ipytree.Tree()
root = ipytree.Node("fruits")
apple = ipytree.Node("apple")
root.add_node(apple)
tree.add_node(root)
tree_seen = seen_label("tree")
apple.observe(lambda c: setattr(tree_seen, "value", f"apple selected {c['new']}"), names="selected")
_w.VBox([tree, tree_seen])
"""


def test_datagrid_sheet_and_tree_render_and_round_trip(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    app = serve(notebook([SEEN, DATAGRID, SHEET, TREE]))
    open_dashboard(page, app.url)
    grid = page.locator(".lm-DataGrid").first
    grid.wait_for(timeout=WIDGET_TIMEOUT_MS)
    canvas = grid.locator("canvas").first
    page.wait_for_function("(c) => c.width > 0", arg=canvas.element_handle())
    assert painted(canvas, (255, 0, 0)) > 1000  # its cells, drawn with the red renderer
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 100, box["y"] + 40)  # the first data cell
    wait_seen(page, "grid", "selected [{'r': 0, 'c': 0}]")
    assert any(u.endswith("/nbapp/static/widgets/datagrid.js") for u in page_log.requests)

    first = page.locator(".handsontable td").first
    first.wait_for(timeout=WIDGET_TIMEOUT_MS)
    assert first.inner_text().startswith("7")
    first.dblclick()
    page.keyboard.press("Control+A")
    page.keyboard.type("42")
    page.keyboard.press("Enter")
    wait_seen(page, "sheet", "cell is 42")

    page.get_by_text("apple").click()
    wait_seen(page, "tree", "apple selected True")
    assert_clean(page_log)
