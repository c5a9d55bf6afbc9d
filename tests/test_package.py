"""`nbapp package`: a real PyInstaller build, run with a clean environment, checked in Chromium.

The app is built ONCE for this module (onedir, ~1 min); every test here then runs that build.
The build-free tests (bad input, a failing cell) run in seconds.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
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

from conftest import PageLog
from support import (
    NBAPP,
    SERVING,
    WIDGET_TIMEOUT_MS,
    Md,
    descendants,
    gone,
    wait_for,
    wait_state,
    write_notebook,
)

REPO = Path(__file__).resolve().parent.parent
CSV = "x,y\n1,10\n2,20\n3,35\n"
CSV_TOTAL = "CSV total: 65"
BUILD_TIMEOUT = 900

needs_pyinstaller = pytest.mark.skipif(
    importlib.util.find_spec("PyInstaller") is None,
    reason="needs PyInstaller (`pip install -e .[package]`; `make test` installs it)",
)


def widget_notebook(folder: Path) -> Path:
    """ipywidgets + numpy + matplotlib, and a CSV next to it that only the code names."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "measurements.csv").write_text(CSV)
    return write_notebook(
        folder / "sales.ipynb",
        [
            Md("# Packaged sales"),
            "import csv\n"
            "with open('measurements.csv') as f:\n"
            "    rows = list(csv.DictReader(f))\n"
            "total = sum(int(r['y']) for r in rows)\n"
            "print(f'CSV total: {total}')",
            "import numpy as np\n"
            "import matplotlib.pyplot as plt\n"
            "xs = np.array([int(r['x']) for r in rows])\n"
            "fig, ax = plt.subplots()\n"
            "ax.plot(xs, xs ** 2)\n"
            "plt.show()",
            "import ipywidgets as widgets\n"
            "slider = widgets.IntSlider(value=total, max=200, description='Total')\n"
            "slider",
        ],
    )


def package(
    *args: str, cwd: Path, timeout: float = BUILD_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    # PyInstaller's work folder goes to nbapp's cache folder: a private one per test, so test
    # runs do not pile up builds in the real cache.
    return subprocess.run(
        [NBAPP, "package", *args],
        cwd=cwd,
        env={**os.environ, "XDG_CACHE_HOME": str(cwd / ".cache")},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@dataclass(frozen=True)
class Built:
    executable: Path
    stderr: str
    workdir: Path


def brand_template(folder: Path) -> Path:
    """A user's template outside the notebook's folder: a header and a stylesheet."""
    (folder / "static").mkdir(parents=True)
    (folder / "page.html.j2").write_text(
        '{% extends "default/page.html.j2" %}'
        '{% block stylesheets %}{{ super() }}{{ stylesheet("brand.css") }}{% endblock %}'
        '{% block header %}<div class="brand">Sales desk</div>{{ super() }}{% endblock %}'
    )
    (folder / "static" / "brand.css").write_text(".brand { color: rgb(0, 128, 0); }")
    return folder


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """One onedir build of the widget notebook, without the Qt window (headless, smaller),
    laid out by a template of the user's that the app must carry."""
    if importlib.util.find_spec("PyInstaller") is None:
        pytest.skip("needs PyInstaller")
    work = tmp_path_factory.mktemp("package")
    notebook = widget_notebook(work / "project")
    template = brand_template(work / "brand")
    result = package(
        str(notebook),
        "-o",
        str(work / "dist"),
        "--no-window-support",
        "--template",
        str(template),
        cwd=work,
    )
    assert result.returncode == 0, result.stderr
    executable = work / "dist" / "sales" / "sales"
    assert executable.is_file() and os.access(executable, os.X_OK)
    return Built(executable, result.stderr, work)


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
def test_build_shows_each_stage_and_finds_the_csv(built: Built) -> None:
    for stage in ("[1/4] discover", "[2/4] freeze", "[3/4] trim", "[4/4] smoke test"):
        assert f"{stage}: done in" in built.stderr, built.stderr
    assert "1 data files" in built.stderr  # the CSV, found without --include
    internal = built.executable.parent / "_internal"
    assert (internal / "nbapp_app" / "notebook" / "measurements.csv").read_text() == CSV
    # Trimmed: no completion engine, no Tk, no Qt in a --no-window-support build.
    for left_out in ("jedi", "parso", "tkinter", "PySide6"):
        assert not (internal / left_out).exists(), left_out
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
    built: Built, start_clean: Callable[..., Started], page: Page
) -> None:
    app = start_clean(built.executable, "--no-window", "--port", "0")
    assert SERVING.match(f"nbapp: serving sales.ipynb at {app.url}")
    page.goto(app.url)
    wait_state(page, "done", timeout=90)
    page.wait_for_selector(".nbapp-widget-ready", timeout=30_000)
    text = page.inner_text("body")
    assert CSV_TOTAL in text
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
def test_kernel_dies_with_a_killed_app(built: Built, start_clean: Callable[..., Started]) -> None:
    app = start_clean(built.executable, "--no-window", "--port", "0")
    kernels = wait_for(lambda: kernels_of(app.proc), 30, "the frozen kernel to start")
    family = [*descendants(app.proc.pid), *kernels]
    app.proc.send_signal(signal.SIGKILL)
    app.proc.wait(10)
    wait_for(lambda: gone(family), 15, "the kernel to exit after its app was killed")


@needs_pyinstaller
@pytest.mark.slow
def test_built_app_takes_run_options(built: Built) -> None:
    result = subprocess.run(
        ["env", "-i", "PATH=/usr/bin:/bin", str(built.executable), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for option in ("--no-window", "--port", "--timeout", "--theme", "--query"):
        assert option in result.stdout
    bad = subprocess.run(
        [str(built.executable), "--port", "not-a-port"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 2 and "not a port number" in bad.stderr
    # The private kernel flag never falls through to the app (no respawn loop, no server):
    # without a connection file ipykernel starts and is stopped here, printing no serving line.
    kernel = subprocess.Popen(
        [str(built.executable), "--nbapp-kernel", "--help"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, _ = kernel.communicate(timeout=60)
    assert "nbapp: serving" not in out and "--no-window" not in out
    assert "ipykernel" in out.lower() or "IPKernelApp" in out


# --- a Panel app: BokehJS and Panel's front end go into the app ----------------------------
def panel_notebook(folder: Path) -> Path:
    """Written for `panel serve`: a narrative, and a servable Column (tagged mode)."""
    return write_notebook(
        folder / "wind.ipynb",
        [
            Md("# Narrative the app does not show"),
            "import panel as pn\nimport panel_material_ui as pmui\nimport pandas as pd\n"
            "import hvplot.pandas\npn.extension()",
            "speed = pn.widgets.IntSlider(name='speed', start=1, end=10, value=3)\n"
            "def power(n):\n"
            "    return f'kernel computed {n * 10} kW'\n"
            "frame = pd.DataFrame({'t': range(6), 'kw': [0, 1, 4, 9, 16, 25]})\n"
            "line = frame.hvplot.line(x='t', y='kw', width=320, height=200)\n"
            "reset = pmui.Button(label='Reset view')\n"
            "pn.Column(speed, pn.bind(power, speed), line, reset).servable()",
        ],
        metadata={"nbapp": {"mode": "tagged"}},
    )


@pytest.fixture(scope="module")
def panel_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if importlib.util.find_spec("PyInstaller") is None:
        pytest.skip("needs PyInstaller")
    work = tmp_path_factory.mktemp("package-panel")
    notebook = panel_notebook(work / "project")
    result = package(str(notebook), "-o", str(work / "dist"), "--no-window-support", cwd=work)
    assert result.returncode == 0, result.stderr
    return work / "dist" / "wind" / "wind"


@needs_pyinstaller
@pytest.mark.slow
@pytest.mark.browser
def test_packaged_panel_app_is_live_and_offline(
    panel_built: Path, start_clean: Callable[..., Started], page: Page, page_log: PageLog
) -> None:
    """The frozen app serves BokehJS, Panel's and panel-material-ui's front ends from its own
    files; the slider reaches the frozen kernel; the hvplot line draws; only the servable
    object shows."""
    app = start_clean(panel_built, "--no-window", "--port", "0")
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


# --- a machine without Python: a minimal Debian root (debootstrap --variant=minbase) ---------
DEBIAN_SUITE = "bookworm"
DEBIAN_MIRROR = os.environ.get("NBAPP_TEST_DEBIAN_MIRROR", "http://deb.debian.org/debian")
# Shared with tests/test_installers.py: the root is made once and kept as a tarball.
DEBIAN_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "nbapp-tests"
DEBIAN_TARBALL = DEBIAN_CACHE / f"debian-{DEBIAN_SUITE}-minbase.tar"
CHROOT = shutil.which("chroot") or "/usr/sbin/chroot"


@pytest.fixture(scope="module")
def debian_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("chroot needs root (the project's machines and CI run as root)")
    if not DEBIAN_TARBALL.is_file():
        if shutil.which("debootstrap") is None:
            pytest.fail("debootstrap is missing; `make test` installs it")
        staging = tmp_path_factory.mktemp("debootstrap") / "root"
        done = subprocess.run(
            ["debootstrap", "--variant=minbase", DEBIAN_SUITE, str(staging), DEBIAN_MIRROR],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        DEBIAN_CACHE.mkdir(parents=True, exist_ok=True)
        partial = DEBIAN_TARBALL.with_suffix(f".{os.getpid()}.partial")
        subprocess.run(["tar", "-C", str(staging), "-cf", str(partial), "."], check=True)
        partial.rename(DEBIAN_TARBALL)
    root = tmp_path_factory.mktemp("debian") / "root"
    root.mkdir()
    subprocess.run(["tar", "-C", str(root), "-xpf", str(DEBIAN_TARBALL)], check=True)
    assert not list((root / "usr/bin").glob("python*")), "the Debian root must not have Python"
    subprocess.run(["mount", "-t", "proc", "proc", str(root / "proc")], check=True)
    try:
        yield root
    finally:
        subprocess.run(["umount", "-l", str(root / "proc")], check=False)


@needs_pyinstaller
@pytest.mark.slow
@pytest.mark.browser
def test_built_app_runs_in_a_debian_root_without_python(
    built: Built, debian_root: Path, page: Page
) -> None:
    shutil.copytree(built.executable.parent, debian_root / "opt" / "sales", symlinks=True)
    proc = subprocess.Popen(
        [CHROOT, str(debian_root), "/opt/sales/sales", "--no-window", "--port", "0"],
        env={"PATH": "/usr/bin:/bin", "HOME": "/root", "LANG": "C.UTF-8"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        box: list[str] = []
        reader = threading.Thread(target=lambda: box.append(proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        reader.join(90)
        match = SERVING.match(box[0].strip() if box else "")
        assert match, f"no serving line from the app in the Debian root: {box}"
        page.goto(match["url"])
        wait_state(page, "done", timeout=90)
        page.wait_for_selector(".nbapp-widget-ready", timeout=30_000)
        assert CSV_TOTAL in page.inner_text("body")
        family = descendants(proc.pid)
        assert any("--nbapp-kernel" in p.cmdline() for p in family)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        wait_for(lambda: gone(family), 15, "the kernel to exit")
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


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
    assert "[2/4] freeze" not in result.stderr
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
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    write_notebook(tmp_path / "nb.ipynb", ["print(1)"])
    (tmp_path / "not-an-icon.png").write_text("hello")
    result = package(*args, "-o", str(tmp_path / "dist"), cwd=tmp_path, timeout=60)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("nbapp: error: "), result.stderr
    assert re.search(message, lines[0]), lines[0]
    assert not (tmp_path / "dist").exists()


# --- libraries' browser code in a packaged app -----------------------------------------------
@pytest.fixture(scope="module")
def built_charts(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """An app showing a folium map, an itables table and an altair chart: what their outputs
    link to (vendored copies, itables' own bundle) must travel with the app."""
    if importlib.util.find_spec("PyInstaller") is None:
        pytest.skip("needs PyInstaller")
    work = tmp_path_factory.mktemp("charts")
    notebook = write_notebook(
        work / "project" / "charts.ipynb",
        [
            "import folium\nm = folium.Map(location=[45.5, -122.6], zoom_start=11)\n"
            "folium.Marker([45.5, -122.6], popup='packaged').add_to(m)\nm",
            "import pandas as pd, itables\n"
            "itables.show(pd.DataFrame({'n': range(25)}), connected=True)",
            "import altair as alt\nalt.renderers.set_embed_options(renderer='svg')\n"
            "alt.Chart(pd.DataFrame({'x': [1, 2, 3], 'y': [3, 1, 2]})).mark_point().encode(x='x', y='y')",
        ],
    )
    result = package(str(notebook), "-o", str(work / "dist"), "--no-window-support", cwd=work)
    assert result.returncode == 0, result.stderr
    return Built(work / "dist" / "charts" / "charts", result.stderr, work)


@needs_pyinstaller
@pytest.mark.slow
@pytest.mark.browser
def test_packaged_app_draws_folium_itables_and_altair_offline(
    built_charts: Built, start_clean: Callable[..., Started], page: Page, page_log: PageLog
) -> None:
    app = start_clean(built_charts.executable, "--no-window", "--port", "0")
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
