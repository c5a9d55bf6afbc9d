"""``nbapp export``: one HTML file that opens from disk, shows the dashboard as the run left it
(widgets from saved state, math typeset, same tags and layout) and makes no request at all."""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from support import NBAPP, Code, Md, write_notebook

pytestmark = pytest.mark.browser

# A 2x2 PNG, red.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg=="
)


@pytest.fixture
def file_page(browser: Browser) -> Iterator[tuple[Page, list[str]]]:
    """A page that records every request it makes, file:// ones included."""
    context = browser.new_context()
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    yield page, requests
    context.close()


def page_text(html: str) -> str:
    """The HTML without its inlined scripts and styles."""
    return re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.DOTALL)


def export(notebook: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [NBAPP, "export", str(notebook), *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_exported_page_opens_from_disk_with_widgets_and_no_request(
    tmp_path: Path, file_page: tuple[Page, list[str]]
) -> None:
    (tmp_path / "dot.png").write_bytes(PNG)
    nb = write_notebook(
        tmp_path / "board.ipynb",
        [
            Md("# Exported board\n\nEnergy $E = mc^2$ and ![a dot](dot.png)"),
            Code(
                "import ipywidgets as w\nlevel = w.IntSlider(value=1, description='Level')\nlevel",
                tags=("sidebar",),
            ),
            Code(
                "out = w.Output()\nwith out:\n    print('captured by Output')\nout", tags=("half",)
            ),
            Code("print('right half')", tags=("half",)),
            Code("print('hidden')", tags=("remove-cell",)),
            "level.value = 7  # the page shows the state the run left",
        ],
    )
    target = tmp_path / "out" / "page.html"
    target.parent.mkdir()
    result = export(nb, "-o", str(target), "--theme", "dark")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert f"wrote {target}" in result.stderr
    html = target.read_text()
    # No source, as in the live page; the removed cell's output neither.
    assert "print('captured" not in html and "level.value = 7" not in html
    assert "hidden" not in page_text(html)

    page, requests = file_page
    page.goto(target.as_uri())
    page.wait_for_selector('body[data-nbapp-state="done"]', state="attached")
    page.wait_for_selector(".nbapp-widget-ready >> nth=1")
    assert page.locator(".nbapp-widget-failed").count() == 0
    slider = page.locator("#nbapp-sidebar .widget-slider")
    assert slider.count() == 1
    assert page.locator("#nbapp-sidebar .widget-readout").inner_text() == "7"
    assert "captured by Output" in page.inner_text("#nbapp-cells")
    page.wait_for_selector("mjx-container svg", state="attached")  # math typeset, fontless SVG
    assert "E = mc^2" not in page.inner_text("body")
    assert page.eval_on_selector("img[alt='a dot']", "img => img.complete && img.naturalWidth") == 2

    left = page.locator("section.nbapp-cell", has_text="captured by Output").bounding_box()
    right = page.locator("section.nbapp-cell", has_text="right half").bounding_box()
    assert left and right and abs(left["y"] - right["y"]) < 2 and left["x"] < right["x"]
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background != "rgb(255, 255, 255)"  # --theme dark was kept

    assert requests == [target.as_uri()], requests  # the file itself, and nothing else
    # And it could not fetch anything even if a library tried: its own policy forbids it.
    assert "default-src 'none'" in html


def test_plotly_figure_is_drawn_in_the_exported_page(
    tmp_path: Path, file_page: tuple[Page, list[str]]
) -> None:
    pytest.importorskip("plotly")
    nb = write_notebook(
        tmp_path / "plot.ipynb",
        ["import plotly.graph_objects as go\ngo.Figure(go.Bar(x=['a', 'b', 'c'], y=[3, 1, 2]))"],
    )
    target = tmp_path / "plot.html"
    assert export(nb, "-o", str(target)).returncode == 0
    page, requests = file_page
    page.goto(target.as_uri())
    page.wait_for_selector(".nbapp-plotly-figure .main-svg", state="attached")
    assert page.locator(".nbapp-plotly-figure .bars .point").count() == 3
    assert requests == [target.as_uri()], requests


def test_failing_notebook_is_not_exported(tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "broken.ipynb", ["x = 1", "1 / 0", "print('never')"])
    target = tmp_path / "broken.html"
    result = export(nb, "-o", str(target))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(nb) in lines[0], result.stderr
    assert "Cell 2 failed: ZeroDivisionError" in lines[0]
    assert not target.exists()
    assert not list(tmp_path.glob(".*partial"))


def test_notebook_with_an_invalid_output_fails_instead_of_hanging(tmp_path: Path) -> None:
    source = (
        "from IPython.display import publish_display_data\npublish_display_data({'text/html': 5})"
    )
    nb = write_notebook(tmp_path / "odd.ipynb", [source])
    result = export(nb, "-o", str(tmp_path / "odd.html"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Cell 1 failed: NotebookValidationError" in lines[0], result.stderr


def test_output_in_a_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "nb.ipynb", ["x = 1"])
    result = export(nb, "-o", str(tmp_path / "no" / "such" / "page.html"))
    assert result.returncode == 2
    assert "not a file in an existing folder" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_charts_and_maps_are_drawn_in_the_exported_page_with_no_request(
    tmp_path: Path, file_page: tuple[Page, list[str]]
) -> None:
    """altair (vega via its HTML renderer), a Vega-Lite bundle, GeoJSON and a folium map:
    their libraries are inlined, in folium's iframe too."""
    nb = write_notebook(
        tmp_path / "charts.ipynb",
        [
            "import altair as alt, pandas as pd\n"
            "alt.renderers.set_embed_options(renderer='svg')\n"
            "alt.Chart(pd.DataFrame({'x': [1, 2, 3], 'y': [3, 1, 2]})).mark_point().encode(x='x', y='y')",
            "from IPython.display import GeoJSON\n"
            "GeoJSON({'type': 'LineString', 'coordinates': [[2.3, 48.8], [2.4, 48.9]]})",
            "import folium\nm = folium.Map(location=[45.5, -122.6], zoom_start=11)\n"
            "folium.Marker([45.5, -122.6], icon=folium.Icon(icon='info-sign')).add_to(m)\nm",
        ],
    )
    target = tmp_path / "charts.html"
    result = export(nb, "-o", str(target))
    assert result.returncode == 0, result.stderr
    page, requests = file_page
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(target.as_uri())
    page.locator(".vega-embed svg .mark-symbol path").first.wait_for(state="attached")
    assert page.locator(".vega-embed svg .mark-symbol path").count() == 3
    page.locator(".jp-RenderedGeoJSON .leaflet-overlay-pane path").wait_for(state="attached")
    frame = page.frame_locator("iframe")
    frame.locator(".awesome-marker-icon-blue").wait_for()
    assert "needs a network connection" in frame.locator(".nbapp-offline-tiles").inner_text()
    assert requests == [target.as_uri()], requests
    assert not errors, errors


def test_itables_and_great_tables_work_in_the_exported_page(
    tmp_path: Path, file_page: tuple[Page, list[str]]
) -> None:
    """itables' offline mode carries its bundle in the output (run from a blob: URL)."""
    nb = write_notebook(
        tmp_path / "tables.ipynb",
        [
            "import pandas as pd\nfrom itables import init_notebook_mode\n"
            "init_notebook_mode(all_interactive=True)\n"
            "pd.DataFrame({'name': [f'row-{i}' for i in range(30)]})",
            "from great_tables import GT, exibble\nGT(exibble.head(3)).tab_header(title='Offline table')",
        ],
    )
    target = tmp_path / "tables.html"
    result = export(nb, "-o", str(target))
    assert result.returncode == 0, result.stderr
    page, requests = file_page
    page.goto(target.as_uri())
    page.wait_for_function("document.querySelectorAll('table.dataTable tbody tr').length === 10")
    page.locator(".dt-search input").fill("row-17")
    page.wait_for_function("document.querySelectorAll('table.dataTable tbody tr').length === 1")
    assert page.locator(".gt_title").inner_text() == "Offline table"
    assert [u for u in requests if not u.startswith("blob:")] == [target.as_uri()], requests


def test_pdf_holds_the_dashboards_output_and_needs_no_latex(tmp_path: Path) -> None:
    """``--pdf``: the exported page printed by Qt WebEngine, offscreen, with the print template;
    the text is real text (pdftotext reads it), widgets as the run left them."""
    if not shutil.which("pdftotext"):
        pytest.fail("pdftotext is missing; `make test` installs poppler-utils")
    nb = write_notebook(
        tmp_path / "report.ipynb",
        [
            Md("# Quarterly report\n\nSales went *up*."),
            "import ipywidgets as w\nw.IntSlider(value=4, description='Quarter')",
            "print('total sales 1234567')",
            Md("## Appendix on its own page", tags=("page-break",)),
        ],
    )
    env = {**os.environ, "PATH": f"{Path(NBAPP).parent}:/usr/bin:/bin"}  # no TeX anywhere
    result = subprocess.run(
        [NBAPP, "export", "--pdf", str(nb)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )
    target = tmp_path / "report.pdf"
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"nbapp: wrote {target} ("), result.stderr
    assert target.read_bytes().startswith(b"%PDF-")
    text = subprocess.run(
        ["pdftotext", str(target), "-"], capture_output=True, text=True, check=True
    ).stdout
    for expected in ("Quarterly report", "Sales went up.", "total sales 1234567", "Quarter"):
        assert expected in text, text
    assert "4" in text.split("Quarter", 1)[1]  # the slider's readout, as the run left it
    assert "Running cell" not in text and "Restart" not in text  # no app controls on paper
    assert not list(tmp_path.glob("*.html"))  # the page it printed was temporary
    # Laid out by the print template (issue 17): only it breaks a page before a cell tagged
    # page-break, so the appendix starts page 2 (pdftotext ends each page with a form feed).
    pages = text.split("\f")
    assert "Appendix" not in pages[0] and "Appendix on its own page" in pages[1], pages


def test_pdf_with_chromium_when_asked(tmp_path: Path) -> None:
    """``NBAPP_PDF_ENGINE=chromium``: the same page printed by an installed Chromium instead."""
    nb = write_notebook(
        tmp_path / "c.ipynb", [Md("# Chromium print"), "print('printed by chromium')"]
    )
    env = {**os.environ, "NBAPP_PDF_ENGINE": "chromium"}
    result = subprocess.run(
        [NBAPP, "export", "--pdf", str(nb), "-o", str(tmp_path / "out.pdf")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "out.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Chromium print" in text and "printed by chromium" in text


def test_pdf_without_an_engine_is_one_line_and_runs_nothing(tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "nb.ipynb", ["open('ran', 'w').write('yes')"])
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    for engine, problem in (
        ("bogus", "NBAPP_PDF_ENGINE must be qt or chromium, not 'bogus'"),
        ("chromium", "cannot print to PDF: NBAPP_PDF_ENGINE=chromium but no Chromium found"),
    ):
        env = {**os.environ, "NBAPP_PDF_ENGINE": engine, "PATH": str(Path(NBAPP).parent)}
        result = subprocess.run(
            [NBAPP, "export", "--pdf", str(nb)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={**env, "TMPDIR": str(scratch)},
        )
        assert result.returncode == 2
        assert result.stderr.strip().splitlines() == [f"nbapp: error: {problem}"]
    assert not (tmp_path / "ran").exists() and list(scratch.iterdir()) == []
