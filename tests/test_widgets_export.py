"""``nbapp export`` with third-party widgets: the one-file page carries their front ends
(federated labextensions and their assets) and draws them from the saved state, from disk,
with no request but to the file itself and to blob:/data: URLs it made."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import Page

from support import NBAPP, WIDGET_TIMEOUT_MS, write_notebook

pytestmark = pytest.mark.browser

CELLS = [
    """
import bqplot as bq
xs, ys = bq.LinearScale(), bq.LinearScale()
bq.Figure(marks=[bq.Scatter(x=[1, 2, 3], y=[3, 1, 2], scales={"x": xs, "y": ys}, colors=["red"])],
          axes=[bq.Axis(scale=xs), bq.Axis(scale=ys, orientation="vertical")])
""",
    """
import ipyleaflet as L
m = L.Map(center=(52.0, 10.0), zoom=5)
m.add(L.Marker(location=(52.0, 10.0)))
m
""",
    """
import anywidget, traitlets
class Counter(anywidget.AnyWidget):
    _esm = '''
    export default { render({ model, el }) {
      const b = document.createElement("button");
      b.className = "any-counter";
      b.textContent = `count is ${model.get("value")}`;
      el.append(b);
    } };
    '''
    value = traitlets.Int(5).tag(sync=True)
Counter()
""",
    """
import ipydatagrid, pandas as pd
ipydatagrid.DataGrid(pd.DataFrame({"a": [1, 2]}), layout={"height": "100px"})
""",
]


def test_exported_page_draws_third_party_widgets_from_disk(
    tmp_path: Path, file_page: tuple[Page, list[str], list[str]]
) -> None:
    nb = write_notebook(tmp_path / "libraries.ipynb", CELLS)
    target = tmp_path / "libraries.html"
    result = subprocess.run(
        [NBAPP, "export", str(nb), "-o", str(target)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    page, requests, errors = file_page
    page.goto(target.as_uri())
    page.wait_for_selector('body[data-nbapp-state="done"]', state="attached")
    page.locator(".bqplot .dot").first.wait_for(timeout=WIDGET_TIMEOUT_MS)
    assert page.locator(".bqplot .dot").count() == 3
    icon = page.locator(".leaflet-marker-icon")
    icon.wait_for(timeout=WIDGET_TIMEOUT_MS)
    assert icon.evaluate("(img) => img.complete && img.naturalWidth > 0")
    assert "needs a network connection" in page.locator(".nbapp-offline-tiles").inner_text()
    assert page.locator("button.any-counter").inner_text() == "count is 5"
    page.locator(".lm-DataGrid canvas").first.wait_for(timeout=WIDGET_TIMEOUT_MS)
    assert page.locator(".nbapp-widget-failed").count() == 0
    others = [u for u in requests if u != target.as_uri() and not u.startswith(("blob:", "data:"))]
    assert not others, others
    assert not errors, errors
