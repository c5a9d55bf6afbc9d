"""A folder of notebooks as one app (``nbapp run FOLDER``): a list of its notebooks, each run
when opened and stopped a while after it was left; real kernels, real Chromium, offline (the
``page`` fixture fails on any request off 127.0.0.1)."""

from __future__ import annotations

import http.client
import importlib.util
import os
import re
import subprocess
from pathlib import Path

import psutil
import pytest
from playwright.sync_api import Page

from conftest import PageLog
from support import (
    NBAPP,
    Md,
    Running,
    descendants,
    gone,
    text_becomes,
    wait_for,
    wait_serving,
    wait_state,
    write_notebook,
)

pytestmark = pytest.mark.browser

ALPHA: list[str | Md] = [Md("# Alpha board"), "print('alpha output 4711')"]
BETA: list[str | Md] = [
    Md("# Beta board"),
    "import ipywidgets as w\n"
    "level = w.IntSlider(value=2, description='Level')\n"
    "shown = w.Label(f'square {level.value ** 2}')\n"
    "shown.add_class('square')\n"
    "level.observe(lambda change: setattr(shown, 'value', f'square {change.new ** 2}'), 'value')\n"
    "w.VBox([level, shown])",
]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Two notebooks, one broken, and what is not a notebook of this folder."""
    root = tmp_path / "boards"
    write_notebook(root / "alpha.ipynb", ALPHA)
    write_notebook(root / "beta.ipynb", BETA)
    (root / "broken.ipynb").write_text("{ not json")
    (root / "notes.txt").write_text("not a notebook")
    write_notebook(root / ".hidden.ipynb", [Md("# Hidden")])
    write_notebook(root / "sub" / "deeper.ipynb", [Md("# Deeper")])
    return root


def _cards(page: Page) -> list[str]:
    return [
        card.get_attribute("data-notebook") or "" for card in page.query_selector_all(".nbapp-card")
    ]


def test_the_list_shows_the_notebooks_and_each_one_runs_when_opened(
    serve, folder: Path, page: Page, page_log: PageLog
) -> None:
    app: Running = serve(folder, "--keep-alive", "1")
    page.goto(app.url)
    assert _cards(page) == ["alpha.ipynb", "beta.ipynb", "broken.ipynb"]
    assert page.inner_text("[data-notebook='alpha.ipynb'] .nbapp-card-title") == "Alpha board"
    assert "not valid JSON" in page.inner_text("[data-notebook='broken.ipynb']")
    assert page.query_selector("[data-notebook='broken.ipynb'] a") is None  # not openable
    assert app.kernels() == []  # nothing runs until a notebook is opened

    page.click("text=Alpha board")

    page.wait_for_url("**/nb/alpha.ipynb/")
    wait_state(page, "done")
    assert page.url.endswith("/nb/alpha.ipynb/")
    assert "alpha output 4711" in page.inner_text("#nbapp-cells")
    assert len(app.kernels()) == 1

    page.go_back()  # to the list: Alpha's kernel stops once its keep-alive has passed
    page.wait_for_selector(".nbapp-cards")
    wait_for(lambda: app.kernels() == [], 30, "Alpha's kernel to stop")

    page.click("text=Beta board")

    page.wait_for_url("**/nb/beta.ipynb/")
    wait_state(page, "done")
    text_becomes(page, ".square", "square 4")
    page.focus(".widget-slider .noUi-handle")
    page.keyboard.press("ArrowRight")
    text_becomes(page, ".square", "square 9")  # live: the kernel computed it

    page.go_back()
    page.go_forward()  # back to Beta: it runs again (or still), its page comes back whole
    wait_state(page, "done")
    text_becomes(page, ".square", "square")
    assert page.url.endswith("/nb/beta.ipynb/")

    page.click(".nbapp-home")  # the page's own way back to the list
    page.wait_for_selector(".nbapp-cards")
    frame = page.frame_locator("[data-notebook='alpha.ipynb'] iframe")
    assert "alpha output 4711" in frame.locator("body").inner_text()  # its last run, still
    assert not page_log.console_errors, page_log.console_errors
    assert not page_log.failed, page_log.failed
    kernels = app.kernels()  # Beta's, if its keep-alive has not run out yet
    assert app.stop() == 0
    wait_for(lambda: gone(kernels), 10, "every kernel to exit with the app")
    assert app.stderr_reader is not None
    app.stderr_reader.join(10)
    assert app.stderr.strip().splitlines() == [
        f"nbapp: warning: {folder / 'broken.ipynb'}: not valid JSON (line 1, column 3: "
        "Expecting property name enclosed in double quotes)"
    ]


def test_the_window_takes_the_icon_of_the_first_notebook_that_names_one(tmp_path: Path) -> None:
    from nbapp.folder import Entry, FolderApp
    from nbapp.notebook import load_notebook
    from nbapp.settings import RunSettings
    from nbapp.web.loopback import bind_loopback

    root = tmp_path / "boards"
    write_notebook(root / "a.ipynb", [Md("# A")])
    (root / "b.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    write_notebook(root / "b.ipynb", [Md("# B")], metadata={"nbapp": {"icon": "b.png"}})
    entries = [Entry(p.name, load_notebook(p), None) for p in sorted(root.glob("*.ipynb"))]
    sockets = bind_loopback(0)
    try:
        app = FolderApp(root, entries, RunSettings(notebook=root), sockets)
        assert app.icon == (root / "b.png").resolve()
        assert FolderApp(root, entries[:1], RunSettings(notebook=root), sockets).icon is None
    finally:
        for sock in sockets:
            sock.close()


def _get(app: Running, path: str, *, token: bool) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", app.port, timeout=30)
    try:
        conn.request("GET", path, headers=app.auth if token else {})
        return conn.getresponse().status
    finally:
        conn.close()


def test_only_the_folders_notebooks_are_reachable_and_only_with_the_token(
    serve, folder: Path
) -> None:
    app: Running = serve(folder)
    assert _get(app, "/", token=False) == 403
    assert _get(app, "/nb/alpha.ipynb/", token=False) == 403
    assert app.kernels() == []  # a request without the token started nothing
    for path in (
        "/nb/notes.txt/",
        "/nb/.hidden.ipynb/",
        "/nb/sub%2Fdeeper.ipynb/",
        "/nb/..%2Falpha.ipynb/",
        "/nb/missing.ipynb/",
        "/nb/alpha.ipynb/alpha.ipynb",  # the notebook file itself is never served
        "/nb/alpha.ipynb/notes.txt",
        "/nb/missing.ipynb/nbapp/thumbnail",
    ):
        assert _get(app, path, token=True) == 404, path
    assert app.kernels() == []
    assert _get(app, "/nb/alpha.ipynb/", token=True) == 200
    wait_for(lambda: len(app.kernels()) == 1, 30, "Alpha's kernel")


def _bad_folder(root: Path, case: str) -> str:
    """A folder app's bad input; what the command line names."""
    target = root / case
    if case == "empty":
        target.mkdir()
    elif case == "no-notebooks":  # only what is not one of its notebooks
        write_notebook(target / ".hidden.ipynb", [Md("# Hidden")])
        write_notebook(target / "sub" / "deeper.ipynb", [Md("# Deeper")])
        (target / "readme.txt").write_text("nothing to run")
    elif case == "all-broken":
        target.mkdir()
        (target / "a.ipynb").write_text("{ not json")
        (target / "b.ipynb").write_text("[]")
    elif case == "a-file":
        write_notebook(target, ["print(1)"])
    return f"{target}/" if case in ("a-file", "missing") else str(target)  # written as folders


@pytest.mark.parametrize(
    ("case", "problem"),
    [
        ("empty", "an empty folder: no notebooks (.ipynb files) to show"),
        ("no-notebooks", "no notebooks (.ipynb files) in this folder"),
        ("missing", "no such folder"),
        ("a-file", "not a folder"),
        ("all-broken", "<run and package differ>"),
    ],
)
@pytest.mark.parametrize("command", ["run", "package"])
def test_bad_folder_input_is_one_line_and_exit_2(
    tmp_path: Path, case: str, problem: str, command: str
) -> None:
    given = _bad_folder(tmp_path, case)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    args = ["--no-window"] if command == "run" else ["-o", str(scratch / "dist")]
    result = subprocess.run(
        [NBAPP, command, *args, given],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=scratch,
        env={**os.environ, "XDG_CACHE_HOME": str(scratch / "cache")},
    )
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    named = given.rstrip("/")
    json_error = (
        "not valid JSON (line 1, column 3: Expecting property name enclosed in double quotes)"
    )
    if case == "all-broken" and command == "run":  # a list of broken cards is no app
        problem = f"none of its notebooks can be opened: a.ipynb: {json_error} (and 1 more)"
    elif case == "all-broken":  # nor is a build that carries one
        named, problem = f"{named}/a.ipynb", json_error
    assert result.stderr.splitlines() == [f"nbapp: error: {named}: {problem}"]
    assert not (scratch / "dist").exists()


# --- nbapp package FOLDER ----------------------------------------------------------------------
CSV_NOTEBOOK: list[str | Md] = [
    Md("# Gamma board"),
    "import csv\nwith open('data.csv') as f:\n    rows = list(csv.DictReader(f))\n"
    "print(f'gamma total {sum(int(r[\"y\"]) for r in rows)}')",
]


@pytest.fixture(scope="module")
def built_folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One headless (no Qt: smaller, faster) onedir build of a folder of two notebooks, one
    reading a CSV next to it, one with a live widget; its executable and the build's stderr."""
    if importlib.util.find_spec("PyInstaller") is None:
        pytest.skip("needs PyInstaller (`pip install -e .[package]`; `make test` installs it)")
    work = tmp_path_factory.mktemp("folder-package")
    root = work / "boards"
    write_notebook(root / "beta.ipynb", BETA)
    write_notebook(root / "gamma.ipynb", CSV_NOTEBOOK)
    (root / "data.csv").write_text("x,y\n1,10\n2,32\n")
    result = subprocess.run(
        [NBAPP, "package", str(root), "-o", str(work / "dist"), "--no-window-support"],
        cwd=work,
        env={**os.environ, "XDG_CACHE_HOME": str(work / ".cache")},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    executable = work / "dist" / "boards" / "boards"
    assert result.stdout == f"nbapp: built {executable}\n"
    return executable, result.stderr


def _frozen_kernels(proc: subprocess.Popen[str]) -> list[psutil.Process]:
    def is_kernel(p: psutil.Process) -> bool:
        try:
            return "--nbapp-kernel" in p.cmdline()
        except psutil.Error:
            return False

    return [p for p in descendants(proc.pid) if is_kernel(p)]


@pytest.mark.slow
def test_a_packaged_folder_lists_its_notebooks_and_runs_each_offline(
    built_folder: tuple[Path, str], tmp_path: Path, page: Page, page_log: PageLog
) -> None:
    executable, build_log = built_folder
    # Every notebook ran at build time, and the built app's list opened each of them.
    assert "discover: running beta.ipynb once" in build_log
    assert "discover: running gamma.ipynb once" in build_log
    assert re.search(r"smoke test: .*2 notebooks, 2 cells match", build_log), build_log
    home = tmp_path / "home"
    home.mkdir()
    # A clean environment: no venv, no PYTHONPATH, only the system's PATH.
    proc = subprocess.Popen(
        [
            *("env", "-i", "PATH=/usr/bin:/bin", f"HOME={home}", str(executable)),
            *("--no-window", "--port", "0", "--keep-alive", "1"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    app = wait_serving(proc, 90)
    try:
        page.goto(app.url)
        assert _cards(page) == ["beta.ipynb", "gamma.ipynb"]
        assert _frozen_kernels(proc) == []
        page.click("text=Gamma board")
        page.wait_for_url("**/nb/gamma.ipynb/")
        wait_state(page, "done")
        assert "gamma total 42" in page.inner_text("#nbapp-cells")  # the bundled CSV
        assert len(_frozen_kernels(proc)) == 1
        page.go_back()
        page.wait_for_selector(".nbapp-cards")
        wait_for(lambda: _frozen_kernels(proc) == [], 30, "Gamma's kernel to stop")
        page.click("text=Beta board")
        page.wait_for_url("**/nb/beta.ipynb/")
        wait_state(page, "done")
        page.focus(".widget-slider .noUi-handle")
        page.keyboard.press("ArrowRight")
        text_becomes(page, ".square", "square 9")  # the frozen kernel answers the widget
        assert not page_log.console_errors, page_log.console_errors
        kernels = _frozen_kernels(proc)
        assert app.stop() == 0
        wait_for(lambda: gone(kernels), 10, "the kernel to exit with the app")
    finally:
        app.close()
    assert "Traceback" not in app.stderr and "warning" not in app.stderr.lower(), app.stderr
