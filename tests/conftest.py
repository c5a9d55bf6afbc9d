"""Shared fixtures: real nbapp processes, a real headless Chromium, real notebooks."""

from __future__ import annotations

import importlib.util
import os
import select
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Playwright, Request, Route, sync_playwright

from support import Running, start_nbapp, write_notebook

if TYPE_CHECKING:
    import packaged_apps

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus" / "voila"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# As root, without these Chromium fails or keeps trying to reach Google on a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in {"data", "blob", "about"}:
        return True
    return parts.hostname in LOOPBACK_HOSTS


@pytest.fixture(autouse=True)
def own_user_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts with an empty user cache: nbapp keeps each finished run there as the
    next start's snapshot, and a test must not open on what another test (or an earlier
    test run) left for a notebook with the same content."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))


@pytest.fixture(scope="session")
def default_build(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> packaged_apps.Build:
    """The apps every selected test module using this fixture names in ``DEFAULT_BUILD``,
    built by one `nbapp package` command (see tests/packaged_apps.py)."""
    import packaged_apps  # here: it imports test helpers that import this module

    if importlib.util.find_spec("PyInstaller") is None:
        pytest.skip("needs PyInstaller (`pip install -e .[package]`; `make test` installs it)")
    modules = {
        item.module
        for item in request.session.items
        if "default_build" in getattr(item, "fixturenames", ()) and item.module is not None
    }
    names = sorted({name for module in modules for name in getattr(module, "DEFAULT_BUILD", ())})
    return packaged_apps.build(names, tmp_path_factory.mktemp("default-build"))


@pytest.fixture
def serve() -> Iterator[Callable[..., Running]]:
    """Start nbapp on a notebook (``serve(path, *args, env=...)``); stopped after the test."""
    started: list[Running] = []

    def start(notebook: Path, *args: str, **kwargs: Any) -> Running:
        running = start_nbapp(notebook, *args, **kwargs)
        started.append(running)
        return running

    yield start
    for running in started:
        running.close()


@pytest.fixture
def notebook(tmp_path: Path) -> Callable[..., Path]:
    """``notebook(cells, name='nb.ipynb', metadata=None)``: write a notebook under tmp_path."""

    def make(
        cells: list[Any], name: str = "nb.ipynb", metadata: dict[str, Any] | None = None
    ) -> Path:
        return write_notebook(tmp_path / name, cells, metadata=metadata)

    return make


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Debian's chromium is missing at {CHROMIUM}; `make test` installs it")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def xvfb() -> Iterator[str]:
    """A private X server on a free display number, ready when Xvfb says so (``-displayfd``).

    Numbers start high: other suites on this machine use the low ones (and :99).
    """
    for number in range(150 + os.getpid() % 500, 1200):
        if Path(f"/tmp/.X{number}-lock").exists():
            continue
        started = _start_xvfb(number)
        if started is not None:
            break
    else:
        pytest.fail("no free X display number for Xvfb")
    server, pipe = started
    yield f":{number}"
    server.terminate()
    server.wait(10)
    os.close(pipe)


def _start_xvfb(number: int) -> tuple[subprocess.Popen[bytes], int] | None:
    """Xvfb and the read end of its -displayfd pipe, which stays open while it runs: Xvfb
    writes to it again on a server reset, and a closed pipe would kill it (SIGPIPE)."""
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        [
            "Xvfb", f":{number}", "-displayfd", str(write_end), "-noreset",
            "-screen", "0", "1280x800x24", "-nolisten", "tcp",
        ],
        pass_fds=(write_end,),
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(write_end)
    ready, _, _ = select.select([read_end], [], [], 30)
    reported = os.read(read_end, 16).decode().strip() if ready else ""
    if reported == str(number):
        return server, read_end
    os.close(read_end)
    server.kill()  # the number was taken after all (Xvfb exits), or it hung
    server.wait(10)
    return None


class PageLog:
    """Every request a page made, outside ones (aborted), failed responses, console errors."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.outside: list[str] = []
        self.console_errors: list[str] = []
        self.failed: list[str] = []  # "<status> <url>" of every response >= 400


@pytest.fixture
def page_log() -> PageLog:
    return PageLog()


@pytest.fixture
def file_page(browser: Browser) -> Iterator[tuple[Page, list[str], list[str]]]:
    """A page for an exported file (file://, so no route guard): every request it makes, file://
    ones included, and its errors; the test judges them."""
    context = browser.new_context()
    page = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page, requests, errors
    context.close()


@pytest.fixture
def page(browser: Browser, page_log: PageLog) -> Iterator[Page]:
    """A fresh browser page; the test fails if the page asked for anything off 127.0.0.1."""
    context = browser.new_context()

    def guard(route: Route, request: Request) -> None:
        page_log.requests.append(request.url)
        if is_local(request.url):
            route.continue_()
        else:
            page_log.outside.append(request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.on(
        "console",
        lambda msg: page_log.console_errors.append(msg.text) if msg.type == "error" else None,
    )
    page.on("pageerror", lambda exc: page_log.console_errors.append(str(exc)))
    page.on(
        "response",
        lambda r: page_log.failed.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    yield page
    context.close()
    assert not page_log.outside, f"the page made requests that left 127.0.0.1: {page_log.outside}"
