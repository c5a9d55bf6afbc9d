"""The packaging corpus: varied real notebooks, each packaged into its own app and run.

Every notebook that runs under `nbapp run` must package and run. The corpus is built with the
other packaging tests' apps by one `nbapp package` command (tests/packaged_apps.py: one app
each, their freezes in one PyInstaller process, the default window, each with the built-in
smoke test); each app is then started with a clean environment and a fresh HOME and checked
in Chromium.

Each notebook brings something the others do not, chosen for what it adds per minute of
build: Voilà's dashboard example (bqplot: a third-party widget front end;
../shared/corpus); seaborn's, SciPy's, scikit-learn's and Plotly's documentation examples
(tests/package_corpus, attributed in each notebook: seaborn's styles, SciPy's Fortran and
lazily loaded submodules, scikit-learn's bundled data sets, plotly.js served offline); and two
written for what a corpus must also hold: files (data read from a subfolder without
--include, a pandas Styler table, files written into the user's folder and read back) and
IPython magics.
"""

from __future__ import annotations

import signal
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page

from conftest import PageLog
from packaged_apps import Build, available
from support import SERVING, wait_state

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Case:
    name: str
    texts: tuple[str, ...] = ()  # shown in the page once done
    selectors: tuple[str, ...] = ()  # present in the page once done


CASES = [
    Case("dashboard", texts=("Selected: 0",), selectors=(".nbapp-widget-ready .bqplot",)),
    Case(
        "seaborn_gallery",
        texts=("strongest correlation:",),
        selectors=("img[src^='data:image/png']",),
    ),
    Case(
        "scipy_tutorial",
        texts=("integral of x^2 over [0, 4]: 21.3333", "t-test p-value above 0.01: True"),
        selectors=("img[src^='data:image/png']",),
    ),
    Case(
        "sklearn_iris",
        texts=("decision tree accuracy: 0.97",),
        selectors=("img[src^='data:image/png']",),
    ),
    Case("plotly_express", texts=("rows: 150",), selectors=(".js-plotly-plot .main-svg",)),
    Case(
        "files",
        texts=(
            "River levels: 4 stations, mean level 3.50",
            "4.1 m",  # the Styler's format, applied
            "read back 4 rows, sum of levels = 14.0",
        ),
        selectors=("img[src^='data:image/png']", "table"),
    ),
    Case(
        "magics",
        texts=(
            "flag on",
            "capture held: captured text",
            "written by %%writefile",
            "total 49995000",
        ),
        selectors=(".magic-html", ".jp-RenderedSVG svg, img[src^='data:image/svg']"),
    ),
]
DEFAULT_BUILD = tuple(case.name for case in CASES)


@dataclass
class Launched:
    proc: subprocess.Popen[str]
    url: str
    home: Path


@pytest.fixture
def launch(tmp_path: Path) -> Iterator[Callable[[Path], Launched]]:
    started: list[subprocess.Popen[str]] = []

    def start(executable: Path) -> Launched:
        home = tmp_path / "home"
        home.mkdir(exist_ok=True)
        proc = subprocess.Popen(
            ["env", "-i", "PATH=/usr/bin:/bin", f"HOME={home}", str(executable),
             "--no-window", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
        )  # fmt: skip
        started.append(proc)
        box: list[str] = []
        reader = threading.Thread(target=lambda: box.append(proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        reader.join(90)
        match = SERVING.match(box[0].strip() if box else "")
        assert match, f"no serving line from {executable.name}: {box}"
        return Launched(proc, match["url"], home)

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        proc.communicate(timeout=10)


def test_one_command_builds_every_notebook_and_reports_sizes(default_build: Build) -> None:
    for case in CASES:
        if not available(case.name):
            continue
        assert default_build.executable(case.name).is_file(), case.name
        assert f"nbapp: size of {default_build.folder(case.name)}:" in default_build.stderr
        default_build.stage("smoke test", f"starting {case.name} its web view, then headless")
    assert f"{len(default_build.names)} apps in one process" in default_build.stderr


@pytest.mark.browser
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_packaged_notebook_runs_offline(
    default_build: Build,
    case: Case,
    launch: Callable[[Path], Launched],
    page: Page,
    page_log: PageLog,
) -> None:
    if not available(case.name):
        pytest.skip(f"{case.name}: its notebook is not next to this checkout (../shared/corpus)")
    app = launch(default_build.executable(case.name))
    page.goto(app.url)
    wait_state(page, "done", timeout=120)
    body = page.inner_text("body")
    for text in case.texts:
        assert text in body, f"{case.name}: {text!r} not in the page"
    for selector in case.selectors:
        page.wait_for_selector(selector, timeout=30_000, state="attached")
    assert not page_log.console_errors, page_log.console_errors
    if case.name == "files":
        # Written into the user's own folder for this app, not into the app.
        written = app.home / ".local/share/nbapp/apps/files/files/results/summary.csv"
        assert written.read_text().startswith("station,level\n")
        inside = default_build.folder("files") / "_internal" / "nbapp_app" / "notebook"
        assert not (inside / "results").exists()
    app.proc.send_signal(signal.SIGTERM)
    assert app.proc.wait(30) == 0
