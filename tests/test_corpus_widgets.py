"""Voilà's example dashboards, widgets included, run to the end in Chromium with no network.

Every request the page makes is recorded (conftest's ``page`` fixture aborts and fails on any
that leaves loopback); the widget views each notebook displays must all render.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page

from conftest import CORPUS, PageLog, is_local
from support import wait_state

pytestmark = pytest.mark.browser

# name -> (final state, how many widget views it displays at least)
EXPECTED = {
    "basics": ("error", 1),  # reads iris.csv from GitHub: that cell fails offline, by design
    "bqplot": ("done", 1),
    "dashboard": ("done", 3),
    "gridspecLayout": ("done", 1),
    "interactive": ("done", 1),
    "ipympl": ("done", 2),
    "multiple_widgets": ("done", 1),
    "query-strings": ("done", 0),
    "yaml": ("done", 0),
}


def corpus(name: str) -> Path:
    path = CORPUS / f"{name}.ipynb"
    if not path.exists():
        pytest.skip(f"corpus notebook {path} is not here")
    return path


def test_every_corpus_notebook_is_listed() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"{CORPUS} is not here")
    assert {p.stem for p in CORPUS.glob("*.ipynb")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_dashboard_renders_its_widgets_offline(
    name: str, serve, page: Page, page_log: PageLog
) -> None:
    state, views = EXPECTED[name]
    app = serve(corpus(name), "--query", "username=Ada")
    page.goto(app.url)
    wait_state(page, state, timeout=120)
    if views:
        page.wait_for_function(
            """(n) => {
                const all = [...document.querySelectorAll(".nbapp-widget")];
                return all.length >= n && all.every((el) => el.matches(".nbapp-widget-ready, .nbapp-widget-failed"));
            }""",
            arg=views,
            timeout=30_000,
        )
    assert page.locator(".nbapp-widget-failed").count() == 0
    assert page.locator(".nbapp-widget-ready").count() >= views
    assert page.locator('script[type="application/vnd.jupyter.widget-view+json"]').count() == 0
    if state == "error":
        assert "failed" in page.locator(".nbapp-bar").inner_text()
    assert not page_log.console_errors, page_log.console_errors
    assert page_log.requests, "the request log is empty"
    outside = [url for url in page_log.requests if not is_local(url)]
    assert not outside, f"requests that left 127.0.0.1: {outside}"
