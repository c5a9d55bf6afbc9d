"""Instant open: a second `nbapp run` paints the last run's outputs at once, marked as starting,
and the live run replaces them cell by cell; what it does not confirm goes when it ends.

Real nbapp processes, a real kernel, real Chromium; the snapshot store is the user cache
folder (XDG_CACHE_HOME of the test).
"""

from __future__ import annotations

import http.client
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from conftest import PageLog
from support import Md, Running, env_with, read_events, state_is, wait_for, wait_state

pytestmark = pytest.mark.browser

SENTINEL = "SOURCE-SENTINEL-4711"
SLOW_CELL = 2  # index of the cell that sleeps for as long as delay.txt says


def board(write: Callable[..., Path], *, tail: str = "tail") -> Path:
    return write(
        [
            Md("# Snap board"),
            "print(open('value.txt').read())",
            "import time\ntime.sleep(float(open('delay.txt').read()))",
            "print('after the wait')\n"
            "import ipywidgets as w\n"
            "level = w.IntSlider(value=7, description='Level')\n"
            "level",
            f"# {SENTINEL}: code never reaches a snapshot\nprint({tail!r})",
        ],
        name="board.ipynb",
    )


@dataclass(frozen=True)
class Store:
    """The test's notebook folder and a user cache folder of its own."""

    folder: Path
    env: dict[str, str]

    def snapshots(self) -> list[Path]:
        kept = self.folder / "cache" / "nbapp" / "snapshots"
        return sorted(kept.glob("*.json")) if kept.is_dir() else []

    def write(self, name: str, text: str) -> None:
        (self.folder / name).write_text(text)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path, env_with(XDG_CACHE_HOME=str(tmp_path / "cache")))


def first_cells(running: Running) -> list[dict[str, Any]]:
    """The cells the page starts with, as the server sends it (before any script has run or
    its event stream opened)."""
    html = first_html(running)
    found = re.search(
        r'<script type="application/json" id="nbapp-initial-cells">(.*?)</script>', html
    )
    return json.loads(found.group(1)) if found else []


def snapshot_cells(running: Running) -> list[dict[str, Any]]:
    return [cell for cell in first_cells(running) if cell.get("snapshot")]


def first_html(running: Running) -> str:
    """The page as the server sends it, before any script of it has run."""
    conn = http.client.HTTPConnection("127.0.0.1", running.port, timeout=30)
    try:
        conn.request("GET", "/", headers=running.auth)
        response = conn.getresponse()
        assert response.status == 200
        return response.read().decode()
    finally:
        conn.close()


def run_once(serve: Callable[..., Running], nb: Path, store: Store) -> None:
    """A first run to the end: it leaves its snapshot in the user cache."""
    running = serve(nb, env=store.env)
    read_events(running, state_is("done"))
    wait_for(store.snapshots, 30, "the run's snapshot in the user cache")
    assert running.stop() == 0


def test_second_run_opens_on_the_last_run_then_goes_live(
    store: Store,
    notebook: Callable[..., Path],
    serve: Callable[..., Running],
    page: Page,
    page_log: PageLog,
) -> None:
    store.write("value.txt", "value: A")
    store.write("delay.txt", "0")
    nb = board(notebook)
    run_once(serve, nb, store)
    [kept] = store.snapshots()
    text = kept.read_text()
    assert "after the wait" in text and "value: A" in text
    assert SENTINEL not in text and "time.sleep" not in text  # outputs only, never source
    assert oct(kept.stat().st_mode & 0o777) == oct(0o600)

    # Second run: the data changed and the middle cell now takes 3 s.
    store.write("value.txt", "value: B")
    store.write("delay.txt", "3")
    running = serve(nb, env=store.env)
    html = first_html(running)
    # The page itself carries the snapshot: shown before the event stream has even opened.
    painted = snapshot_cells(running)
    assert len(painted) >= 4, painted
    assert any("after the wait" in cell["html"] for cell in painted)
    assert SENTINEL not in html

    page.goto(running.url)
    page.evaluate("document.querySelector('section[data-cell-index=\"0\"]').nbappPinned = true")
    # While the slow cell runs: the changed cell before it is live with its new output, the
    # cells after it still show the last run, dimmed and not taking input, the bar says so.
    page.wait_for_function(
        """() => {
          const s = document.querySelector('section[data-cell-index="1"]');
          return s && !s.hasAttribute('data-nbapp-snapshot') && s.textContent.includes('value: B');
        }""",
        timeout=30_000,
    )
    assert page.get_attribute("body", "data-nbapp-state") == "running"
    later = page.locator("section[data-cell-index='3']")
    assert later.get_attribute("data-nbapp-snapshot") is not None
    assert "after the wait" in later.inner_text()
    later.locator(".nbapp-widget-ready").wait_for(timeout=20_000)  # drawn from saved state
    assert later.evaluate("s => getComputedStyle(s).pointerEvents") == "none"
    assert float(later.evaluate("s => getComputedStyle(s).opacity")) < 1
    assert page.locator("body.nbapp-starting .nbapp-snapshot-note").is_visible()

    wait_state(page, "done", timeout=60)
    assert page.locator("[data-nbapp-snapshot]").count() == 0
    assert "nbapp-starting" not in (page.get_attribute("body", "class") or "")
    assert not page.locator(".nbapp-snapshot-note").is_visible()
    # The live slider replaced the snapshot's and answers to the kernel.
    page.locator("section[data-cell-index='3'] .nbapp-widget-ready").wait_for(timeout=20_000)
    assert page.locator("section[data-cell-index='3'] .widget-readout").inner_text() == "7"
    assert page.evaluate(
        """() => {
          const host = document.querySelector('section[data-cell-index="3"] .nbapp-widget');
          return window.nbappWidgets.manager.has_model(host.dataset.modelId);
        }"""
    )
    # The heading was the same in both runs: its section was kept, not rebuilt (no jump).
    assert page.evaluate(
        "document.querySelector('section[data-cell-index=\"0\"]').nbappPinned === true"
    )
    assert page.locator("section[data-cell-index='1']").inner_text().strip() == "value: B"
    assert not page_log.console_errors, page_log.console_errors


def test_with_no_page_to_show_the_snapshot_the_run_still_goes_to_the_end(
    store: Store, notebook: Callable[..., Path], serve: Callable[..., Running]
) -> None:
    """A run opening on a snapshot lets a page put it up before rendering cells; with no page
    at all (a browser never opened) it renders them anyway, in order, and keeps its own."""
    store.write("value.txt", "value: A")
    store.write("delay.txt", "0")
    nb = board(notebook)
    run_once(serve, nb, store)
    [kept] = store.snapshots()
    store.write("value.txt", "value: B")
    running = serve(nb, env=store.env)
    wait_for(lambda: "value: B" in kept.read_text(), 60, "this run's snapshot, with no page")
    events = read_events(running, state_is("done"))  # the replay of the finished page
    cells = [e for e in events if e.get("type") == "cell"]
    assert [e["index"] for e in cells] == [0, 1, 3, 4], cells  # cell 2 prints nothing
    assert not any(e["snapshot"] for e in cells)
    assert "value: B" in cells[1]["html"] and "Snap board" in cells[0]["html"]


def test_a_failing_cell_leaves_no_stale_output(
    store: Store,
    notebook: Callable[..., Path],
    serve: Callable[..., Running],
    page: Page,
    page_log: PageLog,
) -> None:
    store.write("value.txt", "value: A")
    store.write("delay.txt", "0")
    nb = board(notebook)
    run_once(serve, nb, store)
    store.write("delay.txt", "not a number")  # the slow cell now fails
    running = serve(nb, env=store.env)
    assert any("after the wait" in c["html"] for c in snapshot_cells(running))  # while it starts
    page.goto(running.url)
    wait_state(page, "error", timeout=60)
    body = page.inner_text("body")
    assert "Cell 3 failed: ValueError" in body
    # Cells after the failure did not run: the last run's outputs for them are gone.
    assert "after the wait" not in body and "tail" not in body
    assert page.locator("[data-nbapp-snapshot]").count() == 0
    # A page loaded after the failure never sees them either.
    assert not any("after the wait" in c["html"] for c in first_cells(running))
    assert not page_log.console_errors, page_log.console_errors


def test_a_changed_notebook_or_no_snapshot_opens_empty(
    store: Store,
    notebook: Callable[..., Path],
    serve: Callable[..., Running],
) -> None:
    store.write("value.txt", "value: A")
    store.write("delay.txt", "2")
    nb = board(notebook)
    run_once(serve, nb, store)
    # Same notebook with --no-snapshot: nothing painted from the cache.
    bare = serve(nb, "--no-snapshot", env=store.env)
    assert not snapshot_cells(bare)
    bare.close()
    # Another notebook's source (one cell edited): another key, so no snapshot.
    edited = board(notebook, tail="changed tail")
    running = serve(edited, env=store.env)
    assert not snapshot_cells(running)
    read_events(running, state_is("done"))
    wait_for(lambda: len(store.snapshots()) == 2, 30, "the edited notebook's own snapshot")


def test_a_corrupt_snapshot_is_ignored(
    store: Store,
    notebook: Callable[..., Path],
    serve: Callable[..., Running],
) -> None:
    store.write("value.txt", "value: A")
    store.write("delay.txt", "0")
    nb = board(notebook)
    run_once(serve, nb, store)
    [kept] = store.snapshots()
    kept.write_text('{"format": 1, "fragments": [{"index": "x"')
    running = serve(nb, env=store.env)
    assert not snapshot_cells(running)
    read_events(running, state_is("done"))
    assert running.stop() == 0
    assert running.stderr == "", running.stderr
    assert os.path.getsize(kept) > 100  # replaced by this run's snapshot
