"""`nbapp package`: a real PyInstaller build, run with a clean environment, checked in Chromium.

The app (ipywidgets, numpy, matplotlib, a CSV, a template of the user's) is built once for the
whole session, with the other packaging tests' apps (tests/packaged_apps.py: one `nbapp
package` command, the default window); every test here then runs that build. The build-free
tests (bad input, a failing cell) run in seconds.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
from playwright.sync_api import Page
from PyInstaller.archive.readers import CArchiveReader

from conftest import PageLog
from packaged_apps import SALES_CSV, SALES_TOTAL, Build
from support import (
    NBAPP,
    SERVING,
    WIDGET_TIMEOUT_MS,
    descendants,
    gone,
    wait_for,
    wait_state,
    write_notebook,
)

REPO = Path(__file__).resolve().parent.parent
# What this module needs from the session's build (conftest.py).
DEFAULT_BUILD = ("sales", "charts", "wind")

needs_pyinstaller = pytest.mark.skipif(
    importlib.util.find_spec("PyInstaller") is None,
    reason="needs PyInstaller (`pip install -e .[package]`; `make test` installs it)",
)


def package(*args: str, cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    # nbapp's cache folder (PyInstaller's work folders) is a private one per test.
    return subprocess.run(
        [NBAPP, "package", *args],
        cwd=cwd,
        env={**os.environ, "XDG_CACHE_HOME": str(cwd / ".cache")},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@dataclass
class Started:
    proc: subprocess.Popen[str]
    url: str


@pytest.fixture
def start_clean(tmp_path: Path) -> Iterator[Callable[..., Started]]:
    """Start a built app under `env -i` with only PATH=/usr/bin:/bin and a temporary HOME."""
    started: list[subprocess.Popen[str]] = []

    def start(executable: Path, *args: str) -> Started:
        home = tmp_path / "home"
        home.mkdir(exist_ok=True)
        proc = subprocess.Popen(
            ["env", "-i", "PATH=/usr/bin:/bin", f"HOME={home}", str(executable), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
        )
        started.append(proc)
        box: list[str] = []
        reader = threading.Thread(target=lambda: box.append(proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        reader.join(90)
        line = box[0].strip() if box else ""
        match = SERVING.match(line)
        if not match:
            proc.kill()
            _, err = proc.communicate(timeout=10)
            raise AssertionError(f"no serving line; got {line!r}; stderr: {err}")
        return Started(proc, match["url"])

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


def kernels_of(proc: subprocess.Popen[str]) -> list[psutil.Process]:
    def is_kernel(p: psutil.Process) -> bool:
        try:
            return "--nbapp-kernel" in p.cmdline()
        except psutil.Error:
            return False

    return [p for p in descendants(proc.pid) if is_kernel(p)]


# --- the build ------------------------------------------------------------------------------
@needs_pyinstaller
@pytest.mark.slow
def test_build_shows_each_stage_and_finds_the_csv(default_build: Build) -> None:
    found = default_build.stage("discover", "running sales.ipynb once")
    assert " 1 data files" in found, found  # the CSV, found without --include
    for stage, started in (("trim", "(sales)"), ("smoke test", "starting sales its web view")):
        default_build.stage(stage, started)
    assert "freeze: done in" in default_build.stderr
    assert f"nbapp: size of {default_build.folder('sales')}: " in default_build.stderr
    internal = default_build.folder("sales") / "_internal"
    assert (internal / "nbapp_app" / "notebook" / "measurements.csv").read_text() == SALES_CSV
    # Trimmed: no completion engine, no Tk, no Qt in the default (system web view) build.
    for left_out in ("jedi", "parso", "tkinter", "PySide6", "panel"):
        assert not (internal / left_out).exists(), left_out
    # Nor setuptools, whose runtime hook would import it at every start of app and kernel.
    archive = CArchiveReader(str(default_build.executable("sales"))).toc
    assert "pyi_rth_setuptools" not in archive, sorted(archive)
    assert "pyi_rth_gi" in archive, sorted(archive)  # the check itself reads the hooks
    # Nothing of the build landed in the repo's recipe folder.
    leftovers = [
        p
        for p in (REPO / "build").rglob("*")
        if p.suffix in {".spec", ".toc", ".pyz", ".pkg"} or p.name in {"dist", "work", "sales"}
    ]
    assert not leftovers, leftovers


@needs_pyinstaller
@pytest.mark.slow
@pytest.mark.browser
def test_built_app_runs_offline_with_a_clean_environment(
    default_build: Build, start_clean: Callable[..., Started], page: Page
) -> None:
    app = start_clean(default_build.executable("sales"), "--no-window", "--port", "0")
    assert SERVING.match(f"nbapp: serving sales.ipynb at {app.url}")
    page.goto(app.url)
    wait_state(page, "done", timeout=90)
    page.wait_for_selector(".nbapp-widget-ready", timeout=30_000)
    text = page.inner_text("body")
    assert SALES_TOTAL in text
    assert page.locator("img[src^='data:image/png']").count() >= 1
    # The slider's view is live: its value comes from the kernel, through the CSV.
    assert page.locator(".widget-readout").first.inner_text().strip() == "65"
    # The template came along (its folder is not on this machine's paths for the app).
    assert page.inner_text(".brand") == "Sales desk"
    assert page.evaluate("getComputedStyle(document.querySelector('.brand')).color") == (
        "rgb(0, 128, 0)"
    )

    kernels = kernels_of(app.proc)
    assert len(kernels) == 1, [k.cmdline() for k in descendants(app.proc.pid)]
    family = descendants(app.proc.pid)
    app.proc.send_signal(signal.SIGTERM)
    assert app.proc.wait(30) == 0
    wait_for(lambda: gone(family), 15, "the kernel to exit after SIGTERM")


@needs_pyinstaller
@pytest.mark.slow
def test_kernel_dies_with_a_killed_app(
    default_build: Build, start_clean: Callable[..., Started]
) -> None:
    app = start_clean(default_build.executable("sales"), "--no-window", "--port", "0")
    kernels = wait_for(lambda: kernels_of(app.proc), 30, "the frozen kernel to start")
    family = [*descendants(app.proc.pid), *kernels]
    app.proc.send_signal(signal.SIGKILL)
    app.proc.wait(10)
    wait_for(lambda: gone(family), 15, "the kernel to exit after its app was killed")


@needs_pyinstaller
@pytest.mark.slow
def test_built_app_takes_run_options(default_build: Build) -> None:
    result = subprocess.run(
        ["env", "-i", "PATH=/usr/bin:/bin", str(default_build.executable("sales")), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for option in ("--no-window", "--port", "--timeout", "--theme", "--query"):
        assert option in result.stdout
    bad = subprocess.run(
        [str(default_build.executable("sales")), "--port", "not-a-port"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 2 and "not a port number" in bad.stderr
    # The private kernel flag never falls through to the app (no respawn loop, no server):
    # without a connection file ipykernel starts and is stopped here, printing no serving line.
    kernel = subprocess.Popen(
        [str(default_build.executable("sales")), "--nbapp-kernel", "--help"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, _ = kernel.communicate(timeout=60)
    assert "nbapp: serving" not in out and "--no-window" not in out
    assert "ipykernel" in out.lower() or "IPKernelApp" in out


# --- a Panel app: BokehJS and Panel's front end go into the app ----------------------------
@needs_pyinstaller
@pytest.mark.slow
@pytest.mark.browser
def test_packaged_panel_app_is_live_and_offline(
    default_build: Build, start_clean: Callable[..., Started], page: Page, page_log: PageLog
) -> None:
    """The frozen app serves BokehJS, Panel's and panel-material-ui's front ends from its own
    files; the slider reaches the frozen kernel; the hvplot line draws; only the servable
    object shows."""
    app = start_clean(default_build.executable("wind"), "--no-window", "--port", "0")
    page.goto(app.url)
    page.get_by_text("kernel computed 30 kW").wait_for(timeout=60_000)
    page.locator("#nbapp-cells canvas").first.wait_for(timeout=WIDGET_TIMEOUT_MS)
    assert page.get_by_text("Narrative the app does not show").count() == 0
    page.locator(".noUi-handle").first.focus()
    page.keyboard.press("ArrowRight")
    page.get_by_text("kernel computed 40 kW").wait_for(timeout=WIDGET_TIMEOUT_MS)
    wait_state(page, "done", timeout=30)
    served = [url for url in page_log.requests if url.endswith(("bokeh.min.js", "panel.min.js"))]
    assert any("/nbapp/vendor/bokeh/" in url for url in served), page_log.requests
    assert any("/nbapp/vendor/panel/" in url for url in served), page_log.requests
    page.get_by_text("Reset view").wait_for(timeout=WIDGET_TIMEOUT_MS)  # panel-material-ui's
    assert any("/nbapp/vendor/panel-material-ui/" in url for url in page_log.requests)
    assert not page_log.console_errors, page_log.console_errors


def test_discovery_keeps_modules_a_library_takes_out_of_sys_modules_again(tmp_path: Path) -> None:
    """hvplot removes hvplot.pandas from sys.modules before every cell (so that importing it
    again runs it again); the build must still freeze it, or the app fails at that import."""
    notebook = write_notebook(
        tmp_path / "plots.ipynb",
        ["import sys\nimport hvplot.pandas", "assert 'hvplot.pandas' not in sys.modules"],
    )
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from nbapp.notebook import load_notebook\n"
        "from nbapp.package.discover import discover\n"
        "print(json.dumps(discover(load_notebook(Path(sys.argv[1]))).modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(notebook)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    modules = json.loads(done.stdout.strip().splitlines()[-1])
    assert "hvplot.pandas" in modules and "hvplot" in modules


# --- stopping before the freeze ---------------------------------------------------------------
@needs_pyinstaller
def test_failing_cell_stops_the_build_before_freezing(tmp_path: Path) -> None:
    notebook = write_notebook(
        tmp_path / "broken.ipynb",
        ["x = 1", "raise ValueError('bad input data')", "print('never')"],
    )
    result = package(str(notebook), "-o", str(tmp_path / "dist"), cwd=tmp_path, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "cell 2 failed" in result.stderr and "ValueError: bad input data" in result.stderr
    assert "] freeze:" not in result.stderr
    assert not (tmp_path / "dist").exists()


@needs_pyinstaller
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.ipynb"], r"missing\.ipynb"),
        (["nb.ipynb", "--icon", "not-an-icon.png"], r"--icon not-an-icon\.png: not a valid png"),
        (["nb.ipynb", "--icon", "nowhere.png"], r"--icon nowhere\.png: no such file"),
        (["nb.ipynb", "--include", "nowhere.csv"], r"--include nowhere\.csv: no such file"),
        (["nb.ipynb", "--include", "/etc/hostname"], r"must be inside the notebook's folder"),
        (["nb.ipynb", "--name", "a/b"], r"--name 'a/b'"),
        (["nb.ipynb", "--template", "nosuch"], r"--template 'nosuch': no template of that name"),
        (["nb.ipynb", "nb2.ipynb", "--name", "x"], r"--name and --include apply to one notebook"),
        (["nb.ipynb", "sub/nb.ipynb"], r"two notebooks would both be the app 'nb'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    for name in ("nb.ipynb", "nb2.ipynb", "sub/nb.ipynb"):
        write_notebook(tmp_path / name, ["print(1)"])
    (tmp_path / "not-an-icon.png").write_text("hello")
    result = package(*args, "-o", str(tmp_path / "dist"), cwd=tmp_path, timeout=60)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("nbapp: error: "), result.stderr
    assert re.search(message, lines[0]), lines[0]
    assert not (tmp_path / "dist").exists()


@needs_pyinstaller
def test_one_pyinstaller_process_reuses_its_start_up_graph_across_excludes() -> None:
    """PyInstaller reuses its graph of Python's start-up modules only for builds with the first
    one's excludes; nbapp's batch lets each app of `nbapp package NB1 NB2 ...` reuse it with
    its own excludes (each leaves out what its notebook does not use)."""
    script = (
        "import logging, sys\n"
        "logging.basicConfig(level=logging.INFO, stream=sys.stdout, format='%(message)s')\n"
        "from nbapp.package.batch import share_base_graph\n"
        "share_base_graph()\n"
        "from PyInstaller.building import build_main\n"
        "build_main.initialize_modgraph(excludes=['jedi', 'pandas'])\n"
        "graph = build_main.initialize_modgraph(excludes=['jedi', 'scipy'])\n"
        "print('excludes', sorted(graph._excludes))\n"
        "print('lazy', graph.lazynodes.get('scipy', 'absent'), graph.lazynodes.get('pandas', 'absent'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("Initializing module dependency graph") == 1, done.stdout
    assert "Reusing cached module dependency graph" in done.stdout
    assert "excludes ['__main__', 'jedi', 'scipy']" in done.stdout
    assert "lazy None absent" in done.stdout  # scipy excluded, pandas no longer


# --- libraries' browser code in a packaged app -----------------------------------------------
@needs_pyinstaller
@pytest.mark.slow
@pytest.mark.browser
def test_packaged_app_draws_folium_itables_and_altair_offline(
    default_build: Build, start_clean: Callable[..., Started], page: Page, page_log: PageLog
) -> None:
    app = start_clean(default_build.executable("charts"), "--no-window", "--port", "0")
    page.goto(app.url)
    wait_state(page, "done", timeout=90)
    page.frame_locator("iframe").locator(".leaflet-marker-icon").wait_for(timeout=30_000)
    page.wait_for_function(
        "document.querySelectorAll('table.dataTable tbody tr').length === 10", timeout=30_000
    )
    page.locator(".vega-embed svg .mark-symbol path").first.wait_for(timeout=30_000)
    assert page.locator(".vega-embed svg .mark-symbol path").count() == 3
    assert any(u.endswith("/nbapp/vendor/itables/dt_bundle.js") for u in page_log.requests)
    assert not page_log.console_errors, page_log.console_errors
