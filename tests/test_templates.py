"""Templates: a user's own (found next to the notebook, installed into a share folder, or by
path), nbapp's grid, slides and print templates, in the live page and in exports, and one
clear line for a bad template before any kernel starts."""

from __future__ import annotations

import base64
import http.client
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from conftest import PageLog
from support import NBAPP, Code, Md, Running, env_with, wait_state, write_notebook

SCOTCH = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "gridstack"
# A 2x2 PNG, red.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg=="
)
LOGO = '<svg xmlns="http://www.w3.org/2000/svg" width="24" height="12"><rect width="24" height="12" fill="#0a141e"/></svg>'

# A user's template as the README shows it: the header and a stylesheet, plus an output block.
BRAND = {
    "conf.json": json.dumps({"theme": "dark"}),
    "page.html.j2": """{% extends "default/page.html.j2" %}
{% block stylesheets %}{{ super() }}
{{ stylesheet("brand.css") }}{% endblock %}
{% block header %}<div class="acme-brand"><img src="{{ static_url('logo.svg') }}" alt="Acme logo"> Acme Analytics</div>{{ super() }}{% endblock %}
{% block footer %}<footer class="acme-footer">Internal use</footer>{% endblock %}
""",
    "cell.html.j2": """{% extends "default/cell.html.j2" %}
{% block stream_stdout %}<div class="acme-stdout">{{ super() }}</div>{% endblock %}
""",
    "static/brand.css": """.acme-brand { background-color: rgb(10, 20, 30); color: rgb(250, 240, 230);
  padding: 8px 24px; background-image: url("img/stripe.png"); }
""",
    "static/img/stripe.png": PNG,
    "static/logo.svg": LOGO,
}


def make_template(folder: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return folder


def export(notebook: Path, *args: str, env: dict[str, str] | None = None) -> Path:
    target = notebook.with_suffix(".html")
    result = subprocess.run(
        [NBAPP, "export", str(notebook), "-o", str(target), *args],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    return target


@pytest.fixture
def file_page(browser: Browser) -> Iterator[tuple[Page, list[str], list[str]]]:
    """A page for exported files: every request it makes, and its console errors."""
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    page = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page, requests, errors
    context.close()


def open_exported(file_page: tuple[Page, list[str], list[str]], target: Path) -> Page:
    page, _, _ = file_page
    page.goto(target.as_uri())
    wait_state(page, "done")
    return page


def assert_offline(file_page: tuple[Page, list[str], list[str]], target: Path) -> None:
    _, requests, errors = file_page
    assert requests == [target.as_uri()], requests  # the file itself, and nothing else
    assert not errors, errors


def box(page: Page, selector: str) -> dict[str, float]:
    found = page.locator(selector).bounding_box()
    assert found is not None, f"{selector} is not laid out"
    return found


def http_get(app: Running, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", app.port, timeout=10)
    conn.request("GET", path, headers=app.auth)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, body


# --- a user's template ---------------------------------------------------------------------
BRAND_CELLS = [
    Md("# Quarterly report"),
    "print('hello from the kernel')",
    Code("print('left')", tags=("half",)),
    Code("print('right')", tags=("half",)),
]


@pytest.mark.browser
def test_user_template_next_to_the_notebook_overrides_header_and_adds_a_stylesheet(
    serve, tmp_path: Path, page: Page, page_log: PageLog
) -> None:
    make_template(tmp_path / "templates" / "brand", BRAND)
    nb = write_notebook(
        tmp_path / "report.ipynb", BRAND_CELLS, metadata={"nbapp": {"template": "brand"}}
    )
    page.set_viewport_size({"width": 1200, "height": 800})
    page.goto(serve(nb).url)
    wait_state(page, "done")
    brand = page.locator(".acme-brand")
    assert brand.is_visible() and brand.inner_text().strip() == "Acme Analytics"
    assert (
        page.evaluate("getComputedStyle(document.querySelector('.acme-brand')).backgroundColor")
        == "rgb(10, 20, 30)"
    )  # the template's stylesheet applies
    assert page.eval_on_selector("img[alt='Acme logo']", "img => img.naturalWidth") == 24
    assert page.locator(".acme-footer").inner_text() == "Internal use"
    # The cell template's output block, around the kernel's output.
    assert page.locator(".acme-stdout").first.inner_text().strip() == "hello from the kernel"
    # The base page still works inside it: status bar, theme from conf.json, tags.
    assert page.locator(".nbapp-bar").count() == 1
    assert page.get_attribute("body", "data-nbapp-theme") == "dark"
    left, right = box(page, "section:has-text('left')"), box(page, "section:has-text('right')")
    assert abs(left["y"] - right["y"]) < 2 and left["x"] + left["width"] <= right["x"]
    assert "print(" not in page.content()
    assert not page_log.console_errors, page_log.console_errors
    assert any("/nbapp/template/0/brand.css" in url for url in page_log.requests)


@pytest.mark.browser
def test_user_template_by_path_in_an_offline_export(
    tmp_path: Path, file_page: tuple[Page, list[str], list[str]]
) -> None:
    folder = make_template(tmp_path / "elsewhere" / "brand", BRAND)
    nb = write_notebook(tmp_path / "nb" / "report.ipynb", BRAND_CELLS)
    target = export(nb, "--template", str(folder))
    page = open_exported(file_page, target)
    assert page.locator(".acme-brand").inner_text().strip() == "Acme Analytics"
    style = page.evaluate("getComputedStyle(document.querySelector('.acme-brand'))")
    assert style["backgroundColor"] == "rgb(10, 20, 30)"
    assert style["backgroundImage"].startswith('url("data:image/png;base64,')  # inlined
    assert page.eval_on_selector("img[alt='Acme logo']", "img => img.naturalWidth") == 24
    assert page.locator(".acme-stdout").first.inner_text().strip() == "hello from the kernel"
    assert page.locator(".nbapp-bar").count() == 0  # an export has no status bar
    assert_offline(file_page, target)


@pytest.mark.browser
def test_template_installed_in_a_share_folder_is_found_by_name(
    serve, tmp_path: Path, page: Page, page_log: PageLog
) -> None:
    prefix = tmp_path / "prefix" / "share" / "jupyter"
    make_template(prefix / "nbapp" / "templates" / "corp", BRAND)
    nb = write_notebook(tmp_path / "nb" / "report.ipynb", BRAND_CELLS)
    app = serve(nb, "--template", "corp", env=env_with(JUPYTER_PATH=str(prefix)))
    page.goto(app.url)
    wait_state(page, "done")
    assert page.locator(".acme-brand").inner_text().strip() == "Acme Analytics"
    assert (
        page.evaluate("getComputedStyle(document.querySelector('.acme-brand')).backgroundColor")
        == "rgb(10, 20, 30)"
    )
    assert not page_log.console_errors, page_log.console_errors


def test_a_template_next_to_the_notebook_wins_over_an_installed_one(serve, tmp_path: Path) -> None:
    prefix = tmp_path / "prefix" / "share" / "jupyter"
    make_template(prefix / "nbapp" / "templates" / "corp", BRAND)
    local = {
        "page.html.j2": '{% extends "default/page.html.j2" %}'
        '{% block header %}<div class="local-corp">Local</div>{% endblock %}'
    }
    make_template(tmp_path / "nb" / "templates" / "corp", local)
    nb = write_notebook(tmp_path / "nb" / "report.ipynb", ["1"])
    app = serve(nb, "--template", "corp", env=env_with(JUPYTER_PATH=str(prefix)))
    status, html = http_get(app, "/")
    assert status == 200 and b'class="local-corp"' in html and b"acme-brand" not in html


def test_template_static_files_stay_in_their_folder(serve, tmp_path: Path) -> None:
    folder = make_template(tmp_path / "templates" / "brand", BRAND)
    (folder / "static" / "notes.py").write_text("TOP-SECRET")
    (folder / "static" / ".hidden.css").write_text("TOP-SECRET")
    (tmp_path / "secret.css").write_text("TOP-SECRET")
    (folder / "static" / "escape.css").symlink_to(tmp_path / "secret.css")
    nb = write_notebook(tmp_path / "nb.ipynb", ["1"], metadata={"nbapp": {"template": "brand"}})
    app = serve(nb)
    status, body = http_get(app, "/nbapp/template/0/brand.css")
    assert status == 200 and b"acme-brand" in body
    for path in (
        "/nbapp/template/0/../page.html.j2",
        "/nbapp/template/0/%2e%2e/conf.json",
        "/nbapp/template/0/..%2fcell.html.j2",
        "/nbapp/template/0/notes.py",
        "/nbapp/template/0/.hidden.css",
        "/nbapp/template/0/escape.css",
        "/nbapp/template/1/../../../../etc/passwd",
        "/templates/brand/page.html.j2",
        "/templates/brand/conf.json",
    ):
        status, body = http_get(app, path)
        assert status in (400, 403, 404), (path, status)
        assert b"TOP-SECRET" not in body and b"block" not in body, path
    conn = http.client.HTTPConnection("127.0.0.1", app.port, timeout=10)
    conn.request("GET", "/nbapp/template/0/brand.css")  # no token: refused like every route
    assert conn.getresponse().status == 403
    conn.close()


@pytest.mark.browser
def test_a_template_script_cannot_make_the_kernel_run_code(
    serve, tmp_path: Path, page: Page
) -> None:
    probe = tmp_path / "probe-created"
    evil = f"""
function probe() {{
  const kernel = window.nbappWidgets && window.nbappWidgets.kernel;
  if (!kernel || kernel.connectionStatus !== "connected") return setTimeout(probe, 100);
  kernel.requestExecute({{ code: "open({str(probe)!r}, 'w').write('ran')" }});
  // The shell answers in order: once this reply is back, an execute would have run.
  kernel.requestKernelInfo().then(() => {{ document.body.dataset.probed = "1"; }});
}}
probe();
"""
    make_template(
        tmp_path / "templates" / "evil",
        {
            "page.html.j2": '{% extends "default/page.html.j2" %}'
            '{% block scripts %}{{ super() }}{{ script("evil.js") }}{% endblock %}',
            "static/evil.js": evil,
        },
    )
    nb = write_notebook(
        tmp_path / "nb.ipynb",
        ["import ipywidgets as w\nw.IntSlider()"],
        metadata={"nbapp": {"template": "evil"}},
    )
    page.goto(serve(nb).url)
    page.wait_for_selector("body[data-probed]", state="attached", timeout=30_000)
    assert not probe.exists()


@pytest.mark.browser
@pytest.mark.parametrize("template", ["grid", "slides", "print"])
def test_cells_still_arrive_one_by_one_in_each_template(
    serve, notebook, page: Page, page_log: PageLog, template: str
) -> None:
    nb = notebook(["print('first-output')", "import time; time.sleep(4)", "print('last-output')"])
    page.goto(serve(nb, "--template", template).url)
    page.get_by_text("first-output").wait_for(timeout=30_000)
    # The first output is on screen while cell 2 still runs, and the bar says so.
    assert page.get_attribute("body", "data-nbapp-state") == "running"
    assert page.locator(".nbapp-bar").is_visible()
    page.get_by_text("Running cell 2 of 3").wait_for(timeout=10_000)
    assert page.get_by_text("last-output").count() == 0
    wait_state(page, "done")
    assert page.get_by_text("last-output").count() == 1
    assert not page_log.console_errors, page_log.console_errors


# --- grid: jupyter_dashboards / voila-gridstack layouts --------------------------------------
def dashboards_cell(
    col: int | None, row: int | None, width: int, height: int, hidden: bool = False
):
    view = {"col": col, "row": row, "width": width, "height": height, "hidden": hidden}
    return {"extensions": {"jupyter_dashboards": {"version": 1, "views": {"grid_default": view}}}}


GRID_META = {
    "extensions": {
        "jupyter_dashboards": {
            "version": 1,
            "activeView": "grid_default",
            "views": {
                "grid_default": {
                    "name": "grid",
                    "type": "grid",
                    "cellMargin": 10,
                    "defaultCellHeight": 40,
                    "maxColumns": 12,
                }
            },
        }
    }
}
GRID_CELLS = [
    Code("print('top left')", metadata=dashboards_cell(0, 0, 6, 4)),
    Code("print('top right')", metadata=dashboards_cell(6, 0, 6, 4)),
    Code("print('hidden output')", metadata=dashboards_cell(None, None, 2, 2, hidden=True)),
    Code("print('wide below')", metadata=dashboards_cell(0, 5, 12, 2)),
]


def grid_boxes(page: Page) -> tuple[dict[str, float], ...]:
    return tuple(
        box(page, f"section:has-text('{text}')") for text in ("top left", "top right", "wide below")
    )


def assert_grid_layout(page: Page) -> None:
    left, right, below = grid_boxes(page)
    row, margin = 40, 10
    assert abs(left["y"] - right["y"]) < 1  # side by side, at the saved coordinates
    assert abs(left["width"] - right["width"]) < 1
    assert abs(right["x"] - (left["x"] + left["width"] + margin)) < 1
    assert abs(left["height"] - (4 * row + 3 * margin)) < 1  # 4 rows of 40 px, 10 px apart
    assert abs(below["y"] - (left["y"] + 5 * (row + margin))) < 1  # row 5
    assert abs(below["width"] - (2 * left["width"] + margin)) < 1
    assert "hidden output" not in page.inner_text("body")


@pytest.mark.browser
def test_grid_template_places_outputs_at_their_saved_coordinates(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    nb = notebook(GRID_CELLS, metadata=GRID_META)
    page.set_viewport_size({"width": 1200, "height": 800})
    page.goto(serve(nb, "--template", "grid").url)
    wait_state(page, "done")
    assert_grid_layout(page)
    # Narrow: the boxes stack in reading order.
    page.set_viewport_size({"width": 600, "height": 800})
    left, right, below = grid_boxes(page)
    assert abs(left["x"] - right["x"]) < 1 and right["y"] >= left["y"] + left["height"]
    assert below["y"] >= right["y"] + right["height"]
    assert not page_log.console_errors, page_log.console_errors


@pytest.mark.browser
def test_grid_export_is_one_offline_file_in_the_same_layout(
    tmp_path: Path, file_page: tuple[Page, list[str], list[str]]
) -> None:
    nb = write_notebook(tmp_path / "grid.ipynb", GRID_CELLS, metadata=GRID_META)
    target = export(nb, "--template", "grid")
    page = open_exported(file_page, target)
    assert_grid_layout(page)
    assert_offline(file_page, target)


@pytest.mark.browser
def test_scotch_dashboard_opens_in_its_saved_layout(
    serve, tmp_path: Path, page: Page, page_log: PageLog
) -> None:
    source = SCOTCH / "scotch_dashboard.ipynb"
    if not source.exists():
        pytest.skip(f"{source} is not here")
    nb = tmp_path / source.name
    shutil.copyfile(source, nb)
    page.set_viewport_size({"width": 1280, "height": 900})
    app = serve(nb)  # metadata.voila.template "gridstack" picks nbapp's grid
    page.goto(app.url)
    wait_state(page, "done", timeout=120)
    assert page.get_attribute("body", "data-nbapp-template") == "grid"
    assert page.locator("section[data-cell-index]").count() == 6  # 8 hidden code cells left out

    def cell(index: int) -> dict[str, float]:
        return box(page, f"section[data-cell-index='{index}']")

    title, picker, figure, table = cell(0), cell(12), cell(11), cell(10)
    assert title["y"] < picker["y"] and abs(title["x"] - picker["x"]) < 1
    # Picker (col 0-3, row 4) and figure (col 4-11, row 4) side by side on row 4 ...
    assert abs(picker["y"] - figure["y"]) < 1 and picker["x"] + picker["width"] < figure["x"]
    assert abs(figure["width"] - 2 * picker["width"] - 10) < 2  # 8 columns against 4
    # ... and the table (col 0, row 7) under the picker, beside the figure.
    assert (
        abs(table["y"] - (picker["y"] + 3 * 60)) < 1 and table["y"] < figure["y"] + figure["height"]
    )
    page.wait_for_selector("section[data-cell-index='11'] .bqplot svg", timeout=30_000)
    assert page.locator(".nbapp-widget-failed").count() == 0
    # The widgets are live: picking another whisky recomputes in the kernel.
    page.select_option("section[data-cell-index='12'] select", "Laphroig")
    page.wait_for_function(
        "() => document.querySelector(\"section[data-cell-index='9']\").innerText.includes('If you like Laphroig')",
        timeout=20_000,
    )
    assert not page_log.console_errors, page_log.console_errors


# --- slides --------------------------------------------------------------------------------
def slide(kind: str) -> dict[str, Any]:
    return {"slideshow": {"slide_type": kind}}


SLIDE_CELLS = [
    Md("# First slide"),
    Code("import ipywidgets as w\nw.Text(placeholder='type here')", metadata=slide("-")),
    Code("print('second slide')", metadata=slide("slide")),
    Code("print('a fragment')", metadata=slide("fragment")),
    Code("print('below')", metadata=slide("subslide")),
    Code("print('skipped cell')", metadata=slide("skip")),
    Code("print('speaker notes')", metadata=slide("notes")),
    Code("print('last slide')", metadata=slide("slide")),
]


def visible(page: Page, text: str) -> bool:
    """Whether the cell that shows ``text`` is on screen."""
    return page.locator("section[data-cell-index]", has_text=text).is_visible()


def step_through_slides(page: Page) -> None:
    """One slide at a time: keys, buttons and a text box that keeps its own keys."""
    page.wait_for_selector("body[data-nbapp-slide='0/0/0']", state="attached")
    assert visible(page, "First slide") and not visible(page, "second slide")
    assert page.inner_text(".nbapp-slides-count") == "1 / 4"
    text_box = page.locator("input[placeholder='type here']")
    if text_box.count():  # live page: typing into a widget does not turn the page
        text_box.focus()
        page.keyboard.press("ArrowRight")
        assert page.get_attribute("body", "data-nbapp-slide") == "0/0/0"
        text_box.blur()
    page.keyboard.press("ArrowRight")
    assert visible(page, "second slide") and not visible(page, "First slide")
    assert not visible(page, "a fragment")  # its place is kept, its content hidden
    page.keyboard.press(" ")
    assert visible(page, "a fragment")
    page.keyboard.press("PageDown")
    assert visible(page, "below") and not visible(page, "second slide")
    assert page.inner_text(".nbapp-slides-count") == "3 / 4"
    page.click(".nbapp-slides-next")
    assert visible(page, "last slide")
    assert page.is_disabled(".nbapp-slides-next")
    page.keyboard.press("ArrowLeft")
    assert visible(page, "below")
    page.keyboard.press("Home")
    assert visible(page, "First slide")
    body = page.inner_text("body")
    assert "skipped cell" not in body and "speaker notes" not in body


@pytest.mark.browser
def test_slides_show_one_slide_and_the_next_on_a_key_press(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    page.goto(serve(notebook(SLIDE_CELLS), "--template", "slides").url)
    wait_state(page, "done")
    step_through_slides(page)
    assert not page_log.console_errors, page_log.console_errors


@pytest.mark.browser
def test_slides_export_is_one_offline_file_that_still_steps(
    tmp_path: Path, file_page: tuple[Page, list[str], list[str]]
) -> None:
    nb = write_notebook(
        tmp_path / "talk.ipynb", SLIDE_CELLS, metadata={"voila": {"template": "reveal"}}
    )
    target = export(nb)  # Voilà's reveal in the metadata: nbapp's slides
    page = open_exported(file_page, target)
    step_through_slides(page)
    assert_offline(file_page, target)


# --- print ---------------------------------------------------------------------------------
PRINT_CELLS = [
    Md("# Report for paper"),
    Code("print('left half')", tags=("half",)),
    Code("print('right half')", tags=("half",)),
    Code("print('folded away')", tags=("hide-output",)),
    Md("## Appendix", tags=("page-break",)),
]


@pytest.mark.browser
def test_print_template_lays_the_dashboard_out_for_paper(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    page.goto(serve(notebook(PRINT_CELLS), "--template", "print").url)
    wait_state(page, "done")
    assert page.get_attribute("body", "data-nbapp-theme") == "light"  # conf.json's theme
    page.emulate_media(media="print")
    assert not page.locator(".nbapp-bar").is_visible()
    assert visible(page, "folded away")  # paper cannot unfold
    left, right = (
        box(page, "section:has-text('left half')"),
        box(page, "section:has-text('right half')"),
    )
    assert abs(left["y"] - right["y"]) < 2 and left["x"] + left["width"] <= right["x"]
    pdf = page.pdf(format="A4")
    pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    assert pages == 2  # the cell tagged page-break starts the second page
    assert not page_log.console_errors, page_log.console_errors


@pytest.mark.browser
def test_print_export_is_one_offline_file_for_paper(
    tmp_path: Path, file_page: tuple[Page, list[str], list[str]]
) -> None:
    nb = write_notebook(tmp_path / "report.ipynb", PRINT_CELLS)
    target = export(nb, "--template", "print")
    page = open_exported(file_page, target)
    page.emulate_media(media="print")
    assert visible(page, "folded away")
    left = box(page, "section:has-text('left half')")
    right = box(page, "section:has-text('right half')")
    assert abs(left["y"] - right["y"]) < 2 and left["x"] + left["width"] <= right["x"]
    pdf = page.pdf(format="A4")
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") == 2
    assert_offline(file_page, target)


# --- bad templates -------------------------------------------------------------------------
BAD = {
    "unknown name": ({}, "--template nosuch", "'nosuch': no template of that name"),
    "no such folder": ({}, "--template ./nowhere/", "no such folder"),
    "not a template": ({"static.txt": "x"}, "--template bad", "not an nbapp template"),
    "syntax error": (
        {"page.html.j2": '{% extends "default/page.html.j2" %}\n{% block header %}<b>\n'},
        "--template bad",
        "page.html.j2 line 2: Unexpected end of template",
    ),
    "unknown page block": (
        {
            "page.html.j2": '{% extends "default/page.html.j2" %}\n\n{% block navbar %}x{% endblock %}'
        },
        "--template bad",
        "page.html.j2 line 3: unknown block 'navbar' (default/page.html.j2 has app_title, body_class, ",
    ),
    "unknown cell block": (
        {
            "cell.html.j2": '{% extends "default/cell.html.j2" %}{% block stream_stdot %}{% endblock %}'
        },
        "--template bad",
        "cell.html.j2 line 1: unknown block 'stream_stdot' (did you mean 'stream_stdout'?)",
    ),
    "extends itself": (
        {"page.html.j2": '{% extends "page.html.j2" %}{% block header %}{% endblock %}'},
        "--template bad",
        "page.html.j2: extends itself",
    ),
    "extends nothing known": (
        {"page.html.j2": '{% extends "nothing/page.html.j2" %}'},
        "--template bad",
        "extends 'nothing/page.html.j2', which no template of its chain has",
    ),
    "missing static file": (
        {
            "page.html.j2": '{% extends "default/page.html.j2" %}{% block stylesheets %}{{ stylesheet("nope.css") }}{% endblock %}'
        },
        "--template bad",
        "page.html.j2 line 1: no file 'nope.css' in the static/ folder",
    ),
    "conf.json not JSON": (
        {"conf.json": "{theme: dark"},
        "--template bad",
        "conf.json is not valid JSON",
    ),
    "conf.json unknown key": (
        {"conf.json": '{"colour": 1}'},
        "--template bad",
        "unknown key 'colour'",
    ),
    "conf.json bad theme": (
        {"conf.json": '{"theme": "pink"}'},
        "--template bad",
        "theme must be one of",
    ),
    "conf.json unknown parent": (
        {"conf.json": '{"base_template": "nosuch"}'},
        "--template bad",
        "base_template 'nosuch': no template of that name",
    ),
    "conf.json cycle": (
        {"conf.json": '{"base_template": "bad"}'},
        "--template bad",
        "base_template 'bad': no template of that name (other than itself)",
    ),
    "metadata names none": ({}, "metadata:nosuch", "metadata.nbapp.template 'nosuch'"),
}


@pytest.mark.parametrize("command", ["run", "export"])
@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_template_is_one_line_and_exit_2_before_any_kernel(
    tmp_path: Path, case: str, command: str
) -> None:
    files, how, problem = BAD[case]
    if files:
        make_template(tmp_path / "templates" / "bad", files)
    metadata = {"nbapp": {"template": how.split(":")[1]}} if how.startswith("metadata:") else {}
    nb = write_notebook(tmp_path / "nb.ipynb", ["print(1)"], metadata=metadata)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    args = how.split() if how.startswith("--") else []
    result = subprocess.run(
        [NBAPP, command, *(["--no-window"] if command == "run" else []), str(nb), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
        env=env_with(TMPDIR=str(scratch)),
    )
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("nbapp: error: "), result.stderr
    assert problem in lines[0], lines[0]
    assert list(scratch.iterdir()) == []  # no kernel runtime dir: no kernel was started
    assert not nb.with_suffix(".html").exists()


# --- the metadata the grid and slides templates read ----------------------------------------
def test_dashboard_view_metadata_is_read_leniently() -> None:
    from nbapp.page.gridview import GridBox, GridView, active_view, cell_box

    assert active_view({}) is None
    view = active_view(GRID_META)
    assert view == GridView("grid", columns=12, row_height=40, margin=10)
    # The specification's names (numColumns, cellHeight) and no activeView: the first grid.
    spec = {
        "extensions": {
            "jupyter_dashboards": {
                "views": {
                    "r": {"type": "report"},
                    "g": {"type": "grid", "numColumns": 6, "cellHeight": 30},
                }
            }
        }
    }
    assert active_view(spec) == GridView("grid", columns=6, row_height=30, margin=10, key="g")
    assert cell_box(dashboards_cell(2, 3, 4, 5), view) == GridBox(2, 3, 4, 5)
    # No box in the view: placed where there is room, 12 x 2, as voila-gridstack does.
    assert cell_box({}, view) == GridBox(None, None, 12, 2)
    # Wrong kinds of values fall back to defaults; a box past the last column is pulled in.
    assert cell_box(dashboards_cell(10, 0, 6, "tall"), view) == GridBox(6, 0, 6, 2)  # type: ignore[arg-type]
    assert cell_box(dashboards_cell(0, -1, 0, 2, hidden=True), view) == GridBox(
        None, None, 12, 2, hidden=True
    )
    report = {
        "extensions": {
            "jupyter_dashboards": {"activeView": "r", "views": {"r": {"type": "report"}}}
        }
    }
    assert active_view(report).kind == "report"  # type: ignore[union-attr]


def test_slideshow_plan_follows_nbconverts_reading() -> None:
    from nbapp.page.slideshow import SlideStep, plan

    def cell(kind: str | None) -> dict[str, Any]:
        return {"metadata": slide(kind) if kind else {}}

    steps = plan(
        [
            cell("fragment"),
            cell(None),
            cell("slide"),
            cell("fragment"),
            cell("notes"),
            cell("subslide"),
            cell("skip"),
            cell("-"),
            cell("bogus"),
            cell("slide"),
        ]
    )
    assert steps == [
        SlideStep(0, 0, 0, "fragment"),  # the first cell starts a slide whatever its type
        SlideStep(0, 0, 0, "-"),
        SlideStep(1, 0, 0, "slide"),
        SlideStep(1, 0, 1, "fragment"),
        SlideStep(1, 0, 1, "notes"),
        SlideStep(1, 1, 0, "subslide"),
        None,
        SlideStep(1, 1, 0, "-"),
        SlideStep(1, 1, 0, "-"),
        SlideStep(2, 0, 0, "slide"),
    ]


# --- the README's template, as a user copies it ---------------------------------------------
def readme_block(readme: str, caption: str) -> str:
    """The code block right after the line ``caption`` in the README."""
    after = readme.split(f"\n{caption}\n", 1)[1]
    return after.split("```", 2)[1].split("\n", 1)[1]


@pytest.mark.browser
def test_the_readme_template_works_as_written(
    tmp_path: Path, file_page: tuple[Page, list[str], list[str]]
) -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    folder = make_template(
        tmp_path / "mydash",
        {
            "page.html.j2": readme_block(readme, "`page.html.j2`:"),
            "cell.html.j2": readme_block(readme, "`cell.html.j2`:"),
            "static/mydash.css": readme_block(readme, "`static/mydash.css`:"),
            "static/logo.svg": LOGO,
        },
    )
    nb = write_notebook(tmp_path / "nb.ipynb", ["print('printed text')"])
    target = export(nb, "--template", str(folder))
    page = open_exported(file_page, target)
    assert page.inner_text(".mydash-banner").strip() == "Acme Analytics"
    assert page.inner_text(".mydash-printed").strip() == "printed text"
    assert (
        page.evaluate("getComputedStyle(document.querySelector('.mydash-banner')).backgroundColor")
        == "rgb(11, 61, 145)"
    )
    assert_offline(file_page, target)
