"""Real dashboards written elsewhere (Voilà's examples) run to the end, offline."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page

from conftest import CORPUS, PageLog
from support import wait_state

# The ones that need no third-party widget library (bqplot.ipynb, dashboard.ipynb and
# ipympl.ipynb do; they are covered with the widget front end).
FIRST_PARTY = ["gridspecLayout", "interactive", "multiple_widgets", "query-strings", "yaml"]


def corpus(name: str) -> Path:
    path = CORPUS / f"{name}.ipynb"
    if not path.exists():
        pytest.skip(f"corpus notebook {path} is not here")
    return path


@pytest.mark.parametrize("name", FIRST_PARTY)
def test_corpus_notebook_runs_to_done_offline(
    name: str, serve, page: Page, page_log: PageLog
) -> None:
    app = serve(corpus(name), "--query", "username=Ada")
    page.goto(app.url)
    wait_state(page, "done", timeout=90)
    assert page.locator("#nbapp-cells .jp-Cell").count() > 0
    assert not page_log.outside


def test_basics_fails_at_its_download_and_says_so(serve, page: Page, page_log: PageLog) -> None:
    # basics.ipynb reads iris.csv from GitHub inside the kernel. With no network that cell
    # must fail visibly (not hang), after the cells before it rendered.
    app = serve(corpus("basics"))
    page.goto(app.url)
    wait_state(page, "error", timeout=90)
    bar = page.locator(".nbapp-bar").inner_text()
    assert "Cell 5 failed" in bar
    assert page.locator("#nbapp-cells").get_by_text("Basic outputs of code cells").count() == 1
    assert not page_log.outside
