"""The dashboard page in a real Chromium against a real nbapp and kernel."""

from __future__ import annotations

import base64
import urllib.request
from pathlib import Path

from playwright.sync_api import Page

from conftest import PageLog
from support import Md, read_events, state_is, wait_for, wait_state

TINY_PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
        "0000000c4944415408d763f8cfc0000003010100c9fe92ef0000000049454e44ae426082"
    )
).decode()


def test_every_standard_output_type_renders(serve, notebook, page: Page, page_log: PageLog) -> None:
    nb = notebook(
        [
            Md("# Outputs\n\nInline math $e^{i\\pi} + 1 = 0$ and *markdown*."),
            "print('stream-out')",
            "import sys; print('stream-err', file=sys.stderr)",
            "from IPython.display import HTML; HTML('<b id=\"html-out\">bold</b>')",
            f"from IPython.display import Image; Image(data=__import__('base64').b64decode('{TINY_PNG}'))",
            'from IPython.display import SVG; SVG(\'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>\')',
            "from IPython.display import Latex; Latex(r'$\\alpha^2$')",
            "from IPython.display import Markdown; Markdown('**md-out**')",
            "from IPython.display import JSON; JSON({'json_key': [1, 2]})",
            "6 * 7",
        ]
    )
    app = serve(nb)
    page.goto(app.url)
    wait_state(page, "done")
    cells = page.locator("#nbapp-cells")
    assert "stream-out" in cells.inner_text()
    assert "stream-err" in cells.inner_text()
    assert page.locator("#html-out").inner_text() == "bold"
    assert page.locator('img[src^="data:image/png;base64"]').count() == 1
    assert page.locator('img[src^="data:image/svg+xml;base64"]').count() == 1
    assert "md-out" in page.locator('[data-mime-type="text/markdown"] strong').inner_text()
    assert "json_key" in page.locator('[data-mime-type="application/json"]').inner_text()
    assert "42" in cells.inner_text()
    # MathJax (served by the app) typesets both the markdown and the LaTeX output.
    wait_for(lambda: page.locator("mjx-container").count() >= 2, 20, "MathJax to typeset")
    assert not page_log.console_errors, page_log.console_errors
    assert any("/nbapp/static/vendor/mathjax/" in url for url in page_log.requests)
    # No cell source anywhere in the page.
    assert "print(" not in page.content()


def test_page_without_math_does_not_load_mathjax(
    serve, notebook, page: Page, page_log: PageLog
) -> None:
    """MathJax (1.2 MB) is fetched only once some output has math in it."""
    app = serve(notebook([Md("# Plain"), "print('no math here')"]))
    page.goto(app.url)
    wait_state(page, "done")
    assert "no math here" in page.locator("#nbapp-cells").inner_text()
    page.wait_for_load_state("networkidle")
    assert not [url for url in page_log.requests if "/mathjax/" in url], page_log.requests


def test_cells_appear_progressively(serve, notebook, page: Page) -> None:
    nb = notebook(["print('first-output')", "import time; time.sleep(4)", "print('last-output')"])
    app = serve(nb)
    page.goto(app.url)
    page.get_by_text("first-output").wait_for(timeout=30_000)
    # The first output is visible while cell 2 still runs, and the bar says so.
    assert page.locator("body").get_attribute("data-nbapp-state") == "running"
    page.get_by_text("Running cell 2 of 3").wait_for(timeout=10_000)
    assert page.get_by_text("last-output").count() == 0
    wait_state(page, "done")
    assert page.get_by_text("last-output").count() == 1


def test_failing_cell_is_named_and_stops_the_run(serve, notebook, page: Page) -> None:
    nb = notebook(["print('before')", "secret_name_1 = 1 / 0", "print('after')"])
    app = serve(nb)
    page.goto(app.url)
    wait_state(page, "error")
    bar = page.locator(".nbapp-bar").inner_text()
    assert "Cell 2 failed: ZeroDivisionError" in bar
    assert page.locator(".nbapp-restart").is_visible()
    text = page.locator("#nbapp-cells").inner_text()
    assert "before" in text and "after" not in text
    assert "ZeroDivisionError: division by zero" in text
    assert "secret_name_1" not in page.content()  # no traceback, so no source line


INVALID_OUTPUT = (
    "from IPython.display import publish_display_data\n"
    "publish_display_data({'text/html': 5, 'text/plain': 'five'})"  # html that is not text
)


def test_output_nbformat_rejects_fails_the_cell_instead_of_hanging(
    serve, notebook, page: Page
) -> None:
    app = serve(notebook([INVALID_OUTPUT, "print('after')"]))
    page.goto(app.url)
    wait_state(page, "error", timeout=30)
    assert "Cell 1 failed: NotebookValidationError" in page.locator(".nbapp-bar").inner_text()
    assert page.locator(".nbapp-restart").is_visible()
    assert "after" not in page.locator("#nbapp-cells").inner_text()


def test_show_tracebacks_shows_the_traceback(serve, notebook, page: Page) -> None:
    nb = notebook(["def boom():\n    raise ValueError('bad value')", "boom()"])
    app = serve(nb, "--show-tracebacks")
    page.goto(app.url)
    wait_state(page, "error")
    text = page.locator("#nbapp-cells").inner_text()
    assert "Traceback" in text or "boom()" in text
    assert "ValueError: bad value" in text


def test_cell_over_the_timeout_is_interrupted_and_reported(serve, notebook, page: Page) -> None:
    nb = notebook(["import time\nfor _ in range(600): time.sleep(0.1)", "print('never')"])
    app = serve(nb, "--timeout", "2")
    page.goto(app.url)
    wait_state(page, "error", timeout=30)
    assert (
        "Cell 1 timed out after 2 s and was interrupted" in page.locator(".nbapp-bar").inner_text()
    )
    assert "never" not in page.locator("#nbapp-cells").inner_text()
    assert len(app.kernels()) == 1  # interrupted, not killed: widgets stay live


def test_kernel_killed_by_a_cell_is_reported_and_restart_recovers(
    serve, notebook, tmp_path: Path, page: Page
) -> None:
    nb = notebook(
        [
            "import os, pathlib, signal\n"
            "marker = pathlib.Path('killed-once')\n"
            "if not marker.exists():\n"
            "    marker.touch()\n"
            "    os.kill(os.getpid(), signal.SIGKILL)",
            "print('survived')",
        ]
    )
    app = serve(nb)
    page.goto(app.url)
    wait_state(page, "dead", timeout=30)
    assert "The kernel stopped while running cell 1" in page.locator(".nbapp-bar").inner_text()
    assert "survived" not in page.locator("#nbapp-cells").inner_text()
    page.locator(".nbapp-restart").click()
    wait_state(page, "done", timeout=60)
    assert "survived" in page.locator("#nbapp-cells").inner_text()
    assert len(app.kernels()) == 1


def test_kernel_dying_after_the_run_is_reported(serve, notebook, page: Page) -> None:
    # Stands in for a widget callback that kills the kernel after the page is live.
    nb = notebook(
        [
            "import os, signal, threading\nthreading.Timer(2.0, os.kill, (os.getpid(), signal.SIGKILL)).start()\nprint('live')"
        ]
    )
    app = serve(nb)
    page.goto(app.url)
    wait_state(page, "done")
    wait_state(page, "dead", timeout=20)
    assert "The kernel stopped" in page.locator(".nbapp-bar").inner_text()
    assert app.proc.poll() is None  # the app stays up so the user can restart


def test_reloading_reconnects_to_the_same_kernel(serve, notebook, page: Page) -> None:
    nb = notebook(["import os\nprint('kernel pid', os.getpid())"])
    app = serve(nb)
    page.goto(app.url)
    wait_state(page, "done")
    first = page.locator("#nbapp-cells").inner_text()
    kernels = app.kernels()
    for _ in range(5):
        page.reload()
        wait_state(page, "done")
    assert page.locator("#nbapp-cells").inner_text() == first
    assert [k.pid for k in app.kernels()] == [k.pid for k in kernels]


def test_markdown_only_notebook_needs_no_kernel(serve, notebook, page: Page) -> None:
    nb = notebook([Md("# Only words\n\nNo code here.")])
    app = serve(nb)
    page.goto(app.url)
    wait_state(page, "done")
    assert "No code here." in page.locator("#nbapp-cells").inner_text()
    assert app.kernels() == []


def test_kernel_runs_in_the_notebook_folder_with_the_query_string(
    serve, notebook, page: Page
) -> None:
    nb = notebook(
        ["import os\nprint('cwd=' + os.getcwd())\nprint('qs=' + os.environ['QUERY_STRING'])"]
    )
    app = serve(nb, "--query", "username=Ada&x=1")
    page.goto(app.url)
    wait_state(page, "done")
    text = page.locator("#nbapp-cells").inner_text()
    assert f"cwd={nb.parent}" in text
    assert "qs=username=Ada&x=1" in text


def test_user_ipython_startup_files_are_not_read(
    serve, notebook, tmp_path: Path, page: Page
) -> None:
    home = tmp_path / "home"
    startup = home / ".ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-leak.py").write_text("print('STARTUP-LEAK')\nleaked = True\n")
    (home / ".jupyter").mkdir()
    (home / ".jupyter" / "jupyter_config.py").write_text("raise SystemExit('config read')\n")
    nb = notebook(["print('leaked' in globals())"])
    from support import env_with

    app = serve(nb, env=env_with(HOME=str(home)))
    page.goto(app.url)
    wait_state(page, "done")
    text = page.locator("#nbapp-cells").inner_text()
    assert "False" in text and "STARTUP-LEAK" not in text


def test_huge_output_is_truncated_and_the_server_stays_responsive(
    serve, notebook, page: Page
) -> None:
    # ~60 MB of text against the 10 MB per-cell budget.
    nb = notebook(
        ["line = 'x' * 1000\nfor _ in range(60_000): print(line)", "print('next cell ran')"]
    )
    app = serve(nb)
    page.goto(app.url)
    page.get_by_text("Running cell 1 of 2").wait_for(timeout=30_000)
    # While the flood runs, the server still answers (a generous bound: this is not a benchmark).
    request = urllib.request.Request(f"{app.base}/nbapp/static/nbapp.css", headers=app.auth)
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200
    wait_state(page, "done", timeout=120)
    text = page.locator("#nbapp-cells").inner_text()
    assert "output truncated" in text
    assert "next cell ran" in text
    assert len(page.content()) < 12 * 2**20


def test_done_page_has_its_cells_when_it_says_done(serve, notebook, page: Page) -> None:
    """A page opened after the notebook finished must not say done before the event stream
    has put the cells in it (automation reads the cells as soon as it sees done)."""
    app = serve(notebook([f"print('cell {i}')" for i in range(30)]))
    read_events(app, state_is("done"))
    page.add_init_script(
        """document.addEventListener("DOMContentLoaded", () => {
            window.atLoad = [document.body.dataset.nbappState,
                             document.querySelectorAll("#nbapp-cells .jp-Cell").length];
        });"""
    )
    page.goto(app.url)
    wait_state(page, "done")
    state, cells = page.evaluate("window.atLoad")
    assert state != "done" or cells == 30, (state, cells)
    assert page.locator("#nbapp-cells .jp-Cell").count() == 30
