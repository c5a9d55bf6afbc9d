"""``nbapp package`` carries the labextensions its notebook's widgets need, and only those:
the built app draws an ipytree from its own copy, with a clean environment, offline."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from conftest import PageLog
from libraries import assert_clean, wait_seen
from packaged_apps import Build
from support import Running, open_dashboard, wait_serving

# What this module needs from the session's build (conftest.py, tests/packaged_apps.py): an
# ipytree notebook.
DEFAULT_BUILD = ("tree",)


def test_front_ends_of_a_library_come_with_those_it_takes_modules_from() -> None:
    from nbapp.page.widget_assets import front_end_folders

    carried = {(kind, name) for kind, name, _ in front_end_folders(["bqplot"])}
    assert carried == {("labextensions", "bqplot"), ("labextensions", "bqscales")}


@pytest.fixture(scope="module")
def tree_app(default_build: Build) -> Path:
    found = default_build.stage("discover", "running tree.ipynb once")
    assert "1 widget front ends" in found, found
    return default_build.executable("tree")


@pytest.fixture
def clean_run(tree_app: Path, tmp_path: Path) -> Iterator[Running]:
    """The built app under `env -i`: no venv, no JUPYTER_PATH, nothing of this machine's."""
    clean = ["env", "-i", "PATH=/usr/bin:/bin", f"HOME={tmp_path}"]
    proc = subprocess.Popen(
        [*clean, str(tree_app), "--no-window", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    running = wait_serving(proc, 90)
    yield running
    running.close()


@pytest.mark.slow
@pytest.mark.browser
def test_packaged_app_carries_only_the_front_ends_it_uses(
    tree_app: Path, clean_run: Running, page: Page, page_log: PageLog
) -> None:
    share = tree_app.parent / "_internal" / "share" / "jupyter"
    assert sorted(p.name for p in (share / "labextensions").iterdir()) == ["ipytree"]
    assert not (share / "nbextensions").exists()
    open_dashboard(page, clean_run.url)
    page.get_by_text("apple").click()
    wait_seen(page, "tree", "apple selected True")
    assert any("/nbapp/labextensions/ipytree/" in u for u in page_log.requests)
    assert_clean(page_log)
