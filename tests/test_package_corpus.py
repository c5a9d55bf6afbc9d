"""The packaging corpus: varied real notebooks, each packaged into its own app and run.

Every notebook that runs under `nbapp run` must package and run. One `nbapp package` command
builds all of them (one app each, their freezes in one PyInstaller process, so PyInstaller's
analysis of Python's own library is made once), with the built-in smoke test; each app is
then started with a clean environment and a fresh HOME and checked in Chromium.

Notebooks not written for nbapp where possible: Voilà's dashboard example (../shared/corpus),
seaborn's, SciPy's, scikit-learn's and Plotly's documentation examples (tests/package_corpus,
attributed in each notebook); the benchmark's pandas+matplotlib notebook; and three written
for what a corpus must also hold: data files read, files written, IPython magics.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Page

from conftest import PageLog
from support import NBAPP, SERVING, wait_state

REPO = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent / "package_corpus"
SHARED = REPO.parent / "shared" / "corpus"
BUILD_TIMEOUT = 3600

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("PyInstaller") is None,
        reason="needs PyInstaller (`pip install -e .[package]`; `make test` installs it)",
    ),
]


@dataclass(frozen=True)
class Case:
    name: str
    source: Path  # the notebook; its folder's other files are copied along
    texts: tuple[str, ...] = ()  # shown in the page once done
    selectors: tuple[str, ...] = ()  # present in the page once done
    copy_folder: bool = False


CASES = [
    Case(
        "dashboard",
        SHARED / "voila" / "dashboard.ipynb",
        texts=("Selected: 0",),
        selectors=(".nbapp-widget-ready .bqplot",),
    ),
    Case(
        "pandas_matplotlib",
        REPO / "bench" / "notebooks" / "pandas_matplotlib.ipynb",
        texts=("count",),
        selectors=("img[src^='data:image/png']", "table"),
    ),
    Case(
        "seaborn_gallery",
        HERE / "seaborn_gallery.ipynb",
        texts=("strongest correlation:",),
        selectors=("img[src^='data:image/png']",),
    ),
    Case(
        "scipy_tutorial",
        HERE / "scipy_tutorial.ipynb",
        texts=("integral of x^2 over [0, 4]: 21.3333", "t-test p-value above 0.01: True"),
        selectors=("img[src^='data:image/png']",),
    ),
    Case(
        "sklearn_iris",
        HERE / "sklearn_iris.ipynb",
        texts=("decision tree accuracy: 0.97",),
        selectors=("img[src^='data:image/png']",),
    ),
    Case(
        "plotly_express",
        HERE / "plotly_express.ipynb",
        texts=("rows: 150",),
        selectors=(".js-plotly-plot .main-svg",),
    ),
    Case(
        "reads_data",
        HERE / "reads_data" / "reads_data.ipynb",
        texts=("River levels: 4 stations, mean level 3.50", "south"),
        selectors=("img[src^='data:image/png']",),
        copy_folder=True,
    ),
    Case(
        "writes_files",
        HERE / "writes_files.ipynb",
        texts=("read back 5 rows, sum of y = 30",),
        selectors=("img[src^='data:image/png']",),
    ),
    Case(
        "magics",
        HERE / "magics.ipynb",
        texts=(
            "flag on",
            "capture held: captured text",
            "written by %%writefile",
            "total 49995000",
        ),
        selectors=(".magic-html", ".jp-RenderedSVG svg, img[src^='data:image/svg']"),
    ),
]


@dataclass
class Corpus:
    dist: Path
    stderr: str
    cases: dict[str, Case] = field(default_factory=dict)


def _present(case: Case) -> bool:
    return case.source.is_file()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """All of the corpus, packaged by one `nbapp package` command (one app per notebook)."""
    work = tmp_path_factory.mktemp("corpus")
    notebooks = []
    cases = {}
    for case in CASES:
        if not _present(case):
            continue  # ../shared/corpus is absent from a clone outside the project's folder
        folder = work / "src" / case.name
        if case.copy_folder:
            shutil.copytree(case.source.parent, folder)
        else:
            folder.mkdir(parents=True)
            shutil.copy(case.source, folder)
        notebooks.append(str(folder / case.source.name))
        cases[case.name] = case
    result = subprocess.run(
        [NBAPP, "package", *notebooks, "-o", str(work / "dist"), "--no-window-support"],
        cwd=work,
        # One cache folder for the whole corpus: nbapp's work folders and PyInstaller's own.
        env={**os.environ, "XDG_CACHE_HOME": str(work / "cache")},
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return Corpus(work / "dist", result.stderr, cases)


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


def test_one_command_builds_every_notebook_and_reports_sizes(corpus: Corpus) -> None:
    for name in corpus.cases:
        assert (corpus.dist / name / name).is_file(), name
        assert f"nbapp: size of {corpus.dist / name}:" in corpus.stderr
        assert f"smoke test: starting {name} headless ... " in corpus.stderr or (
            f"smoke test: starting {name} headless" in corpus.stderr
        )
    assert f"{len(corpus.cases)} apps in one process" in corpus.stderr


@pytest.mark.browser
@pytest.mark.parametrize("name", [case.name for case in CASES])
def test_packaged_notebook_runs_offline(
    corpus: Corpus,
    name: str,
    launch: Callable[[Path], Launched],
    page: Page,
    page_log: PageLog,
) -> None:
    if name not in corpus.cases:
        pytest.skip(f"{name}: its notebook is not next to this checkout (../shared/corpus)")
    case = corpus.cases[name]
    app = launch(corpus.dist / name / name)
    page.goto(app.url)
    wait_state(page, "done", timeout=120)
    body = page.inner_text("body")
    for text in case.texts:
        assert text in body, f"{name}: {text!r} not in the page"
    for selector in case.selectors:
        page.wait_for_selector(selector, timeout=30_000, state="attached")
    assert not page_log.console_errors, page_log.console_errors
    if name == "writes_files":
        # Written into the user's own folder for this app, not into the app.
        written = app.home / ".local/share/nbapp/apps/writes_files/files/results/summary.csv"
        assert written.read_text().startswith("x,y\n0,0\n")
        inside = corpus.dist / name / "_internal" / "nbapp_app" / "notebook"
        assert not (inside / "results").exists()
    app.proc.send_signal(signal.SIGTERM)
    assert app.proc.wait(30) == 0
